"""Show each source's health: last run, next run, new articles, failures, rejections, alarms.

Exit status: 0 when every source is healthy, 1 when any source has an alarm
(its runs keep failing, its extraction yield or body length dropped well
below its own history, it rejects far more of its pages than it used to, or
it stopped producing new articles), so monitoring systems (Nagios, a systemd
timer with OnFailure=, a cron MAILTO) can call it.
``--json`` prints the same as one JSON document, with the median latency of
the last day's articles (published -> discovered -> stored -> alerted) and
the last day's rejected pages by kind;
``--notify`` also emails new alarms to ``[schedule] operator_email``.
"""

from __future__ import annotations

import argparse

NAME = "status"
HELP = "per-source health table; exit status 1 when a source is unhealthy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        nargs="?",
        metavar="SOURCE",
        help="one source in detail: its recent runs and its errors by kind",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--source", action="append", metavar="NAME", help="only this source (repeatable)"
    )
    parser.add_argument(
        "--notify",
        action="store_true",
        help="email new alarms to [schedule] operator_email (once per alarm)",
    )
