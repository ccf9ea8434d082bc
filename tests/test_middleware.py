"""The decisions behind polite incremental fetching, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy import Request

from wirewatch.crawler.middlewares.backoff import backoff_delay, retry_after_seconds
from wirewatch.crawler.middlewares.conditional import (
    conditional_headers,
    in_recheck_window,
    judge_listing,
)
from wirewatch.crawler.middlewares.fetch_state import Ledger, ListingState
from wirewatch.crawler.middlewares.incremental import unknown_requests
from wirewatch.pipelines.urls import url_key

URL = "http://127.0.0.1:8000/feed.xml"
STORED = ListingState(
    url=URL,
    content_hash="aaa",
    etag='"v1"',
    last_modified="Mon, 23 Nov 2026 08:00:00 GMT",
    children=("http://127.0.0.1:8000/child.xml",),
    fetches_since_full=3,
)


def judge(**kwargs: object):
    params = {
        "status": 200,
        "etag": '"v2"',
        "last_modified": None,
        "content_hash": "bbb",
        "conditional": True,
    }
    params.update(kwargs)
    return judge_listing(URL, STORED, **params)  # type: ignore[arg-type]


class TestConditionalHeaders:
    def test_sends_the_stored_validators(self) -> None:
        assert conditional_headers(STORED, True, 12) == {
            "If-None-Match": '"v1"',
            "If-Modified-Since": "Mon, 23 Nov 2026 08:00:00 GMT",
        }

    @pytest.mark.parametrize(
        ("state", "host_trusted"),
        [(None, True), (STORED, False), (ListingState(URL, "aaa", '"v1"', trusted=False), True)],
        ids=["never-fetched", "host-distrusted", "url-distrusted"],
    )
    def test_sends_nothing_without_trustworthy_validators(
        self, state: ListingState | None, host_trusted: bool
    ) -> None:
        assert conditional_headers(state, host_trusted, 12) == {}

    def test_every_nth_fetch_is_a_full_one(self) -> None:
        due = ListingState(URL, "aaa", '"v1"', fetches_since_full=11)
        assert conditional_headers(due, True, 12) == {}
        assert conditional_headers(due, True, 0) == {"If-None-Match": '"v1"'}


class TestJudgeListing:
    def test_304_is_not_modified_and_counts_towards_the_next_full_fetch(self) -> None:
        verdict = judge(status=304, content_hash=None)
        assert verdict.unchanged and verdict.distrust is None
        assert verdict.state == ListingState(**{**STORED.__dict__, "fetches_since_full": 4})

    def test_304_that_was_not_asked_for_is_left_to_fail(self) -> None:
        verdict = judge(status=304, content_hash=None, conditional=False)
        assert not verdict.unchanged and verdict.state is None

    def test_same_bytes_are_not_modified_even_without_a_304(self) -> None:
        verdict = judge(content_hash="aaa", etag=None, conditional=False)
        assert verdict.unchanged
        assert verdict.state is not None and verdict.state.fetches_since_full == 0

    def test_same_bytes_are_reparsed_inside_the_recheck_window(self) -> None:
        assert not judge(content_hash="aaa", reparse=True).unchanged

    def test_changed_content_with_new_validators_is_parsed_and_remembered(self) -> None:
        verdict = judge()
        assert not verdict.unchanged and verdict.distrust is None
        assert verdict.state is not None
        assert (verdict.state.etag, verdict.state.content_hash) == ('"v2"', "bbb")
        assert verdict.state.children == STORED.children  # until the parse says otherwise

    def test_changed_content_under_the_same_etag_exposes_the_server(self) -> None:
        verdict = judge(etag='"v1"', conditional=False)
        assert not verdict.unchanged
        assert verdict.distrust is not None and "ETag" in verdict.distrust
        assert verdict.state is not None and verdict.state.trusted is False

    def test_changed_content_under_the_same_date_without_etag_exposes_the_server(self) -> None:
        verdict = judge(etag=None, last_modified=STORED.last_modified)
        assert verdict.distrust is not None and "Last-Modified" in verdict.distrust

    def test_first_fetch_is_parsed(self) -> None:
        verdict = judge_listing(
            URL, None, status=200, etag=None, last_modified=None, content_hash="x",
            conditional=False,
        )  # fmt: skip
        assert not verdict.unchanged and verdict.state is not None

    def test_error_statuses_change_nothing(self) -> None:
        verdict = judge(status=503, content_hash=None)
        assert not verdict.unchanged and verdict.state is None


def test_recheck_window_follows_the_listings_last_change() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    recent = ListingState(URL, "a", changed_at=now - timedelta(minutes=30))
    old = ListingState(URL, "a", changed_at=now - timedelta(hours=2))
    assert in_recheck_window(recent, 3600, now)
    assert not in_recheck_window(old, 3600, now)
    assert not in_recheck_window(recent, None, now)
    assert not in_recheck_window(None, 3600, now)


class TestLedger:
    def test_only_listings_whose_articles_were_all_handled_are_saved(self) -> None:
        ledger = Ledger()
        clean = ListingState("http://h/clean.xml", "1")
        failed = ListingState("http://h/failed.xml", "2")
        ledger.fetched(clean)
        ledger.fetched(failed)
        ledger.failed_below("http://h/failed.xml")
        ledger.failed_below(None)
        ledger.led_to("http://h/clean.xml", ["http://h/child.xml"])
        assert ledger.states_to_save() == [
            ListingState("http://h/clean.xml", "1", children=("http://h/child.xml",))
        ]


class TestRetryAfter:
    NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            ("120", 120.0),
            (" 3 ", 3.0),
            ("Mon, 23 Nov 2026 12:01:30 GMT", 90.0),
            ("Mon, 23 Nov 2026 11:00:00 GMT", 0.0),
            (None, None),
            ("", None),
            ("soon", None),
            ("-5", None),
        ],
    )
    def test_delta_seconds_and_http_dates(self, value: str | None, seconds: float | None) -> None:
        assert retry_after_seconds(value, self.NOW) == seconds

    def test_backoff_is_what_the_server_asked_else_exponential_and_capped(self) -> None:
        assert backoff_delay(7.0, 0, base=1.0, cap=60.0) == 7.0
        assert [backoff_delay(None, n, base=1.0, cap=6.0) for n in range(4)] == [1, 2, 4, 6]


def test_stored_articles_are_dropped_and_each_page_requested_once() -> None:
    requests = [
        Request("http://127.0.0.1/news/1.html"),
        Request("http://127.0.0.1/news/2.html"),
        Request("http://127.0.0.1/news/2.html/"),  # same page, other spelling
        Request("http://127.0.0.1/news/3.html"),
    ]
    fresh = unknown_requests(requests, {url_key("http://127.0.0.1/news/1.html")})
    assert [r.url for r in fresh] == [
        "http://127.0.0.1/news/2.html",
        "http://127.0.0.1/news/3.html",
    ]
