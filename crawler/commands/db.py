"""Database administration for downstream access.

Its options, and the description `wirewatch db --help` prints, are in
crawler/usage/db.py (imported without this module).
"""

from __future__ import annotations

import argparse
import os
import sys

from wirewatch.pipelines import db
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.reader_role import grant_reader


def run(args: argparse.Namespace) -> int:
    if args.db_action == "stop":
        return stop()
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: standard input had no password")
    with db.session() as conn:
        conn.autocommit = True
        for line in grant_reader(conn, args.role, login=args.login, password=password):
            print(line)
    return 0


def stop() -> int:
    if os.environ.get("DATABASE_URL"):
        raise UsageError("DATABASE_URL is set: wirewatch uses that server, not an embedded one")
    print(db.stop_embedded())
    return 0
