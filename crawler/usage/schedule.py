"""Run the scheduler daemon: every source on its own schedule, alerts, housekeeping.

Each source is crawled on its cron ``schedule``, or adaptively within the
bounds of the ``[schedule]`` table when it has none; ``wirewatch alerts
send`` and housekeeping (closing runs of dead processes, pruning old
history, health checks) run too.  Stop it with SIGTERM or Ctrl-C: crawls in
progress finish their in-flight work first.  Run one per database (a second
one refuses to start); ``wirewatch crawl --due`` from cron is the
alternative to it.
"""

from __future__ import annotations

import argparse

NAME = "schedule"
HELP = "run the scheduler daemon (crawls, alerts, housekeeping) until stopped"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve Prometheus metrics on this port (overrides [schedule] metrics_port; 0 = off)",
    )
    parser.add_argument(
        "--metrics-address",
        metavar="ADDRESS",
        help="address the metrics endpoint listens on (default: [schedule] metrics_address, "
        "127.0.0.1; 0.0.0.0 in a container)",
    )
