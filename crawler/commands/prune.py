"""Drop article bodies (or, with --delete-rows, whole stories) older than a horizon.

Its options, and the description `wirewatch prune --help` prints, are in
crawler/usage/prune.py (imported without this module).
"""

from __future__ import annotations

import argparse

from pipelines import db
from pipelines.retention import parse_age, prune


def run(args: argparse.Namespace) -> int:
    age = parse_age(args.older_than)
    with db.session() as conn:
        conn.autocommit = True
        report = prune(
            conn,
            age,
            delete_rows=args.delete_rows,
            batch_size=args.batch_size,
            dry_run=args.dry_run,
        )
    what = "deleted" if report.delete_rows else "dropped the bodies of"
    if report.dry_run:
        what = f"would have {what}"
    print(
        f"{what} {report.stories} stories and {report.articles} articles "
        f"untouched since {report.horizon:%Y-%m-%d %H:%M} UTC"
    )
    return 0
