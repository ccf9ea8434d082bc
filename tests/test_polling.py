"""Adaptive polling and failure backoff: when a source is crawled next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from wirewatch.crawler.polling import (
    adaptive_interval,
    failure_backoff,
    failure_class,
    is_due,
    next_due,
)
from wirewatch.crawler.run_history import RunRecord, last_started
from wirewatch.crawler.schedule_config import Bounds

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BOUNDS = Bounds(
    default=timedelta(minutes=15), minimum=timedelta(minutes=5), maximum=timedelta(hours=2)
)


def run(minutes_ago: float, new: int = 0, status: str = "ok", **kw: object) -> RunRecord:
    started = T0 - timedelta(minutes=minutes_ago)
    return RunRecord(
        started_at=started,
        finished_at=started + timedelta(seconds=30),
        status=status,
        articles_new=new,
        **kw,  # type: ignore[arg-type]
    )


def failed(minutes_ago: float, kind: str) -> RunRecord:
    return run(minutes_ago, status="failed", outcomes={kind: 2, "not_article": 5})


def test_a_source_never_crawled_is_due_at_once() -> None:
    assert next_due(None, [], BOUNDS) is None
    assert is_due(None, T0)


def test_without_history_the_default_interval_applies() -> None:
    assert adaptive_interval([], BOUNDS) == timedelta(minutes=15)
    assert next_due(T0, [], BOUNDS) == T0 + timedelta(minutes=15)


def test_runs_with_nothing_new_stretch_the_interval_up_to_the_maximum() -> None:
    one_quiet = adaptive_interval([run(15)], BOUNDS)
    assert one_quiet == timedelta(minutes=22, seconds=30)
    many_quiet = adaptive_interval([run(15 * i) for i in range(1, 11)], BOUNDS)
    assert many_quiet == BOUNDS.maximum


def test_busy_runs_shrink_the_interval_down_to_the_minimum() -> None:
    assert adaptive_interval([run(15, new=8)], BOUNDS) == timedelta(minutes=7, seconds=30)
    assert adaptive_interval([run(i * 5, new=20) for i in range(1, 6)], BOUNDS) == BOUNDS.minimum


def test_a_few_new_articles_keep_the_interval() -> None:
    assert adaptive_interval([run(15, new=2), run(30, new=3)], BOUNDS) == BOUNDS.default


def test_the_newest_runs_count_last_so_a_busy_spell_after_quiet_ones_speeds_up() -> None:
    history = [run(10, new=9), run(20, new=9), run(60), run(120), run(240)]  # newest first
    quiet_then_busy = adaptive_interval(history, BOUNDS)
    busy_then_quiet = adaptive_interval(list(reversed(history)), BOUNDS)
    assert quiet_then_busy < busy_then_quiet


def test_a_cron_schedule_wins_over_adaptive_polling() -> None:
    cron = CronTrigger.from_crontab("*/30 * * * *", timezone=UTC)
    last = T0 + timedelta(seconds=3)  # started just after the 12:00 turn
    assert next_due(last, [run(0, new=50)], BOUNDS, cron) == T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("http_429", "rate_limited"),
        ("http_503", "rate_limited"),
        ("http_403", "blocked"),
        ("blocked", "blocked"),
        ("http_404", "gone"),
        ("dns", "network"),
        ("timeout", "network"),
        ("http_502", "server"),
        ("bad_feed", "other"),
    ],
)
def test_failures_are_grouped_by_how_to_back_off(kind: str, expected: str) -> None:
    assert failure_class(kind) == expected


def test_a_failing_source_backs_off_doubling_per_failure_by_kind() -> None:
    one = failure_backoff([failed(1, "http_429")])
    two = failure_backoff([failed(1, "http_429"), failed(20, "http_429")])
    assert one is not None and two is not None
    finished = T0 - timedelta(minutes=1) + timedelta(seconds=30)
    assert one[0] == finished + timedelta(minutes=15)
    assert two[0] == finished + timedelta(minutes=30)
    assert "http_429" in two[1]
    network = failure_backoff([failed(1, "dns")])
    blocked = failure_backoff([failed(1, "http_403")])
    assert network is not None and blocked is not None
    assert network[0] < one[0] < blocked[0]


def test_backoff_is_capped() -> None:
    history = [failed(i, "dns") for i in range(1, 30)]
    until, _ = failure_backoff(history) or (None, "")
    assert until is not None
    assert until - (T0 - timedelta(minutes=1)) <= timedelta(hours=2, seconds=30)


def test_one_good_run_ends_the_backoff() -> None:
    assert failure_backoff([run(1), failed(10, "http_429"), failed(20, "http_429")]) is None


def test_backoff_postpones_the_next_turn() -> None:
    history = [failed(1, "http_403")]
    due = next_due(history[0].started_at, history, BOUNDS)
    assert due is not None and due >= T0 + timedelta(minutes=50)


def test_an_interrupted_run_is_owed_a_rerun_and_is_no_failure() -> None:
    interrupted = run(1, status="failed", finish_reason="interrupted")
    history = [interrupted, run(60, new=2)]
    assert last_started(history) == T0 - timedelta(minutes=60)
    assert failure_backoff(history) is None
    assert is_due(next_due(last_started(history), history, BOUNDS), T0)
