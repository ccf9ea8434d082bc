"""What the pages and the API read, one function per view of the data.

Everything goes through library functions the CLI uses (search, the feed
cursor, ``status``'s gathering, the alert subscriptions) or through the
``wirewatch_feed`` views with named queries; values are always bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from wirewatch.crawler.commands.errors import fetch as fetch_errors
from wirewatch.crawler.config import Config
from wirewatch.crawler.run_history import RunRecord
from wirewatch.crawler.schedule_state import load_histories
from wirewatch.crawler.source_status import SourceStatus, gather
from wirewatch.crawler.web.chart import Chart, day_bars, series
from wirewatch.crawler.web.diff import WordDiff, word_diff
from wirewatch.pipelines import feed
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.search import Condition, search

PAGE_SIZE = 50
MAX_PAGE = 200
_CURSOR = re.compile(r"^([0-9]{1,20})\.([0-9]{1,18})$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class BadRequest(UsageError):
    """A malformed parameter (cursor, date, language): 400 in the API, a message on pages."""


# --- the story list ----------------------------------------------------------------------


def encode_cursor(first_seen: datetime, story_id: int) -> str:
    """``MICROSECONDS.ID`` of the last story shown: exact, opaque enough, URL-safe."""
    micros = int(first_seen.timestamp()) * 1_000_000 + first_seen.microsecond
    return f"{micros}.{story_id}"


def decode_cursor(text: str) -> tuple[datetime, int]:
    match = _CURSOR.match(text.strip())
    if not match:
        raise BadRequest(f"malformed cursor {text!r}: pass back the next_cursor you were given")
    micros = int(match.group(1))
    when = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
    return when, int(match.group(2))


def parse_day(text: str, name: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time(), UTC)
    except ValueError:
        raise BadRequest(f"{name}: expected a date like 2026-03-01, got {text!r}") from None


@dataclass(frozen=True)
class StoryFilters:
    """The story list's filters, as given in the query string (empty = not filtered)."""

    q: str = ""
    source: str = ""
    outlet: str = ""
    language: str = ""
    since: str = ""  # YYYY-MM-DD, first seen on or after
    until: str = ""  # YYYY-MM-DD, first seen on or before
    cursor: str = ""

    def without_cursor(self) -> dict[str, str]:
        """The filters as query-string values (for 'next page' links)."""
        fields = ("q", "source", "outlet", "language", "since", "until")
        return {k: getattr(self, k) for k in fields if getattr(self, k)}


def _one_line(snippet: str) -> str:
    """A condition without its comments, on one line: it may land inside a comment of the
    query it is put into (search's queries name their {match} slot in one)."""
    lines = (line.split("--", 1)[0].strip() for line in snippet.splitlines())
    return " ".join(line for line in lines if line)


def filter_condition(filters: StoryFilters) -> Condition | None:
    """The filters as one condition on the story row ``s`` (fixed SQL, bound values)."""
    parts: list[tuple[str, dict[str, Any]]] = []
    if filters.cursor:
        at, story_id = decode_cursor(filters.cursor)
        parts.append((Q.web_filter_before, {"f_before_at": at, "f_before_id": story_id}))
    if filters.source:
        parts.append((Q.web_filter_source, {"f_source": filters.source.strip()}))
    if filters.outlet:
        parts.append((Q.web_filter_outlet, {"f_outlet": filters.outlet.strip()}))
    if filters.language:
        language = filters.language.strip().lower().replace("_", "-").split("-")[0]
        if not _LANGUAGE.match(language):
            raise BadRequest(f"language: expected a code like en or de, got {filters.language!r}")
        parts.append((Q.web_filter_language, {"f_language": language}))
    if filters.since:
        parts.append((Q.web_filter_since, {"f_since": parse_day(filters.since, "since")}))
    if filters.until:
        until = parse_day(filters.until, "until") + timedelta(days=1)
        parts.append((Q.web_filter_until, {"f_until": until}))
    if not parts:
        return None
    condition = sql.SQL(" AND ").join(
        sql.SQL("({})").format(sql.SQL(_one_line(text))) for text, _ in parts
    )
    params: dict[str, Any] = {}
    for _, values in parts:
        params.update(values)
    return Condition(condition, params)


@dataclass(frozen=True)
class StoryPage:
    stories: list[dict[str, Any]]
    next_cursor: str | None


def list_stories(
    conn: psycopg.Connection[DictRow], filters: StoryFilters, limit: int = PAGE_SIZE
) -> StoryPage:
    """Newest stories matching the filters (and the search query, alert syntax), one page."""
    where = filter_condition(filters)
    if filters.q.strip():
        rows = search(conn, filters.q, limit=limit + 1, where=where)
    else:
        extra = sql.SQL(" AND {}").format(where.sql) if where else sql.SQL("")
        statement = sql.SQL(Q.web_stories).format(filters=extra)
        params = {**(where.params if where else {}), "limit": limit + 1}
        rows = conn.execute(statement, params).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return StoryPage(rows, encode_cursor(last["first_seen"], last["story_id"]) if last else None)


# --- one story ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    outlet: str
    published: datetime | None
    first_seen: datetime
    delay: timedelta | None  # published (else first seen) after the first outlet's
    published_at: float | None  # 0..1 along the story's span, for the drawing
    seen_at: float


