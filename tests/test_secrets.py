"""Secrets in source URLs: refused in the config, sent only where they belong, never shown.

Passwords go in ``username`` + ``password_env``; tokens that sites put in a
feed's query string (``?token=…``) are redacted wherever a URL is printed,
logged or stored.  The crawls run the real CLI against a loopback server.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.pages import article, feed
from wirewatch.crawler.config import loads_config
from wirewatch.crawler.demo.server import FixtureServer, Handler, Request, Response, raw, status
from wirewatch.pipelines.errors import ConfigError
from wirewatch.pipelines.redact import redact_text, redact_url

SECRET = "s3cretPW"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:s3cretPW@127.0.0.1:8080/feed", "http://***@127.0.0.1:8080/feed"),
        ("https://h.example/f?a=1&token=s3cret&b=2", "https://h.example/f?a=1&token=***&b=2"),
        ("https://h.example/f?API-Key=s3cret", "https://h.example/f?API-Key=***"),
        ("https://h.example/f?X-Amz-Signature=s3cret", "https://h.example/f?X-Amz-Signature=***"),
        ("https://h.example/cb#access_token=s3cret", "https://h.example/cb#access_token=***"),
        ("https://h.example/f?my_token=s3cret;x=1", "https://h.example/f?my_token=***;x=1"),
        ("http://u:s3cret@[::1/x?key=s3cret", "http://***@[::1/x?key=***"),  # malformed
        # Nothing secret: the URL comes back exactly as it was.
        (
            "https://h.example/a%20b?keyword=x&monkey=1",
            "https://h.example/a%20b?keyword=x&monkey=1",
        ),
        ("https://h.example/f?token=", "https://h.example/f?token="),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_finds_urls_in_log_lines() -> None:
    line = "Crawled (404) <GET http://u:s3cret@h.example/feed?sig=s3cret> (referer: None)"
    assert "s3cret" not in redact_text(line)
    assert redact_text(line).startswith("Crawled (404) <GET http://***@h.example/feed?sig=***>")


def test_credentials_in_a_source_url_are_refused_without_printing_them() -> None:
    text = f'[[source]]\nname = "x"\nkind = "feed"\nurl = "http://alice:{SECRET}@h.example/f"\n'
    with pytest.raises(ConfigError) as raised:
        loads_config(text, "wirewatch.toml")
    message = str(raised.value)
    assert SECRET not in message and "alice" not in message
    assert (
        "source 'x': field 'url': credentials in the URL are not allowed; "
        "use username and password_env" in message
    )


def test_basic_auth_fields_are_checked_and_the_password_never_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    head = '[[source]]\nname = "x"\nkind = "feed"\n'
    monkeypatch.delenv("WW_TEST_FEED_PW", raising=False)
    with pytest.raises(ConfigError, match="environment variable WW_TEST_FEED_PW is not set"):
        loads_config(head + 'url = "https://h.example/f"\nusername = "u"\n'
                     'password_env = "WW_TEST_FEED_PW"\n')  # fmt: skip
    monkeypatch.setenv("WW_TEST_FEED_PW", SECRET)
    with pytest.raises(ConfigError, match="one host") as raised:
        loads_config(head + 'urls = ["https://a.example/f", "https://b.example/f"]\n'
                     'username = "u"\npassword_env = "WW_TEST_FEED_PW"\n')  # fmt: skip
    assert SECRET not in str(raised.value)
    with pytest.raises(ConfigError, match="field 'username'"):
        loads_config(head + 'url = "https://h.example/f"\npassword_env = "WW_TEST_FEED_PW"\n')
    source = loads_config(
        head + 'url = "https://h.example/f"\nusername = "u"\npassword_env = "WW_TEST_FEED_PW"\n'
    ).sources[0]
    assert (source.username, source.password_env) == ("u", "WW_TEST_FEED_PW")
    assert SECRET not in repr(source) and SECRET not in repr(source.as_row())


def test_a_crawl_with_credentials_in_the_url_exits_2_and_prints_no_password(
    tmp_path: Path,
) -> None:
    config = tmp_path / "wirewatch.toml"
    config.write_text(
        f'[[source]]\nname = "locked"\nkind = "feed"\n'
        f'url = "http://user:{SECRET}@127.0.0.1:9/feed"\n'
    )
    result = run_wirewatch("--config", str(config), "crawl")
    assert result.returncode == 2, result.stderr
    assert "credentials in the URL are not allowed" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def _requires_basic_auth(user: str, password: str, handler: Handler) -> Handler:
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def check(req: Request) -> Response:
        if req.headers.get("Authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="feeds"'}, b"login required"
        return handler(req)

    return check


@pytest.fixture
def elsewhere() -> Iterator[tuple[FixtureServer, list[str | None]]]:
    """Another site (another port) a feed links to: records what it was sent."""
    seen: list[str | None] = []

    def record(req: Request) -> Response:
        seen.append(req.headers.get("Authorization"))
        return 200, {"Content-Type": "text/html; charset=utf-8"}, article("Elsewhere", "bus")

    with FixtureServer() as server:
        server.route("/news/elsewhere.html", record)
        yield server, seen


def test_basic_auth_from_password_env_reaches_the_source_host_only(
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    elsewhere: tuple[FixtureServer, list[str | None]],
) -> None:
    other, seen_elsewhere = elsewhere
    monkeypatch.setenv("WW_TEST_FEED_PW", SECRET)
    with FixtureServer() as site:
        base = site.base_url
        paths = ["/news/ferry.html", "/news/bridge.html"]
        listing = feed(base, paths).replace(
            "</channel>",
            f"<item><title>x</title><link>{other.base_url}/news/elsewhere.html</link></item>"
            "</channel>",
        )
        auth = _requires_basic_auth("reader", SECRET, raw(listing, "application/rss+xml"))
        site.route("/feed.xml", auth)
        for path, topic in zip(paths, ["ferry", "bridge"], strict=True):
            site.route(path, _requires_basic_auth("reader", SECRET, raw(article(topic, topic))))
        config = tmp_path / "wirewatch.toml"
        config.write_text(
            f'[[source]]\nname = "members"\nkind = "feed"\nurl = "{base}/feed.xml"\n'
            'username = "reader"\npassword_env = "WW_TEST_FEED_PW"\n'
        )
        result = run_wirewatch("--log-level", "DEBUG", "--config", str(config), "crawl")
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT url FROM wirewatch.articles WHERE url LIKE %s", (base + "%",)
        ).fetchall()
        stored = {url.removeprefix(base) for (url,) in rows}
        assert stored == set(paths)
        assert conn.execute("SELECT count(*) FROM wirewatch.crawl_errors").fetchone()[0] == 0
    # The linked site on another port got the request, but never the password.
    assert seen_elsewhere and all(header is None for header in seen_elsewhere)


def test_a_token_in_a_failing_feed_url_is_in_no_log_error_row_or_view(
    tmp_path: Path, db_url: str
) -> None:
    with FixtureServer() as site:
        base = site.base_url
        site.route("/feed.xml", status(404))
        site.route(
            "/ok.xml",
            raw(feed(base, ["/news/gone.html?api_key=s3cret&page=2"]), "application/rss+xml"),
        )
        site.route("/news/gone.html", status(404))
        config = tmp_path / "wirewatch.toml"
        config.write_text(
            f'[[source]]\nname = "tokened"\nkind = "feed"\nurl = "{base}/feed.xml?token=s3cret"\n'
            f'[[source]]\nname = "keyed"\nkind = "feed"\nurl = "{base}/ok.xml?sig=s3cret"\n'
        )
        text_logs = run_wirewatch("--log-level", "DEBUG", "--config", str(config), "crawl")
        json_logs = run_wirewatch(
            "--json-logs", "--log-level", "DEBUG", "--config", str(config), "crawl"
        )
    for result in (text_logs, json_logs):
        assert result.returncode == 1, result.stderr  # the tokened source failed entirely
        assert "s3cret" not in result.stdout + result.stderr
        assert "token=***" in result.stderr
    with psycopg.connect(db_url) as conn:
        errors = conn.execute(
            "SELECT source, kind, url, message FROM wirewatch.crawl_errors ORDER BY id"
        ).fetchall()
        assert {(source, kind) for source, kind, _, _ in errors} == {
            ("tokened", "http_404"),
            ("keyed", "http_404"),
        }
        assert "s3cret" not in repr(errors)
        assert f"{base}/feed.xml?token=***" in {url for _, _, url, _ in errors}
        views = conn.execute("SELECT source, urls FROM wirewatch_feed.sources").fetchall()
        assert dict(views) == {
            "tokened": [f"{base}/feed.xml?token=***"],
            "keyed": [f"{base}/ok.xml?sig=***"],
        }
