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
import logging
from dataclasses import replace

from crawler.config import load_config
from crawler.errors import UsageError
from crawler.metrics import DaemonMetrics
from crawler.schedule_config import schedule_options
from crawler.schedule_state import log_rejected
from crawler.scheduler import Daemon, child_arguments
from crawler.web.launch import web_beside_daemon
from pipelines import db

NAME = "schedule"
HELP = "run the scheduler daemon (crawls, alerts, housekeeping) until stopped"

log = logging.getLogger(__name__)


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


def run(args: argparse.Namespace) -> int:
    # A broken source is left out (and logged); the others keep running.
    config = load_config(args.config, skip_bad_sources=True)
    log_rejected(config)
    options = schedule_options(config)
    if args.metrics_port is not None:
        if not 0 <= args.metrics_port <= 65535:
            raise UsageError(f"--metrics-port {args.metrics_port}: not a TCP port")
        options = replace(options, metrics_port=args.metrics_port or None)
    if args.metrics_address:
        options = replace(options, metrics_address=args.metrics_address)
    if not any(s.enabled for s in config.sources):
        log.warning("%s: no enabled sources; only alerts and housekeeping will run", config.path)
    if args.log_level != "DEBUG":
        # The daemon logs every job itself, one structured line per event.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    url = db.database_url()
    db.ensure_migrated(url)
    child_args = child_arguments(config, args.log_level, args.json_logs)
    daemon = Daemon(config, options, url, child_args=child_args, metrics=DaemonMetrics())
    with web_beside_daemon(config, child_args, url):  # [web] enabled = true
        return daemon.run()
