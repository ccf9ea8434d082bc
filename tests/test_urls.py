"""URL identity: one page, one key."""

from __future__ import annotations

import pytest

from wirewatch.pipelines.urls import clean_url, outlet_of, url_key


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.example.com/world/story-1",
        "https://example.com/world/story-1/",
        "http://EXAMPLE.com/world/story-1?utm_source=rss&utm_medium=feed",
        "https://example.com/world/story-1#comments",
        "https://example.com/world/story-1?fbclid=abc123",
    ],
)
def test_spellings_of_one_page_share_a_key(variant: str) -> None:
    assert url_key(variant) == "example.com/world/story-1"


def test_meaningful_query_parameters_are_kept() -> None:
    assert url_key("https://example.com/story?id=3") != url_key("https://example.com/story?id=4")


def test_non_default_ports_distinguish_sites() -> None:
    assert url_key("http://127.0.0.1:8001/a") != url_key("http://127.0.0.1:8002/a")


def test_clean_url_keeps_a_fetchable_url() -> None:
    assert clean_url("https://www.example.com/a?utm_campaign=x#top") == "https://www.example.com/a"
    assert outlet_of("https://www.example.com/a") == "example.com"
