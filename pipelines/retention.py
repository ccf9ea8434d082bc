"""Retention: drop old article bodies (or whole stories) without breaking the feed.

Works story by story: a story goes only when neither it nor any of its
copies changed since the horizon, so a story still being syndicated is never
half pruned.  By default the bodies go (title, URL, outlet, dates and the
story structure stay; ``text`` reads as NULL in the feed views, and search
still finds the title); ``delete_rows`` removes the stories with their
articles and change-log rows.  Cursors stay valid either way: a position
does not depend on the rows before it.  Each batch is its own transaction,
so an interrupted prune loses nothing and the next run carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.durations import parse_duration
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

MIN_AGE = timedelta(hours=1)


def parse_age(text: str) -> timedelta:
    """``--older-than``: a duration in the tool's one syntax (``12h``, ``90d``, ``2w``), >= 1 h."""
    try:
        age = parse_duration(text)
    except ValueError:
        raise UsageError(
            f"cannot read the age {text!r}: use a number and a unit, e.g. 12h, 90d or 2w"
        ) from None
    if age < MIN_AGE:
        raise UsageError(f"--older-than must be at least {MIN_AGE}, got {text!r}")
    return age


@dataclass
class PruneReport:
    horizon: datetime
    delete_rows: bool
    dry_run: bool = False
    stories: int = 0
    articles: int = 0


def prune(
    conn: psycopg.Connection[DictRow],
    older_than: timedelta,
    *,
    delete_rows: bool = False,
    batch_size: int = 500,
    now: datetime | None = None,
    dry_run: bool = False,
    on_batch: Callable[[PruneReport, int], None] | None = None,
) -> PruneReport:
    """Prune stories (and stray articles) untouched for ``older_than``.

    ``dry_run`` counts what would be pruned, batch by batch as a real run
    would find it, and changes nothing.  Stories are walked in id order;
    ``on_batch(report, story_id)`` hears after each batch how far the walk
    went (the command's progress bar, whose end is ``last_story_id``).
    """
    horizon = (now or datetime.now(UTC)) - older_than
    report = PruneReport(horizon, delete_rows, dry_run)
    params = {"horizon": horizon, "delete_rows": delete_rows, "batch": batch_size}

    after = 0
    while True:
        with conn.transaction():
            stories = [
                r["id"] for r in conn.execute(Q.prune_candidate_stories, {**params, "after": after})
            ]
            if not stories:
                break
            articles = [
                r["article_id"] for r in conn.execute(Q.story_article_ids, {"stories": stories})
            ]
            if not dry_run:
                _prune_batch(conn, stories, articles, delete_rows)
        report.stories += len(stories)
        report.articles += len(articles)
        after = stories[-1]
        if not dry_run:
            log.info("pruned %d stories so far (up to story %d)", report.stories, after)
        if on_batch is not None:
            on_batch(report, after)

    after = 0
    while True:
        with conn.transaction():
            orphans = [
                r["id"] for r in conn.execute(Q.prune_candidate_orphans, {**params, "after": after})
            ]
            if not orphans:
                break
            if not dry_run:
                _prune_batch(conn, [], orphans, delete_rows)
        report.articles += len(orphans)
        after = orphans[-1]
    return report


def last_story_id(conn: psycopg.Connection[DictRow]) -> int:
    """Where ``prune``'s walk through the stories ends."""
    last: int = one_row(conn.execute(Q.prune_last_story))["id"]
    return last


def _prune_batch(
    conn: psycopg.Connection[DictRow], stories: list[int], articles: list[int], delete_rows: bool
) -> None:
    ids = {"stories": stories, "articles": articles}
    conn.execute(Q.prune_drop_bands, ids)
    if delete_rows:
        conn.execute(Q.prune_delete_stories, ids)
        conn.execute(Q.prune_delete_articles, ids)
    else:
        conn.execute(Q.prune_drop_bodies, ids)
