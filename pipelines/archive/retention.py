"""Pruning the archive: WARC files older than a horizon go, and the pointers into them.

A file goes when it was last written before the horizon and its crawl run
is over (a run still 'running' may yet point articles into it, and a live
writer's ``.open`` file is never touched).  The articles pointing into a
file are unlinked first, in a transaction of their own, then the file is
deleted: interrupted in between, the file stays with nothing pointing into
it and the next prune deletes it; never does an article point at a file
that is gone because of a prune.  (Re-extraction skips a missing file all
the same, counting its articles as missing.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.archive.files import ArchiveFile, archive_files, in_use
from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.durations import parse_duration
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

MIN_AGE = timedelta(hours=1)


def parse_age(text: str, option: str = "--archive-older-than") -> timedelta:
    """An age in the tool's one duration syntax, at least an hour."""
    try:
        age = parse_duration(text)
    except ValueError:
        raise UsageError(
            f"{option}: cannot read the age {text!r}: use a number and a unit, e.g. 12h, 90d or 2w"
        ) from None
    if age < MIN_AGE:
        raise UsageError(f"{option} must be at least {MIN_AGE}, got {text!r}")
    return age


@dataclass
class ArchivePruneReport:
    horizon: datetime
    dry_run: bool = False
    files: int = 0
    bytes: int = 0
    articles: int = 0  # article rows that pointed into the files
    still_running: int = 0  # old enough, but their crawl run is still going


def prune_archive(
    conn: psycopg.Connection[DictRow],
    root: Path,
    older_than: timedelta,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    on_file: Callable[[ArchiveFile], None] | None = None,
) -> ArchivePruneReport:
    """Delete the archive files under ``root`` last written before ``now - older_than``
    whose runs are over; ``dry_run`` counts them and changes nothing."""
    horizon = (now or datetime.now(UTC)) - older_than
    report = ArchivePruneReport(horizon, dry_run)
    old = [f for f in archive_files(root) if f.mtime < horizon.timestamp()]
    runs = sorted({f.run_id for f in old if f.run_id is not None})
    running = {r["id"] for r in conn.execute(Q.archive_run_states, {"ids": runs})}
    for file in old:
        if file.run_id in running or (file.open and in_use(file.path)):
            report.still_running += 1
            continue
        params = {"warc_file": file.name}
        if dry_run:
            report.articles += one_row(conn.execute(Q.archive_file_articles, params))["n"]
        else:
            with conn.transaction():
                report.articles += conn.execute(Q.archive_forget_file, params).rowcount
            try:
                file.path.unlink()
            except FileNotFoundError:  # renamed from .open meanwhile: the next prune has it
                continue
            log.info("archive: pruned %s", file.path)
        report.files += 1
        report.bytes += file.size
        if on_file is not None:
            on_file(file)
    return report
