"""Feed cursors: what a consumer stores between polls, and what gets refused."""

from __future__ import annotations

import pytest

from wirewatch.pipelines.cursor import START, CursorError, check_not_ahead, parse_cursor
from wirewatch.pipelines.errors import UsageError


def test_a_cursor_is_the_number_in_its_string() -> None:
    assert parse_cursor("1042") == 1042
    assert parse_cursor(" 1042\n") == 1042


def test_no_cursor_means_the_beginning() -> None:
    assert parse_cursor(None) == START == 0
    assert parse_cursor("") == START


@pytest.mark.parametrize(
    "text", ["abc", "-12", "1-2", "1.5", "0x10", "1 2", "٣٤", "1e3", "9" * 19, "12abc"]
)
def test_malformed_cursors_are_usage_errors(text: str) -> None:
    with pytest.raises(CursorError, match="malformed cursor") as raised:
        parse_cursor(text)
    assert isinstance(raised.value, UsageError)
    assert raised.value.exit_status == 2


def test_a_cursor_past_the_newest_change_is_ahead_of_the_feed() -> None:
    check_not_ahead(10, last_seq=10)
    check_not_ahead(START, last_seq=0)
    with pytest.raises(CursorError, match="ahead of the feed"):
        check_not_ahead(11, last_seq=10)
