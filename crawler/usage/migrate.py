"""Bring the database schema up to date (also done automatically on first use)."""

from __future__ import annotations

import argparse

NAME = "migrate"
HELP = "apply pending database migrations"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="list the migrations and exit")
