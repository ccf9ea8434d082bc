"""The spiders' callbacks, checked once here instead of on every response.

Scrapy warns when a generator callback returns a value (the value is lost), but
it re-parses the callback's source for each response to find out, so the crawl
turns that check off (``WARN_ON_GENERATOR_RETURN_VALUE``) and this test runs it.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator

import pytest
from scrapy.utils.misc import is_generator_with_return_value

from wirewatch.crawler import settings
from wirewatch.crawler.middlewares.conditional import ConditionalGetMiddleware
from wirewatch.crawler.spiders.feed import FeedSpider
from wirewatch.crawler.spiders.section import SectionSpider
from wirewatch.crawler.spiders.sitemap import SitemapSpider

CALLBACKS = [
    FeedSpider.parse,
    SectionSpider.parse,
    SitemapSpider.parse,
    SitemapSpider.parse_article,
    SitemapSpider.failed,
    ConditionalGetMiddleware.listing_unchanged,
]


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda f: f.__qualname__)
def test_no_generator_callback_returns_a_value(callback: object) -> None:
    assert not is_generator_with_return_value(callback)  # type: ignore[arg-type]


def test_the_check_sees_a_generator_that_returns_a_value() -> None:
    def parse(response: object) -> Generator[object, None, str]:
        yield response
        return "lost"

    assert inspect.isgeneratorfunction(parse)
    assert is_generator_with_return_value(parse)


def test_the_per_response_check_is_off_in_the_crawl() -> None:
    assert settings.WARN_ON_GENERATOR_RETURN_VALUE is False
