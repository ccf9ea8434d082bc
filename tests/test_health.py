"""Drift alarms: a source compared with its own history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wirewatch.crawler.health import (
    BODY_DROP,
    FAILING,
    REJECTION_JUMP,
    SILENT,
    YIELD_DROP,
    drift_alarms,
)
from wirewatch.crawler.run_history import RunRecord, from_row
from wirewatch.crawler.schedule_config import HealthThresholds

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMITS = HealthThresholds(failing_runs=3, silent_runs=6, recent_runs=3, min_baseline=5)


def runs(*specs: dict) -> list[RunRecord]:
    """Run records, newest first, 15 minutes apart."""
    out = []
    for i, spec in enumerate(specs):
        values = {
            "status": "ok",
            "articles_new": 2,
            "extraction_yield": 0.95,
            "median_body_chars": 3000.0,
        }
        values.update(spec)
        out.append(RunRecord(started_at=T0 - timedelta(minutes=15 * i), **values))
    return out


def kinds(history: list[RunRecord]) -> list[str]:
    return [a.kind for a in drift_alarms("daily", history, LIMITS)]


def test_a_steady_source_raises_no_alarm() -> None:
    assert kinds(runs(*[{}] * 12)) == []


def test_a_redesign_that_breaks_extraction_raises_a_yield_alarm() -> None:
    broken = [{"extraction_yield": 0.05, "articles_new": 0}] * 3
    alarms = drift_alarms("daily", runs(*broken, *[{}] * 10), LIMITS)
    assert [a.kind for a in alarms] == [YIELD_DROP]
    assert "5%" in alarms[0].message and "95%" in alarms[0].message


def test_bodies_shrinking_to_a_teaser_raise_a_body_length_alarm() -> None:
    teaser = [{"median_body_chars": 400.0}] * 3
    assert kinds(runs(*teaser, *[{}] * 10)) == [BODY_DROP]


def test_one_bad_run_is_not_yet_drift() -> None:
    assert kinds(runs({"extraction_yield": 0.0}, *[{}] * 10)) == []


def test_drift_needs_enough_history_to_compare_with() -> None:
    assert kinds(runs(*[{"extraction_yield": 0.05}] * 3, {}, {})) == []


def test_runs_that_keep_failing_raise_a_failing_alarm() -> None:
    failing = {"status": "failed", "outcomes": {"http_503": 1}, "articles_new": 0}
    alarms = drift_alarms("daily", runs(failing, failing, failing, {}), LIMITS)
    assert [a.kind for a in alarms] == [FAILING]
    assert "http_503" in alarms[0].message
    assert kinds(runs(failing, failing, {}, {})) == []


def test_a_source_that_stops_producing_raises_a_silent_alarm() -> None:
    assert kinds(runs(*[{"articles_new": 0}] * 6, {})) == [SILENT]
    assert kinds(runs(*[{"articles_new": 0}] * 5, {})) == []


def test_a_source_that_never_produced_anything_is_not_silent_but_new() -> None:
    assert kinds(runs(*[{"articles_new": 0}] * 8)) == []


def test_running_and_interrupted_runs_are_ignored() -> None:
    history = runs(
        {"status": "running", "extraction_yield": None},
        {"status": "failed", "finish_reason": "interrupted"},
        *[{}] * 10,
    )
    assert kinds(history) == []


def test_run_records_read_the_metrics_the_recorder_stores() -> None:
    record = from_row(
        {
            "started_at": T0,
            "status": "failed",
            "articles_new": 1,
            "articles_updated": 2,
            "articles_unchanged": 3,
            "stats": {
                "outcomes": {"http_429": 3, "timeout": 1, "not_article": 9},
                "extraction_yield": 0.5,
                "median_body_chars": 1200,
            },
        }
    )
    assert record.articles_stored == 6
    assert record.failure_kind == "http_429"
    assert record.extraction_yield == 0.5
    assert record.median_body_chars == 1200.0


def test_a_run_measures_yield_and_median_body_length_of_its_article_pages() -> None:
    from wirewatch.crawler.extensions.crawl_runs import run_metrics

    assert run_metrics(4, [1000, 3000, 2000]) == {
        "article_pages": 4,
        "bodies": 3,
        "extraction_yield": 0.75,
        "median_body_chars": 2000,
    }
    assert run_metrics(0, []) == {
        "article_pages": 0,
        "bodies": 0,
        "extraction_yield": None,
        "median_body_chars": None,
    }


def rejecting(share: float, kind: str = "paywall", pages: int = 20) -> dict:
    """A run that fetched ``pages`` article pages and rejected ``share`` of them as ``kind``."""
    rejected = round(share * pages)
    return {"article_pages": pages, "outcomes": {kind: rejected, "http_404": 3}}


def test_a_source_suddenly_walled_raises_a_rejection_alarm_naming_the_wall() -> None:
    history = runs(*[rejecting(0.7)] * 3, *[rejecting(0.05, "not_article")] * 10)
    alarms = drift_alarms("daily", history, LIMITS)
    assert [a.kind for a in alarms] == [REJECTION_JUMP]
    assert alarms[0].message == (
        "rejected 70% of article pages over the last 3 runs (mostly paywall), usually 5%"
    )


def test_a_source_that_always_rejects_as_much_raises_no_rejection_alarm() -> None:
    # A section source whose listings lead to many index pages: high, but usual.
    assert kinds(runs(*[rejecting(0.6, "not_article")] * 13)) == []


def test_a_rise_below_the_threshold_is_not_a_jump() -> None:
    history = runs(*[rejecting(0.3)] * 3, *[rejecting(0.05)] * 10)
    assert kinds(history) == []
    lower = HealthThresholds(recent_runs=3, min_baseline=5, rejection_rise=0.2)
    assert [a.kind for a in drift_alarms("daily", history, lower)] == [REJECTION_JUMP]


def test_a_rejection_jump_needs_recent_runs_and_a_baseline_with_article_pages() -> None:
    # One walled run is noise; runs that fetched no article page say nothing.
    assert kinds(runs(rejecting(1.0), *[rejecting(0.0)] * 10)) == []
    quiet = {"article_pages": 0, "outcomes": {}}
    assert kinds(runs(*[rejecting(0.9)] * 3, *[quiet] * 10)) == []
    assert kinds(runs(*[rejecting(0.9)] * 2, quiet, rejecting(0.9), *[rejecting(0.0)] * 5)) == [
        REJECTION_JUMP
    ]


def test_only_rejections_count_towards_the_rejection_share() -> None:
    record = runs({"article_pages": 10, "outcomes": {"blocked": 2, "timeout": 5, "http_404": 4}})
    assert record[0].rejection_share == 0.2
    assert runs({"article_pages": 0})[0].rejection_share is None


def test_run_records_read_the_article_pages_the_recorder_stores() -> None:
    record = from_row(
        {
            "started_at": T0,
            "status": "ok",
            "stats": {"article_pages": 8, "outcomes": {"consent_wall": 2, "not_article": 2}},
        }
    )
    assert record.article_pages == 8
    assert record.rejection_share == 0.5
    assert from_row({"started_at": T0, "status": "ok", "stats": {}}).rejection_share is None
