"""One duration syntax everywhere: the config and every command read 15m, 6h, 7d, 2w."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wirewatch.pipelines.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("6h", timedelta(hours=6)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("12 hours", timedelta(hours=12)),
        (" 3 Days ", timedelta(days=3)),
        ("1 week", timedelta(weeks=1)),
        ("0", timedelta(0)),
    ],
)
def test_durations_in_every_unit(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "h", "-3d", "3 fortnights", "1d2h", True, None, -5])
def test_anything_else_says_what_is_expected(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(days=14), "2w"),
        (timedelta(days=90), "90d"),
        (timedelta(hours=36), "36h"),
        (timedelta(minutes=15), "15m"),
        (timedelta(seconds=90), "90s"),
        (timedelta(seconds=1.5), "1.5s"),
        (timedelta(0), "0s"),
    ],
)
def test_a_duration_is_written_as_it_is_read(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value
