"""The URL policy's decisions, the guard's pieces and the run's listing bookkeeping, without I/O."""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from wirewatch.crawler.failures import classify_failure
from wirewatch.crawler.middlewares.url_guard import (
    AddressRefused,
    GuardedResolver,
    UrlGuardMiddleware,
    exempt,
    proxy_hosts,
)
from wirewatch.crawler.spiders.sitemap import SitemapSpider
from wirewatch.pipelines.url_policy import (
    Refusal,
    UrlRefused,
    address_class,
    address_refusal,
    exempt_hosts,
    url_problem,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://news.example/2026/11/story.html",
        "https://NEWS.example:8443/a?b=c#d",
        "http://127.0.0.1:8000/feed.xml",
        "http://[::1]:8000/feed.xml",
        "http://news.example/a path with spaces",  # percent-encoded when requested
        "http://xn--nachrichten-xyz.example/",
        "http://bücher.example/",
    ],
)
def test_http_and_https_urls_pass(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(document.cookie)", "javascript"),
        ("JavaScript:void(0)", "javascript"),
        ("mailto:desk@news.example", "mailto"),
        ("file:/srv/www/page.html", "file"),
        ("file:///etc/passwd", "file"),
        ("file://localhost/srv/www/page.html", "file"),
        ("data:text/html;base64,PHA+aGk8L3A+", "data"),
        ("ftp://ftp.news.example/pub/x.html", "ftp"),
        ("s3://bucket/key.html", "s3"),
        ("gopher://127.0.0.1:6379/_INFO", "gopher"),
        ("tel:+4412345", "tel"),
    ],
)
def test_other_schemes_are_refused_by_name(url: str, scheme: str) -> None:
    refusal = url_problem(url)
    assert refusal is not None and refusal.kind == "unsupported_scheme"
    assert refusal.message.startswith(f"{scheme}: URLs are never fetched")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("news.example/story.html", "no scheme"),
        ("//news.example/story.html", "no scheme"),
        ("http:///story.html", "no host"),
        ("https:story.html", "no host"),
        ("http://news .example/x", "bad host"),
        ("http://news.example/\x01x", "control character"),
        ("http://news.example/x\ny", "control character"),
        ("http://news.example:99999/x", "Port out of range"),
        ("http://news.example:0/x", "port 0"),
        ("http://[not-an-ip]/x", "IPv"),
        ("http://news.example\\@evil.example/", "bad host"),
    ],
)
def test_malformed_urls_are_bad_urls(url: str, why: str) -> None:
    refusal = url_problem(url)
    assert refusal is not None and refusal.kind == "bad_url"
    assert why in refusal.message


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local (cloud metadata service)"),
        ("fd00:ec2::254", "private (cloud metadata service)"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("100.64.0.1", "not globally routable"),
        # IPv6 spellings of IPv4 addresses are judged as the IPv4 address.
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local (cloud metadata service)"),
        ("64:ff9b::a00:1", "private"),
        ("2002:7f00:1::", "loopback"),
    ],
)
def test_non_public_addresses_are_named(address: str, kind: str) -> None:
    assert address_class(address) == kind


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:1.1.1.1"]
)
def test_public_addresses_pass(address: str) -> None:
    assert address_class(address) is None


def test_a_refusal_names_the_host_the_address_and_its_class() -> None:
    refusal = address_refusal("intranet.example", "10.0.0.7")
    assert refusal is not None and refusal.kind == "forbidden_address"
    assert refusal.message.startswith("intranet.example -> 10.0.0.7: private address, not fetched")
    literal = address_refusal("169.254.169.254", "169.254.169.254")
    assert literal is not None
    assert literal.message.startswith("169.254.169.254: link-local (cloud metadata service)")


