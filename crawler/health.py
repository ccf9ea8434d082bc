"""Drift alarms: noticing that a source broke without saying so.

The commonest failure of a news crawler is silent: a redesign and the
extractor returns nothing, or only the cookie banner, while every request
still answers 200.  So each source is compared with *its own* history — a
wire feed and a weekly column have nothing in common — and alarms are raised
when its recent extraction yield or median body length falls well below
that, when the share of its article pages it rejects (walls, pages without
an article, extraction failures) jumps well above that, when its runs keep
failing, or when it stops producing anything new.
Pure functions of run records (newest first); the caller does the I/O.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wirewatch.crawler.run_history import REJECTION_KINDS, RunRecord
from wirewatch.crawler.schedule_config import HealthThresholds

YIELD_DROP = "yield_drop"
BODY_DROP = "body_drop"
FAILING = "failing"
SILENT = "silent"
REJECTION_JUMP = "rejection_jump"
INVALID = "invalid"  # the source's configuration is wrong: it is not crawled at all


@dataclass(frozen=True)
class Alarm:
    source: str
    kind: str  # YIELD_DROP, BODY_DROP, REJECTION_JUMP, FAILING, SILENT or INVALID
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
    alarms += _rejection_jump(source, finished, thresholds)
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
    medians = _recent_and_usual(runs, thresholds, metric)
    if medians is None:
        return []
    now, usual = medians
    if usual <= 0 or now >= ratio * usual:
        return []
    return [
        Alarm(
            source,
            kind,
            f"{label} {show(now)} over the last {thresholds.recent_runs} runs, "
            f"usually {show(usual)}",
        )
    ]


def _rejection_jump(
    source: str, runs: Sequence[RunRecord], thresholds: HealthThresholds
) -> list[Alarm]:
    """An alarm when the recent median rejection share is ``rejection_rise`` above usual.

    The rise is absolute (0.3 = 30 points), so a source that never rejected
    anything is judged too.  The message names the dominant rejection kind,
    which tells a paywall from a bot wall from a redesign.
    """
    medians = _recent_and_usual(runs, thresholds, lambda r: r.rejection_share)
    if medians is None:
        return []
    now, usual = medians
    if now - usual < thresholds.rejection_rise:
        return []
    recent = [r for r in runs if r.rejection_share is not None][: thresholds.recent_runs]
    kinds: Counter[str] = Counter()
    for run in recent:
        kinds.update({k: n for k, n in run.outcomes.items() if k in REJECTION_KINDS and n > 0})
    mostly = f" (mostly {min(kinds, key=lambda k: (-kinds[k], k))})" if kinds else ""
    return [
        Alarm(
            source,
            REJECTION_JUMP,
            f"rejected {now:.0%} of article pages over the last {len(recent)} runs{mostly}, "
            f"usually {usual:.0%}",
        )
    ]


def _recent_and_usual(
    runs: Sequence[RunRecord],
    thresholds: HealthThresholds,
    metric: Callable[[RunRecord], float | None],
) -> tuple[float, float] | None:
    """(median of the recent runs, median of the older ones), or None without enough of either.

    Runs where the metric is unknown (no article pages) are skipped, so a
    quiet run neither counts as recent nor dilutes the baseline.
    """
    values = [v for r in runs if (v := metric(r)) is not None]
    recent = values[: thresholds.recent_runs]
    baseline = values[thresholds.recent_runs : thresholds.recent_runs + thresholds.baseline_runs]
    if len(recent) < thresholds.recent_runs or len(baseline) < thresholds.min_baseline:
        return None
    return statistics.median(recent), statistics.median(baseline)
