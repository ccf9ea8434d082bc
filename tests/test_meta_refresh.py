"""Meta-refresh redirects are followed from the head of a page, whatever its size."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from wirewatch.crawler.middlewares.meta_refresh import HEAD_BYTES, HeadMetaRefreshMiddleware
from wirewatch.crawler.settings import DOWNLOADER_MIDDLEWARES

URL = "https://news.example/2026/story.html"
REFRESH = '<meta http-equiv="refresh" content="0; url=https://news.example/moved.html">'
BULK = "<p>" + "A paragraph of the page that is not its head. " * 40 + "</p>"


def page(head: str, paragraphs: int) -> HtmlResponse:
    html = f"<html><head><title>Story</title>{head}</head><body>{BULK * paragraphs}</body></html>"
    headers = {"Content-Type": "text/html; charset=utf-8"}
    return HtmlResponse(URL, body=html.encode(), headers=headers)


def middleware() -> HeadMetaRefreshMiddleware:
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={}))


def test_a_refresh_in_the_head_of_a_large_page_redirects() -> None:
    response = page(REFRESH, paragraphs=200)
    assert len(response.body) > 10 * HEAD_BYTES
    answer = middleware().process_response(Request(URL), response)
    assert isinstance(answer, Request) and answer.url == "https://news.example/moved.html"


def test_a_page_without_one_comes_back_as_it_was_and_is_never_decoded_whole() -> None:
    response = page("", paragraphs=200)
    assert middleware().process_response(Request(URL), response) is response
    assert getattr(response, "_cached_ubody", None) is None  # response.text never built


def test_small_pages_and_the_scrapy_default_is_replaced() -> None:
    answer = middleware().process_response(Request(URL), page(REFRESH, paragraphs=1))
    assert isinstance(answer, Request) and answer.url.endswith("/moved.html")
    assert (
        DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"]
        is None
    )


@pytest.mark.parametrize(
    "head",
    [
        '<meta content="5;URL=https://news.example/moved.html" HTTP-EQUIV="Refresh">',
        '<meta http-equiv="content-type" content="text/html"><meta http-equiv="refresh"'
        ' content="0; url=https://news.example/moved.html">',
    ],
)
def test_a_refresh_in_any_case_or_order_redirects(head: str) -> None:
    for paragraphs in (1, 200):
        answer = middleware().process_response(Request(URL), page(head, paragraphs))
        assert isinstance(answer, Request) and answer.url.endswith("/moved.html")


def test_a_refresh_in_utf16_redirects() -> None:
    html = f"<html><head>{REFRESH}</head><body>{BULK}</body></html>"
    headers = {"Content-Type": "text/html; charset=utf-16"}
    response = HtmlResponse(URL, body=html.encode("utf-16"), headers=headers)
    answer = middleware().process_response(Request(URL), response)
    assert isinstance(answer, Request) and answer.url.endswith("/moved.html")


def test_a_small_page_without_http_equiv_is_not_decoded() -> None:
    response = page('<meta name="description" content="refresh &amp; renew">', paragraphs=1)
    assert middleware().process_response(Request(URL), response) is response
    assert getattr(response, "_cached_ubody", None) is None
