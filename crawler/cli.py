# PYTHON_ARGCOMPLETE_OK  (argcomplete looks for this marker in the entry point's module)
"""The ``wirewatch`` command line.

Commands are described in ``crawler.usage`` (name, help, options) and run by
the module of the same name in ``crawler.commands``.  Building the parser
imports only the former, so ``--help`` and shell completion never pay for
Scrapy, psycopg or trafilatura; a command's implementation is imported only
to run it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import select
import sys
import textwrap
import traceback
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NoReturn

from wirewatch.crawler import __version__, usage
from wirewatch.pipelines.errors import WirewatchError

# The exit status of a process killed by SIGPIPE (128 + 13), which is what a
# shell reports for `grep ... | head` too: the reader left, nothing failed here.
CLOSED_PIPE_STATUS = 141


def usage_modules() -> list[ModuleType]:
    """The modules of ``crawler.usage`` that describe a command, by command name."""
    found = []
    for info in pkgutil.iter_modules(usage.__path__):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{usage.__name__}.{info.name}"))
    return sorted(found, key=lambda m: m.NAME)


_MARKUP = re.compile(r"(?::[a-z]+:)?``?([^`]+)``?")


def plain(text: str) -> str:
    """reST inline markup (````--json````, ``:class:`X```) as plain text, for ``--help``."""
    return _MARKUP.sub(r"\1", text)


def fill_paragraphs(text: str, width: int, indent: str) -> str:
    """Descriptions as the docstrings lay them out: blank lines separate paragraphs,
    which are re-wrapped, except indented blocks (examples), which are kept as written."""
    paragraphs = re.split(r"\n\s*\n", textwrap.dedent(plain(text)).strip("\n"))
    out = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if any(line[:1].isspace() for line in lines):
            out.append("\n".join(indent + line for line in lines))
        else:
            out.append(textwrap.fill(" ".join(paragraph.split()), width, initial_indent=indent,
                                     subsequent_indent=indent))  # fmt: skip
    return "\n\n".join(out)


class HelpFormatter(argparse.HelpFormatter):
    """Plain-text help: no reST markup, the docstrings' paragraphs and examples kept."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return fill_paragraphs(text, width, indent)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return super()._split_lines(plain(text), width)


def add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every command accepts, before or after its name.

    Below the top parser their default is SUPPRESS: a subcommand's parser
    then sets only what was given after the command, and what was given
    before it (on the top parser) stands.
    """
    unset: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group(
        "global options" if top else "global options (also before the command)"
    )
    group.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: $WIREWATCH_CONFIG, else ./wirewatch.toml)",
        **unset,
    )
    group.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        **({"default": "INFO"} if top else unset),
    )
    group.add_argument(
        "--json-logs", action="store_true", help="one JSON object per log line on stderr", **unset
    )
    group.add_argument(
        "--log-file",
        metavar="FILE",
        help="write log lines to FILE instead of stderr (reopened after logrotate)",
        **unset,
    )
    group.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an error, not just its message",
        **unset,
    )


class Parser(argparse.ArgumentParser):
    """argparse with plain-text help, the global options on every (sub)command, and a
    usage error as one ``wirewatch: error:`` line like every other error.

    Subparsers are made by ``add_parser`` with this same class, nested ones
    (``alerts add``) too, so each gets the global options."""

    def __init__(self, *args: Any, top: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        add_global_options(self, top=top)

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("wirewatch").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"wirewatch: error: {where}{message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="wirewatch",
        description="News monitoring crawler: sources -> article text -> stories -> alerts.",
        top=True,
    )
    parser.add_argument("--version", action="version", version=f"wirewatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in usage_modules():
        command_parser = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module.__name__.rsplit(".", 1)[-1])
    return parser


def implementation(args: argparse.Namespace) -> Callable[[argparse.Namespace], int | None]:
    """The ``run`` of the chosen command, imported now (the heavy part of the CLI)."""
    return importlib.import_module(f"wirewatch.crawler.commands.{args._module}").run


def unexpected(exc: BaseException) -> str:
    """The one line printed for an exception nobody anticipated."""
    detail = " ".join(str(exc).split())[:500]
    what = f"unexpected {type(exc).__name__}" + (f": {detail}" if detail else "")
    return f"wirewatch: error: {what} (run with --debug for the traceback)"


def stdout_closed() -> bool:
    """Whether the reader of standard output went away (``wirewatch feed | head``).

    A BrokenPipeError may also come from a socket (an SMTP server or a
    webhook hanging up): that one is a failure to report, so the error alone
    does not say the reader left; poll() does (POLLERR on a pipe without
    readers, POLLHUP on a hung-up socket or terminal).
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False  # no file descriptor behind stdout: the pipe was another one
    if not hasattr(select, "poll"):
        return True  # cannot tell (Windows): take it for stdout, as Python's own recipe does
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def discard_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so what is still buffered for a reader
    who left is flushed there at exit instead of raising BrokenPipeError again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error ends as one ``wirewatch: error:`` line and an exit status.

    2 for bad usage or configuration (:class:`UsageError`), 1 for a failure at
    run time; ``--debug`` adds the traceback.  Nothing else escapes: a
    traceback in a cron mail tells the operator nothing they can act on.

    A reader that stops reading (``| head -1``) ends the command quietly with
    status 141, as SIGPIPE ends C tools.  Not by restoring SIGPIPE's default
    action: that would also kill the process, silently and mid-transaction,
    on a write to any socket whose peer hung up (database, SMTP, webhooks).
    """
    # pgserver asks platformdirs for a runtime dir it never uses; under cron
    # and in containers XDG_RUNTIME_DIR is unset and the warning is noise.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR is not set.*")
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions, then we exit
            import argcomplete

            argcomplete.autocomplete(parser)
        args = parser.parse_args(argv)
        debug = args.debug
        from wirewatch.crawler.logs import configure_logging

        configure_logging(args.log_level, json_lines=args.json_logs, log_file=args.log_file)
        status = int(implementation(args)(args) or 0)
        # Flushed here, not at interpreter exit, so a reader who left is noticed below.
        sys.stdout.flush()
        return status
    except WirewatchError as exc:
        if debug:
            traceback.print_exc()
        print(f"wirewatch: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError as exc:
        if not stdout_closed():
            return _unexpected_error(exc, debug)
        discard_stdout()
        return CLOSED_PIPE_STATUS
    except Exception as exc:  # the last resort: a bug or an environment nobody foresaw
        return _unexpected_error(exc, debug)


def _unexpected_error(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc)
    print(unexpected(exc), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