def test_the_sources_own_hosts_are_exempt_and_nothing_else() -> None:
    own = exempt_hosts(["http://127.0.0.1:8000/feed.xml", "https://Intranet.Example./news/"])
    assert own == {"127.0.0.1", "intranet.example"}
    assert address_refusal("127.0.0.1", "127.0.0.1", own) is None
    assert address_refusal("INTRANET.example", "10.0.0.7", own) is None
    # Another name or spelling of the same machine is another host.
    for host, address in [("localhost", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.0.2",) * 2]:
        assert address_refusal(host, address, own) is not None


def test_refusals_are_classified_by_their_own_kind() -> None:
    for kind in ("unsupported_scheme", "bad_url", "forbidden_address"):
        failure = Failure(UrlRefused(Refusal(kind, f"why {kind}")))
        assert classify_failure(failure) == (kind, f"why {kind}")


# ------------------------------------------------------------------- the guard's pieces


def _resolver() -> GuardedResolver:
    return GuardedResolver(SimpleNamespace(), 0, 5.0)


def test_the_resolver_refuses_non_public_answers_unless_exempt() -> None:
    resolver = _resolver()
    assert resolver._check("93.184.216.34", "news.example") == "93.184.216.34"
    with pytest.raises(AddressRefused, match=re.escape("rebound.example -> 127.0.0.1: loopback")):
        resolver._check("127.0.0.1", "rebound.example")
    with pytest.raises(AddressRefused, match="link-local"):
        resolver._check("169.254.169.254", "169.254.169.254")
    exempt(["feeds.intranet-policy-test.example"])
    assert resolver._check("10.0.0.9", "feeds.intranet-policy-test.example") == "10.0.0.9"


def test_proxies_in_the_environment_may_be_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", "proxy.corp.example:3128")
    monkeypatch.setenv("https_proxy", "http://10.0.0.8:8080")
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    assert proxy_hosts() == {"proxy.corp.example", "10.0.0.8"}


def _middleware(own: list[str], allow_private: bool = False) -> UrlGuardMiddleware:
    stats: dict[str, int] = {}
    crawler: Any = SimpleNamespace(
        stats=SimpleNamespace(inc_value=lambda key, n=1: stats.__setitem__(key, n)),
        signals=SimpleNamespace(connect=lambda *a, **k: None),
    )
    mw = UrlGuardMiddleware(crawler, allow_private)
    mw.spider_opened(SimpleNamespace(source=SimpleNamespace(urls=own)))
    return mw


def _refusal(mw: UrlGuardMiddleware, url: str) -> str | None:
    try:
        asyncio.run(mw.process_request(Request(url)))
    except UrlRefused as exc:
        return exc.kind
    return None


def test_the_middleware_judges_ip_literals_without_a_lookup() -> None:
    mw = _middleware(["http://127.0.0.1:8000/feed.xml"])
    assert _refusal(mw, "http://127.0.0.1:9999/admin") is None  # the source's own host
    assert _refusal(mw, "http://127.0.0.2:8000/news/1.html") == "forbidden_address"
    assert _refusal(mw, "http://169.254.169.254/latest/meta-data/") == "forbidden_address"
    assert _refusal(mw, "http://[::1]:8000/") == "forbidden_address"
    assert _refusal(mw, "http://10.0.0.1/") == "forbidden_address"
    assert _refusal(mw, "ftp://127.0.0.1/x") == "unsupported_scheme"
    assert _refusal(mw, "http://93.184.216.34/") is None
    relaxed = _middleware(["http://127.0.0.1:8000/feed.xml"], allow_private=True)
    assert _refusal(relaxed, "http://169.254.169.254/latest/meta-data/") is None
    assert _refusal(relaxed, "file:///etc/passwd") == "unsupported_scheme"


def test_a_download_the_resolver_stopped_is_a_refusal() -> None:
    mw = _middleware(["http://127.0.0.1:8000/feed.xml"])
    with pytest.raises(AddressRefused):
        _resolver()._check("10.1.1.1", "rebinding-policy-test.example")
    request = Request("http://rebinding-policy-test.example/a")
    error = CannotResolveHostError("no results for hostname lookup: rebinding-policy-test.example")
    with pytest.raises(UrlRefused, match=re.escape("10.1.1.1: private")):
        mw.process_exception(request, error)
    assert mw.process_exception(Request("http://other.example/"), error) is None


# ------------------------------------------------------------ listings visited once per run


def _spider(max_depth: int = 5, max_listings: int = 1000) -> tuple[SitemapSpider, list[dict]]:
    failures: list[dict] = []

    def send_catch_log(signal: object, **kwargs: Any) -> None:
        failures.append(kwargs)

    spider = SitemapSpider(source="maps")
    spider.crawler = SimpleNamespace(  # type: ignore[assignment]
        signals=SimpleNamespace(send_catch_log=send_catch_log),
        stats=SimpleNamespace(inc_value=lambda *a, **k: None),
    )
    spider.max_listing_depth = max_depth
    spider.max_listings = max_listings
    return spider, failures


def _response(request: Request) -> TextResponse:
    return TextResponse(request.url, body=b"", request=request)


def test_a_listing_is_requested_once_per_run_whatever_links_back_to_it() -> None:
    spider, failures = _spider()
    [index] = spider.listing_requests(["http://maps.example/index.xml"])
    children = list(
        spider.listing_requests(
            [
                "http://maps.example/index.xml",  # itself
                "https://www.maps.example/index.xml/?utm_source=x",  # itself, spelt otherwise
                "http://maps.example/a.xml",
                "http://maps.example/a.xml",
            ],
            _response(index),
        )
    )
    assert [r.url for r in children] == ["http://maps.example/a.xml"]
    back = spider.listing_requests(["http://maps.example/index.xml"], _response(children[0]))
    assert list(back) == []
    assert failures == [] and not spider.listings_truncated


def test_listing_depth_and_count_bounds_are_recorded_once_each() -> None:
    spider, failures = _spider(max_depth=2, max_listings=4)
    [parent] = spider.listing_requests(["http://maps.example/d0.xml"])
    for depth in (1, 2):
        [parent] = spider.listing_requests([f"http://maps.example/d{depth}.xml"], _response(parent))
        assert parent.meta["wirewatch_listing_depth"] == depth
    too_deep = ["http://maps.example/d3.xml", "http://maps.example/d3b.xml"]
    assert list(spider.listing_requests(too_deep, _response(parent))) == []
    assert [f["kind"] for f in failures] == ["listing_limit"]
    assert "listing depth limit (2) reached: http://maps.example/d3.xml" in failures[0]["message"]
    # Three listings so far; the fourth is the last one allowed.
    wide = [f"http://maps.example/w{n}.xml" for n in range(5)]
    assert len(list(spider.listing_requests(wide, _response(Request("http://maps.example/"))))) == 1
    assert [f["kind"] for f in failures] == ["listing_limit", "listing_limit"]
    assert "limit of 4 listings per run reached" in failures[1]["message"]
    assert spider.listings_truncated


def test_bad_entries_are_recorded_one_by_one_and_the_rest_requested() -> None:
    spider, failures = _spider()
    [index] = spider.listing_requests(["http://maps.example/index.xml"])
    children = spider.listing_requests(
        ["file:///etc/passwd", "http://maps.example/a.xml", "http:///x"], _response(index)
    )
    assert [r.url for r in children] == ["http://maps.example/a.xml"]
    assert [(f["url"], f["kind"], f["listing"]) for f in failures] == [
        ("file:///etc/passwd", "unsupported_scheme", True),
        ("http:///x", "bad_url", True),
    ]
