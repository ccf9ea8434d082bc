"""Bring the database schema up to date (also done automatically on first use).

Its options, and the description `wirewatch migrate --help` prints, are in
crawler/usage/migrate.py (imported without this module).
"""

from __future__ import annotations

import argparse

from wirewatch.pipelines import db


def run(args: argparse.Namespace) -> int:
    url = db.database_url()
    if args.list:
        with db.connect(url) as conn:
            db.migrate(conn)
            applied = {
                r["version"]: r["applied_at"]
                for r in conn.execute("SELECT version, applied_at FROM schema_migrations")
            }
        for number, name, _ in db.migration_files():
            print(f"{name}  {applied.get(number, 'pending')}")
        return 0
    with db.connect(url) as conn:
        applied_now = db.migrate(conn)
    print(f"database: {db.describe(url)}")
    print(f"applied: {', '.join(applied_now) if applied_now else 'nothing (up to date)'}")
    return 0
