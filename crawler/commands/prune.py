"""Drop article bodies (or, with --delete-rows, whole stories) older than a horizon.

Its options, and the description `wirewatch prune --help` prints, are in
crawler/usage/prune.py (imported without this module).
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from wirewatch.crawler.archive import archive_dir
from wirewatch.pipelines import db
from wirewatch.pipelines.archive.retention import parse_age as parse_archive_age
from wirewatch.pipelines.archive.retention import prune_archive
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.progress import Bar
from wirewatch.pipelines.retention import last_story_id, parse_age, prune

# Stories are walked in id order: the bar is how far the walk went, and how many it pruned.
BAR_FORMAT = (
    "{desc}: {percentage:3.0f}%|{bar}| story {n_fmt}/{total_fmt} "
    "[{elapsed}<{remaining}, {rate_fmt}{postfix}]"
)


def run(args: argparse.Namespace) -> int:
    if not (args.older_than or args.archive_older_than):
        raise UsageError("prune: give --older-than AGE, --archive-older-than AGE or both")
    # Every value checked before anything is pruned.
    age = parse_age(args.older_than) if args.older_than else None
    archive_age = parse_archive_age(args.archive_older_than) if args.archive_older_than else None
    root = archive_dir(args.config) if archive_age is not None else None
    if age is not None:
        prune_bodies(args, age)
    if archive_age is not None and root is not None:
        prune_archive_files(args, root, archive_age)
    return 0


def prune_bodies(args: argparse.Namespace, age: timedelta) -> None:
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


def prune_archive_files(args: argparse.Namespace, root: Path, age: timedelta) -> None:
    with db.session() as conn, Bar("prune archive", unit=" files") as bar:
        conn.autocommit = True
        report = prune_archive(
            conn, root, age, dry_run=args.dry_run, on_file=lambda file: bar.update()
        )
    what = "would have deleted" if report.dry_run else "deleted"
    kept = (
        f"; {report.still_running} older files kept: their crawl is still running"
        if report.still_running
        else ""
    )
    print(
        f"{what} {report.files} archive files ({report.bytes / 1e6:,.1f} MB) in {root} "
        f"last written before {report.horizon:%Y-%m-%d %H:%M} UTC; "
        f"{report.articles} articles no longer point at an archived page{kept}"
    )
