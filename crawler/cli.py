"""The ``wirewatch`` command line: discovers subcommands in ``crawler.commands``."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
import traceback
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from crawler import __version__, commands
from crawler.errors import WirewatchError
from crawler.logs import configure_logging

log = logging.getLogger("wirewatch")


def _command_modules() -> list[ModuleType]:
    found = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            found.append(module)
    return sorted(found, key=lambda m: m.NAME)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``wirewatch: error:`` line like every other error."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("wirewatch").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"wirewatch: error: {where}{message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="wirewatch",
        description="News monitoring crawler: sources -> article text -> stories -> alerts.",
    )
    parser.add_argument("--version", action="version", version=f"wirewatch {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: $WIREWATCH_CONFIG, else ./wirewatch.toml)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--json-logs", action="store_true", help="one JSON object per log line on stderr"
    )
    parser.add_argument(
        "--log-file",
        metavar="FILE",
        help="write log lines to FILE instead of stderr (reopened after logrotate)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error, not just its message"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _command_modules():
        command_parser = sub.add_parser(
            module.NAME, help=module.HELP, description=getattr(module, "__doc__", None)
        )
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def unexpected(exc: BaseException) -> str:
    """The one line printed for an exception nobody anticipated."""
    detail = " ".join(str(exc).split())[:500]
    what = f"unexpected {type(exc).__name__}" + (f": {detail}" if detail else "")
    return f"wirewatch: error: {what} (run with --debug for the traceback)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error ends as one ``wirewatch: error:`` line and an exit status.

    2 for bad usage or configuration (:class:`UsageError`), 1 for a failure at
    run time; ``--debug`` adds the traceback.  Nothing else escapes: a
    traceback in a cron mail tells the operator nothing they can act on.
    """
    # pgserver asks platformdirs for a runtime dir it never uses; under cron
    # and in containers XDG_RUNTIME_DIR is unset and the warning is noise.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR is not set.*")
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        debug = args.debug
        configure_logging(args.log_level, json_lines=args.json_logs, log_file=args.log_file)
        return int(args._run(args) or 0)
    except WirewatchError as exc:
        if debug:
            traceback.print_exc()
        print(f"wirewatch: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`wirewatch feed | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # the last resort: a bug or an environment nobody foresaw
        if debug:
            traceback.print_exc()
        print(unexpected(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
