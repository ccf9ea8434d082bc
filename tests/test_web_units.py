"""The web interface's pure parts: diff, chart, cursors, sessions, throttling, settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from wirewatch.crawler.config import loads_config
from wirewatch.crawler.web.chart import day_bars
from wirewatch.crawler.web.data import (
    BadRequest,
    StoryFilters,
    decode_cursor,
    encode_cursor,
    filter_condition,
    timeline,
)
from wirewatch.crawler.web.diff import word_diff
from wirewatch.crawler.web.security import (
    LoginThrottle,
    Session,
    bearer_matches,
    csrf_token,
    csrf_valid,
    decode_session,
    encode_session,
    password_matches,
)
from wirewatch.crawler.web.settings import WebSettings, bind_problem, is_loopback
from wirewatch.pipelines.errors import ConfigError

KEY = b"0123456789abcdef0123456789abcdef"


def test_word_diff_names_what_an_outlet_cut_and_added() -> None:
    canonical = "VELMAR (MPA) — The bank raised rates. Economists were split."
    copy = "The bank raised rates, a spokesman said. Economists were split."
    diff = word_diff(canonical, copy)
    kinds = [(s.kind, s.text) for s in diff.segments]
    assert ("cut", "VELMAR (MPA) —") in kinds
    assert ("cut", "rates.") in kinds and ("added", "rates, a spokesman said.") in kinds
    assert diff.cut == 4 and diff.added == 4 and diff.same == 6
    assert word_diff("same  words\nhere", "same words here").identical
    assert word_diff(None, "new text").added == 2


def test_long_unchanged_runs_are_elided() -> None:
    words = " ".join(f"w{i}" for i in range(100))
    diff = word_diff(words + " end", words + " fin", context=5)
    assert [s.kind for s in diff.segments] == ["same", "skip", "same", "cut", "added"]
    assert diff.segments[1].text == "90 unchanged words"


def test_day_bars_scale_to_the_busiest_day() -> None:
    today = date(2026, 3, 30)
    chart = day_bars({today: {"new": 10, "errors": 10, "runs": 4},
                      date(2026, 3, 1): {"new": 5}}, today)  # fmt: skip
    assert len(chart.bars) == 30 and chart.peak == 20
    assert chart.bars[-1].height == chart.bars[-1].error_height == pytest.approx(19.5)
    assert chart.bars[0].height == pytest.approx(9.75) and chart.bars[1].height == 0
    assert chart.bars[-1].label == "2026-03-30: 10 new, 10 errors, 4 runs"
    assert day_bars({}, today).peak == 0


def test_cursors_round_trip_and_reject_garbage() -> None:
    when = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(when, 42)) == (when, 42)
    for bad in ("", "abc", "1.2.3", "-1.4", "1;DROP"):
        with pytest.raises(BadRequest):
            decode_cursor(bad)


def test_filters_are_bound_parameters() -> None:
    condition = filter_condition(
        StoryFilters(
            source="x' OR 1=1 --", language="en-GB", since="2026-03-01", until="2026-03-02"
        )
    )
    assert condition is not None
    assert condition.params["f_source"] == "x' OR 1=1 --"
    assert condition.params["f_language"] == "en"
    assert condition.params["f_until"] - condition.params["f_since"] == timedelta(days=2)
    assert filter_condition(StoryFilters()) is None
    with pytest.raises(BadRequest, match="language"):
        filter_condition(StoryFilters(language="english!"))
    with pytest.raises(BadRequest, match="since"):
        filter_condition(StoryFilters(since="yesterday"))


def test_timeline_orders_outlets_by_publication() -> None:
    t0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
    copies = [
        {"article_id": 1, "outlet": "wire", "published": t0, "first_seen": t0 + timedelta(hours=2)},
        {
            "article_id": 2,
            "outlet": "late",
            "published": None,
            "first_seen": t0 + timedelta(hours=4),
        },
        {"article_id": 3, "outlet": "wire", "published": t0, "first_seen": t0 + timedelta(hours=5)},
    ]
    entries = timeline(copies)
    assert [e.outlet for e in entries] == ["wire", "late"]
    assert entries[0].delay is None and entries[1].delay == timedelta(hours=4)
    assert entries[0].published_at == 0 and entries[0].seen_at == 0.5
    assert entries[1].published_at is None and entries[1].seen_at == 1


def test_sessions_are_signed_and_expire() -> None:
    session = Session("abc", True, int(datetime.now(UTC).timestamp()))
    cookie = encode_session(KEY, session)
    assert decode_session(KEY, cookie) == session
    assert decode_session(b"another key, just as long......", cookie) is None
    body, mac = cookie.split(".")
    assert decode_session(KEY, body[:-2] + "xx." + mac) is None
    assert decode_session(KEY, "garbage") is None and decode_session(KEY, None) is None
    later = session.iat + 13 * 3600
    assert decode_session(KEY, cookie, now=later) == Session("abc")  # logged out, same id


def test_csrf_tokens_belong_to_one_session() -> None:
    token = csrf_token(KEY, Session("one"))
    assert csrf_valid(KEY, Session("one"), token)
    assert not csrf_valid(KEY, Session("two"), token)
    assert not csrf_valid(KEY, Session("one"), "")


def test_passwords_and_tokens() -> None:
    assert password_matches("pw", "pw") and not password_matches("pw", "pw2")
    assert not password_matches("pw", None)
    assert bearer_matches("Bearer t2", ["t1", "t2"]) and not bearer_matches("Bearer t3", ["t1"])
    assert not bearer_matches(None, ["t1"]) and not bearer_matches("Basic t1", ["t1"])


def test_login_throttle_per_address_and_overall() -> None:
    throttle = LoginThrottle(per_address=3, overall=5, window=60)
    for _ in range(3):
        assert throttle.retry_after("a", now=0) == 0
        throttle.failed("a", now=0)
    assert 0 < throttle.retry_after("a", now=1) <= 60
    assert throttle.retry_after("b", now=1) == 0
    assert throttle.retry_after("a", now=61) == 0  # the window passed
    for address in ("b", "b", "c", "c", "e"):
        throttle.failed(address, now=62)
    assert throttle.retry_after("d", now=63) > 0  # five failures from all addresses
    throttle.succeeded("a")


def test_web_settings_and_binding() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert bind_problem(WebSettings(host="0.0.0.0")) is not None
    assert bind_problem(WebSettings(host="0.0.0.0", password_env="PW")) is None
    config = loads_config('[web]\nhost = "0.0.0.0"\ntokens_env = "TOKENS"\npublic_read = true\n')
    assert config.web.needs_login and config.web.public_read
    with pytest.raises(ConfigError) as problem:
        loads_config('[web]\nport = "80"\npassword_env = "not a name"\npublic_url = "ftp://x"\n')
    message = str(problem.value)
    assert "'port'" in message and "'password_env'" in message and "'public_url'" in message
    settings = WebSettings(tokens_env="TOKENS")
    assert settings.tokens({"TOKENS": "a, b\nc"}) == ("a", "b", "c")
