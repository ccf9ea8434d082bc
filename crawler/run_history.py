"""Past crawl runs of a source, as polling and health checks read them.

``crawl_runs`` rows become ``RunRecord`` values here, once, so the policies
in ``crawler.polling`` and ``crawler.health`` stay pure functions of plain
data and are tested without a database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wirewatch.pipelines.outcomes import (
    BLOCKED,
    CONSENT_WALL,
    EXTRACTION_FAILED,
    NOT_ARTICLE,
    PAYWALL,
)

# Outcome kinds that say nothing about why a *run* failed.
_NOT_FAILURES = frozenset({"not_article", "dropped"})
# Article pages fetched but turned away: walls, pages that hold no article, and
# pages the extractor could not handle.  Only article pages (items) get these
# verdicts, so their count never exceeds ``article_pages``.
REJECTION_KINDS = frozenset({BLOCKED, CONSENT_WALL, PAYWALL, NOT_ARTICLE, EXTRACTION_FAILED})


def rejected_pages(outcomes: Mapping[str, int]) -> int:
    """How many of the counted outcomes are rejections (``REJECTION_KINDS``)."""
    return sum(n for kind, n in outcomes.items() if kind in REJECTION_KINDS)


@dataclass(frozen=True)
class RunRecord:
    started_at: datetime
    status: str  # running, ok, partial, failed
    finished_at: datetime | None = None
    finish_reason: str | None = None
    pages_fetched: int = 0
    articles_new: int = 0
    articles_stored: int = 0  # new + updated + unchanged
    errors: int = 0
    outcomes: Mapping[str, int] = field(default_factory=dict)
    extraction_yield: float | None = None  # share of article pages with a real body
    median_body_chars: float | None = None
    article_pages: int = 0  # article pages the run fetched (items), from its stats
    # Discovery: "<homepage>: now also ...; no longer ..." when a site moved its listings.
    listing_changes: tuple[str, ...] = ()

    @property
    def interrupted(self) -> bool:
        """Killed before it could record its end (found and marked by housekeeping)."""
        return self.finish_reason == "interrupted"

    @property
    def failed(self) -> bool:
        return self.status == "failed" and not self.interrupted

    @property
    def rejection_share(self) -> float | None:
        """Share of the run's article pages that were rejected; None without any."""
        if not self.article_pages:
            return None
        return min(1.0, rejected_pages(self.outcomes) / self.article_pages)

    @property
    def failure_kind(self) -> str | None:
        """The most frequent error kind of a failed run (``http_429``, ``dns``, ...)."""
        if not self.failed:
            return None
        counts = Counter({k: v for k, v in self.outcomes.items() if k not in _NOT_FAILURES})
        if not counts:
            return "unknown"
        # Ties go to the alphabetically first kind, so the answer is stable.
        return min(counts, key=lambda kind: (-counts[kind], kind))


def from_row(row: Mapping[str, Any]) -> RunRecord:
    stats = row.get("stats") or {}
    return RunRecord(
        started_at=row["started_at"],
        status=row["status"],
        finished_at=row.get("finished_at"),
        finish_reason=row.get("finish_reason"),
        pages_fetched=row.get("pages_fetched") or 0,
        articles_new=row.get("articles_new") or 0,
        articles_stored=(row.get("articles_new") or 0)
        + (row.get("articles_updated") or 0)
        + (row.get("articles_unchanged") or 0),
        errors=row.get("errors") or 0,
        outcomes=dict(stats.get("outcomes") or {}),
        extraction_yield=_float(stats.get("extraction_yield")),
        median_body_chars=_float(stats.get("median_body_chars")),
        article_pages=_int(stats.get("article_pages")),
        listing_changes=_strings(stats.get("listing_changes")),
    )


def group_by_source(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[RunRecord]]:
    """{source: runs newest first}, from rows ordered newest first per source."""
    grouped: dict[str, list[RunRecord]] = {}
    for row in rows:
        grouped.setdefault(row["source"], []).append(from_row(row))
    return grouped


def last_started(history: Iterable[RunRecord]) -> datetime | None:
    """Start of the latest run that counts: interrupted runs are owed a rerun."""
    starts = [run.started_at for run in history if not run.interrupted]
    return max(starts, default=None)


def _int(value: Any) -> int:
    try:
        return 0 if value is None else int(value)
    except (TypeError, ValueError):
        return 0


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value)


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
