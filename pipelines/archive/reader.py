"""Reading an archived page back from the pointer an article row stores.

Exactly the pointer's bytes are read and inflated as one gzip member, which
must end where the pointer says: gzip's CRC and length check the whole
record, so a record cut short by a kill, or damaged on disk, is refused
(:class:`Unreadable`), never parsed as a page.  Only a ``response`` record
is a page.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.recordloader import ArcWarcRecordLoader

from wirewatch.pipelines.archive.files import located
from wirewatch.pipelines.archive.writer import ENCODING_HEADER
from wirewatch.pipelines.warc_reader import warc_date

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
# Kinds of unreadable record (counted and logged by re-extraction).
NO_FILE = "file_missing"
DAMAGED = "record_damaged"


class Unreadable(Exception):
    """The archived page cannot be read: its file is gone or its record is incomplete."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind


@dataclass(frozen=True)
class ArchivedPage:
    url: str  # the record's target: the page's URL after redirects
    status: int
    body: bytes
    encoding: str | None
    fetched_at: datetime | None


def read_member(path: Path, offset: int, length: int) -> bytes:
    """The inflated gzip member of ``length`` bytes at ``offset`` of ``path``."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            raw = handle.read(length)
    except OSError as exc:
        raise Unreadable(NO_FILE, f"{path}: {exc.strerror or exc}") from None
    if len(raw) < length:
        raise Unreadable(DAMAGED, f"{path}: the file ends inside the record at byte {offset}")
    inflater = zlib.decompressobj(31)
    try:
        data = inflater.decompress(raw)
    except zlib.error as exc:
        raise Unreadable(DAMAGED, f"{path}: record at byte {offset} is damaged: {exc}") from None
    if not inflater.eof or inflater.unused_data:
        raise Unreadable(DAMAGED, f"{path}: no complete record at byte {offset}")
    return data


def parse_page(data: bytes, where: str) -> ArchivedPage:
    """The page of an inflated WARC response record."""
    try:
        record = ArcWarcRecordLoader().parse_record_stream(BytesIO(data))
    except Exception as exc:  # warcio raises several kinds on a record it cannot parse
        raise Unreadable(DAMAGED, f"{where}: not a WARC record: {exc}") from None
    if record.rec_type != "response" or record.http_headers is None:
        raise Unreadable(DAMAGED, f"{where}: a {record.rec_type} record, not a response")
    headers, http = record.rec_headers, record.http_headers
    encoding = headers.get_header(ENCODING_HEADER)
    if not encoding and (match := _CHARSET.search(http.get_header("Content-Type") or "")):
        encoding = match.group(1)
    try:
        status = int(http.get_statuscode() or 0)
    except ValueError:
        status = 0
    return ArchivedPage(
        url=(headers.get_header("WARC-Target-URI") or "").strip("<>"),
        status=status,
        body=record.content_stream().read(),
        encoding=encoding,
        fetched_at=warc_date(headers.get_header("WARC-Date")),
    )


def read_page(root: Path, name: str, offset: int, length: int) -> ArchivedPage:
    """The page an article row points at (``root``: the archive directory)."""
    path = located(root, name)
    if path is None:
        raise Unreadable(NO_FILE, f"{root / name}: no such file")
    return parse_page(read_member(path, offset, length), f"{path} at byte {offset}")


def reextract_in_worker(
    root: str, name: str, offset: int, length: int, site: Any
) -> dict[str, Any]:
    """Run in an extraction worker: read the archived page and extract it as the crawl
    does (its wall gate, then extraction with the site's boilerplate, as
    ``pipelines.extraction.extract_in_worker``, whose module is not imported here: it
    would cost every new worker an import of Scrapy); ``{"unreadable": kind, "detail"}``
    when the record cannot be read.  No dedupe fingerprint: most pages come out
    unchanged, and storing computes it for the ones that changed."""
    from wirewatch.pipelines.extract import extract_article
    from wirewatch.pipelines.walls import gate

    try:
        page = read_page(Path(root), name, offset, length)
    except Unreadable as exc:
        return {"unreadable": exc.kind, "detail": str(exc)}
    meta = {"final_url": page.url, "status": page.status, "fetched_at": page.fetched_at}
    if wall := gate(page.status or 200, page.url):
        return {**meta, "reason": wall.kind, "detail": wall.reason}
    result = extract_article(page.body, page.url, site, encoding=page.encoding).as_dict()
    for unused in ("blocks", "dropped"):  # for learning boilerplate, which this does not do
        result.pop(unused, None)
    return {**meta, **result}
