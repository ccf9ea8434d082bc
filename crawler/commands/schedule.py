"""Run the scheduler daemon: every source on its own schedule, alerts, housekeeping.

Its options, and the description `wirewatch schedule --help` prints, are in
crawler/usage/schedule.py (imported without this module).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace

from wirewatch.crawler.config import load_config
from wirewatch.crawler.metrics import DaemonMetrics
from wirewatch.crawler.schedule_config import schedule_options
from wirewatch.crawler.schedule_state import log_rejected
from wirewatch.crawler.scheduler import Daemon, child_arguments
from wirewatch.crawler.web.launch import web_beside_daemon
from wirewatch.pipelines import db
from wirewatch.pipelines.errors import UsageError

log = logging.getLogger(__name__)


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