def timeline(copies: Sequence[Mapping[str, Any]]) -> list[TimelineEntry]:
    """When each outlet carried the story (its first copy): published, then first seen.

    Outlets are ordered by when they published (else when wirewatch saw them),
    and placed on one scale from the earliest to the latest of those times.
    """
    firsts: dict[str, Mapping[str, Any]] = {}
    for copy in sorted(copies, key=lambda c: (c["first_seen"], c["article_id"])):
        firsts.setdefault(copy["outlet"] or "?", copy)
    if not firsts:
        return []

    def when(copy: Mapping[str, Any]) -> datetime:
        return copy["published"] or copy["first_seen"]

    ordered = sorted(firsts.items(), key=lambda item: (when(item[1]), item[1]["first_seen"]))
    times = [t for _, c in ordered for t in (c["published"], c["first_seen"]) if t is not None]
    start, span = min(times), (max(times) - min(times)).total_seconds()

    def place(value: datetime | None) -> float | None:
        if value is None:
            return None
        return (value - start).total_seconds() / span if span else 0.0

    first = when(ordered[0][1])
    return [
        TimelineEntry(
            outlet=outlet,
            published=c["published"],
            first_seen=c["first_seen"],
            delay=when(c) - first if when(c) > first else None,
            published_at=place(c["published"]),
            seen_at=place(c["first_seen"]) or 0.0,
        )
        for outlet, c in ordered
    ]


@dataclass
class StoryDetail:
    story: dict[str, Any]
    copies: list[dict[str, Any]]
    timeline: list[TimelineEntry]
    compared: dict[str, Any] | None = None  # the copy diffed against the canonical text
    diff: WordDiff | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)


def story_detail(
    conn: psycopg.Connection[DictRow],
    story_id: int,
    compare: int | None = None,
    *,
    with_alerts: bool = True,
) -> StoryDetail | None:
    """A story, its copies and timeline, a copy diffed against the canonical text."""
    story = conn.execute(Q.web_story, {"story_id": story_id}).fetchone()
    if story is None:
        return None
    copies = conn.execute(Q.web_story_copies, {"story_id": story_id}).fetchall()
    detail = StoryDetail(story, copies, timeline(copies))
    others = [c["article_id"] for c in copies if not c["is_canonical"]]
    wanted = compare if compare in others else (others[0] if others else None)
    if wanted is not None:
        article = conn.execute(Q.web_article, {"article_id": wanted}).fetchone()
        if article is not None:
            detail.compared = article
            detail.diff = word_diff(story["text"], article["text"])
    if with_alerts:
        detail.alerts = conn.execute(Q.web_story_alerts, {"story_id": story_id}).fetchall()
    return detail


# --- changes (the feed cursor) -----------------------------------------------------------


def read_changes(
    conn: psycopg.Connection[DictRow], after: int, limit: int, query: str | None = None
) -> feed.Page:
    """One page of ``wirewatch feed`` after a cursor, read as ``feed.reader_connection`` does
    (REPEATABLE READ, read only), on a pooled connection restored afterwards."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    try:
        where = feed.story_filter(conn, query) if query else None
        return feed.read_page(conn, after, limit, where)
    finally:
        conn.isolation_level = None
        conn.read_only = None


# --- sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    status: SourceStatus
    kind: str | None
    extraction_yield: float | None  # of the latest run that measured it
    chart: Chart
    runs: tuple[RunRecord, ...] = ()


def _latest_yield(history: Sequence[RunRecord]) -> float | None:
    return next((r.extraction_yield for r in history if r.extraction_yield is not None), None)


def sources_overview(
    conn: psycopg.Connection[DictRow], config: Config | None, now: datetime, days: int = 30
) -> list[SourceRow]:
    """One row per configured source: ``wirewatch status`` figures plus a 30-day chart."""
    if config is None:
        return []
    statuses = gather(conn, config, now)
    names = [s.name for s in config.sources]
    histories = load_histories(conn, names)
    since = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), UTC)
    rows = conn.execute(Q.web_source_days, {"since": since, "sources": names}).fetchall()
    kinds = {s.name: s.kind for s in config.sources}
    return [
        SourceRow(
            status=status,
            kind=kinds.get(status.source),
            extraction_yield=_latest_yield(histories.get(status.source, [])),
            chart=day_bars(series(rows, status.source), now.date(), days),
            runs=tuple(histories.get(status.source, [])),
        )
        for status in statuses
    ]


@dataclass
class SourceDetail:
    row: SourceRow
    runs: list[dict[str, Any]]
    error_counts: list[dict[str, Any]]
    recent_errors: list[dict[str, Any]]


def source_detail(
    conn: psycopg.Connection[DictRow],
    config: Config | None,
    name: str,
    now: datetime,
    runs: int = 30,
) -> SourceDetail | None:
    """A source's status, its recent runs and its errors by kind over the last 7 days."""
    rows = [r for r in sources_overview(conn, config, now) if r.status.source == name]
    if not rows:
        return None
    since = now - timedelta(days=7)
    return SourceDetail(
        row=rows[0],
        runs=conn.execute(Q.web_source_runs, {"source": name, "limit": runs}).fetchall(),
        error_counts=fetch_errors(conn, since, [name], None, counts=True, limit=100),
        recent_errors=fetch_errors(conn, since, [name], None, counts=False, limit=20),
    )
