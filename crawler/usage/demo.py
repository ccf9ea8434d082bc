"""Crawl the bundled fictional newsroom end to end, offline.

Serves the fixture newsroom (a wire service and three outlets republishing
its stories, with feeds, a news sitemap and section pages) on a free
127.0.0.1 port, crawls it into a fresh ``wirewatch_demo`` database on the
same PostgreSQL server wirewatch uses (the embedded one unless
``DATABASE_URL`` is set), and prints what happened and how to look at it.
"""

from __future__ import annotations

import argparse

NAME = "demo"
HELP = "crawl the bundled offline newsroom into a demo database"
DEMO_DATABASE = "wirewatch_demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        default=DEMO_DATABASE,
        help=f"name of the demo database, recreated on each run (default: {DEMO_DATABASE})",
    )
