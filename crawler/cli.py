"""The ``wirewatch`` command line: discovers subcommands in ``crawler.commands``."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _command_modules():
        command_parser = sub.add_parser(
            module.NAME, help=module.HELP, description=getattr(module, "__doc__", None)
        )
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # pgserver asks platformdirs for a runtime dir it never uses; under cron
    # and in containers XDG_RUNTIME_DIR is unset and the warning is noise.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR is not set.*")
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level, json_lines=args.json_logs)
    try:
        return int(args._run(args) or 0)
    except WirewatchError as exc:
        print(f"wirewatch: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
