"""Drift alarms: noticing that a source broke without saying so.

The commonest failure of a news crawler is silent: a redesign and the
extractor returns nothing, or only the cookie banner, while every request
still answers 200.  So each source is compared with *its own* history — a
wire feed and a weekly column have nothing in common — and alarms are raised
when its recent extraction yield or median body length falls well below
that, when its runs keep failing, or when it stops producing anything new.
Pure functions of run records (newest first); the caller does the I/O.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crawler.run_history import RunRecord
from crawler.schedule_config import HealthThresholds

YIELD_DROP = "yield_drop"
BODY_DROP = "body_drop"
FAILING = "failing"
SILENT = "silent"
INVALID = "invalid"  # the source's configuration is wrong: it is not crawled at all


@dataclass(frozen=True)
class Alarm:
    source: str
    kind: str  # YIELD_DROP, BODY_DROP, FAILING or SILENT
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def drift_alarms(
    source: str, history: Sequence[RunRecord], thresholds: HealthThresholds
) -> list[Alarm]:
    """Alarms for one source from its runs, newest first (running ones are ignored)."""
    finished = [r for r in history if r.status != "running" and not r.interrupted]
    alarms: list[Alarm] = []
    failing = _leading(finished, lambda r: r.failed)
    if failing >= thresholds.failing_runs:
        kind = finished[0].failure_kind
        alarms.append(Alarm(source, FAILING, f"the last {failing} runs failed (latest: {kind})"))
    alarms += _metric_drop(
        source,
        finished,
        thresholds,
        YIELD_DROP,
        lambda r: r.extraction_yield,
        thresholds.yield_ratio,
        lambda v: f"{v:.0%}",
        "extraction yield",
    )
    alarms += _metric_drop(
        source,
        finished,
        thresholds,
        BODY_DROP,
        lambda r: r.median_body_chars,
        thresholds.body_ratio,
        lambda v: f"{v:,.0f} characters",
        "median body length",
    )
    silent = _leading(finished, lambda r: r.articles_new == 0)
    produced_before = any(r.articles_new > 0 for r in finished[silent:])
    if silent >= thresholds.silent_runs and produced_before and failing < silent:
        alarms.append(Alarm(source, SILENT, f"no new articles in the last {silent} runs"))
    return alarms


def _leading(runs: Sequence[RunRecord], predicate: Callable[[RunRecord], bool]) -> int:
    count = 0
    for run in runs:
        if not predicate(run):
            break
        count += 1
    return count


def _metric_drop(
    source: str,
    runs: Sequence[RunRecord],
    thresholds: HealthThresholds,
    kind: str,
    metric: Callable[[RunRecord], float | None],
    ratio: float,
    show: Callable[[float], str],
    label: str,
) -> list[Alarm]:
    """An alarm when the median of the recent runs is below ``ratio`` × the usual median."""
    values = [v for r in runs if (v := metric(r)) is not None]
    recent = values[: thresholds.recent_runs]
    baseline = values[thresholds.recent_runs : thresholds.recent_runs + thresholds.baseline_runs]
    if len(recent) < thresholds.recent_runs or len(baseline) < thresholds.min_baseline:
        return []
    now, usual = statistics.median(recent), statistics.median(baseline)
    if usual <= 0 or now >= ratio * usual:
        return []
    return [
        Alarm(
            source,
            kind,
            f"{label} {show(now)} over the last {len(recent)} runs, usually {show(usual)}",
        )
    ]
