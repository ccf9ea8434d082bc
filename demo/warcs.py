"""WARC files of a generated newsroom, for import tests and benchmarks.

Every page is the original HTML of :class:`~demo.generated.GeneratedNewsroom`
(nothing copied from third-party sites), archived as a ``response`` record
under ``https://<site>.example/...``, so each outlet has its own host as in a
real crawl archive.  ``odd_records`` writes the records an importer must
skip: revisits, requests, metadata, images, 404s, oversized pages and a
response without a target URI.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from demo.generated import GeneratedNewsroom

HTML = "text/html; charset=utf-8"


def article_url(room: GeneratedNewsroom, i: int) -> str:
    site = room.article(i).site
    return f"https://{site}.example{room.path(i)}"


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_response(
    writer: WARCWriter,
    url: str | None,
    body: bytes,
    *,
    content_type: str | None = HTML,
    status: str = "200 OK",
    when: datetime | None = None,
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": _date(when or datetime.now(UTC))}
    record = writer.create_warc_record(
        url or "",
        "response",
        payload=io.BytesIO(body),
        http_headers=http,
        warc_headers_dict=warc_headers,
    )
    if url is None:
        record.rec_headers.remove_header("WARC-Target-URI")
    writer.write_record(record)


def write_request(writer: WARCWriter, url: str) -> None:
    http = StatusAndHeaders(
        f"GET {url.split('.example', 1)[-1]} HTTP/1.1", [("Host", "x")], is_http_request=True
    )
    writer.write_record(writer.create_warc_record(url, "request", http_headers=http))


def write_articles(
    room: GeneratedNewsroom,
    ids: Iterable[int],
    out: BinaryIO,
    *,
    gzip: bool = True,
    with_requests: bool = False,
) -> int:
    """Archive articles ``ids`` of ``room``; returns the number of pages written."""
    writer = WARCWriter(out, gzip=gzip)
    written = 0
    for i in ids:
        url = article_url(room, i)
        origin = url.split(room.path(i), 1)[0]
        resource = room.get(room.path(i), origin)
        assert resource is not None
        if with_requests:
            write_request(writer, url)
        when = room.article(i).published
        write_response(writer, url, resource.body, when=when)
        written += 1
    return written


def write_newsroom_warcs(
    room: GeneratedNewsroom,
    directory: Path,
    files: int = 2,
    *,
    gzip: bool = True,
    with_requests: bool = False,
) -> list[Path]:
    """All of ``room``'s articles in ``files`` WARC files (contiguous runs of ids)."""
    directory.mkdir(parents=True, exist_ok=True)
    n = room.n_articles
    paths = []
    for k in range(files):
        ids = range(k * n // files, (k + 1) * n // files)
        path = directory / f"newsroom-{k:03d}.warc{'.gz' if gzip else ''}"
        with open(path, "wb") as out:
            write_articles(room, ids, out, gzip=gzip, with_requests=with_requests)
        paths.append(path)
    return paths


def odd_records(out: BinaryIO, *, gzip: bool = True, big_bytes: int = 5 * 1024 * 1024 + 10) -> dict:
    """Records an importer skips, one of each kind; returns {kind: count} it should report."""
    writer = WARCWriter(out, gzip=gzip)
    page = b"<!DOCTYPE html><html><body><p>" + b"Not to be imported. " * 40 + b"</p></body></html>"
    revisit = writer.create_revisit_record(
        "https://odd.example/revisited",
        digest="sha1:AAAA",
        refers_to_uri="https://odd.example/",
        refers_to_date="2026-01-01T00:00:00Z",
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", HTML)], protocol="HTTP/1.1"),
    )
    writer.write_record(revisit)
    write_request(writer, "https://odd.example/requested")
    writer.write_record(
        writer.create_warc_record(
            "https://odd.example/meta",
            "metadata",
            payload=io.BytesIO(b"fetchTimeMs: 12\n"),
            warc_content_type="application/warc-fields",
        )
    )
    write_response(
        writer,
        "https://odd.example/logo.png",
        b"\x89PNG\r\n\x1a\n" + bytes(300),
        content_type="image/png",
    )
    write_response(writer, "https://odd.example/missing", page, status="404 Not Found")
    write_response(writer, "https://odd.example/huge", b"<html><body>" + b"x" * big_bytes)
    write_response(writer, None, page)
    return {
        "revisit": 1,
        "not_response": 2,
        "not_html": 1,
        "not_200": 1,
        "too_large": 1,
        "no_target_uri": 1,
    }
