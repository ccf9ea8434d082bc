"""Drop article bodies (or, with --delete-rows, whole stories) older than a horizon.

Its options, and the description `wirewatch prune --help` prints, are in
crawler/usage/prune.py (imported without this module).
"""

from __future__ import annotations

import argparse

from crawler.progress import Bar
from pipelines import db
from pipelines.retention import last_story_id, parse_age, prune

# Stories are walked in id order: the bar is how far the walk went, and how many it pruned.
BAR_FORMAT = (
    "{desc}: {percentage:3.0f}%|{bar}| story {n_fmt}/{total_fmt} "
    "[{elapsed}<{remaining}, {rate_fmt}{postfix}]"
)


def run(args: argparse.Namespace) -> int:
    age = parse_age(args.older_than)
    with db.session() as conn:
        conn.autocommit = True
        last = last_story_id(conn)
        with Bar("prune", total=last, unit=" stories", bar_format=BAR_FORMAT) as bar:
            report = prune(
                conn,
                age,
                delete_rows=args.delete_rows,
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                on_batch=lambda done, story_id: bar.set(story_id, pruned=done.stories),
            )
            bar.set(last, pruned=report.stories)  # the walk went on to the end, finding no more
    what = "deleted" if report.delete_rows else "dropped the bodies of"
    if report.dry_run:
        what = f"would have {what}"
    print(
        f"{what} {report.stories} stories and {report.articles} articles "
        f"untouched since {report.horizon:%Y-%m-%d %H:%M} UTC"
    )
    return 0
