"""Writing fetched pages as WARC: one writer per crawl run and source.

Each page is a ``response`` record followed by the ``request`` record that
fetched it (as warcio writes a pair), each its own gzip member, written with
one ``write`` and so handed to the kernel before :meth:`ArchiveWriter.write`
returns the response record's :class:`Pointer`: an article row that stores
the pointer (after this) always points at a complete record, whatever
happens to the process later.  A kill mid-write leaves at most a partial
member after the last pointer, which :func:`pipelines.archive.files.repair`
cuts off; a failed write (disk full) is undone at once.

The file is ``... .warc.gz.open`` while written, held with an ``flock``; it
is fsynced and renamed when closed: at the end of the run, or when it
reaches the size limit and the next page begins a new file.

The response is recorded as the crawler received it after transfer and
content decoding (Scrapy hands over the decoded body): its
``Transfer-Encoding``/``Content-Encoding`` headers are dropped and
``Content-Length`` is the body's.  Credentials never reach the archive:
``Authorization``, ``Proxy-Authorization`` and ``Cookie`` are dropped from
requests, ``Set-Cookie`` from responses.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from wirewatch.pipelines import __version__
from wirewatch.pipelines.archive.files import file_name, lock, open_path, sync_directory

log = logging.getLogger(__name__)

# On real news pages (benchmarks/archive.py) level 3 keeps 22% of the page in 1.9 ms,
# zlib's default 6 keeps 20% in 6.5 ms and 9 19.8% in 12 ms: a tenth more disk for a
# third of the CPU the crawl's process spends archiving.
COMPRESS_LEVEL = 3
# A WARC header of our own: the encoding the crawl decoded the page with, so
# re-extraction reads it exactly as the crawl did (WARC allows extension fields).
ENCODING_HEADER = "WARC-Wirewatch-Encoding"
_DROP_REQUEST = {"authorization", "proxy-authorization", "cookie"}
_DROP_RESPONSE = {"set-cookie", "transfer-encoding", "content-encoding", "content-length"}

Headers = Iterable[tuple[str, str]]


class ArchiveError(OSError):
    """A page could not be archived (the disk is full, the directory is not writable)."""


@dataclass(frozen=True)
class Pointer:
    """Where a page's response record is: what an article row stores."""

    file: str  # relative to the archive directory
    offset: int  # of the record's gzip member
    length: int  # bytes of that member


@dataclass(frozen=True)
class Fetched:
    """A fetched page, as the crawl received it."""

    url: str
    status: int
    body: bytes
    headers: Headers = ()
    request_headers: Headers = ()
    method: str = "GET"
    encoding: str | None = None  # the one the crawl decoded it with
    ip_address: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def gzip_member(data: bytes) -> bytes:
    compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def kept(headers: Headers, dropped: set[str]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in dropped]


class ArchiveWriter:
    """Appends pages to the current file of one (source, run); thread-safe."""

    def __init__(
        self,
        root: Path,
        source: str,
        run_id: int | None,
        *,
        max_bytes: int,
        started: datetime | None = None,
    ):
        self.root = root
        self.source = source
        self.run_id = run_id
        self.max_bytes = max_bytes
        self.started = (started or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        self.files: list[str] = []  # every file begun, in order
        self.records = 0
        self.bytes = 0
        self._serial = 0
        self._fd: int | None = None
        self._name: str | None = None
        self._size = 0
        self._lock = threading.Lock()
        self._buffer = BytesIO()
        self._warc = WARCWriter(self._buffer, gzip=False)

    # -- records -------------------------------------------------------------------

    def write(self, page: Fetched) -> Pointer:
        """Append the page's response and request records; where the response is."""
        with self._lock:
            record = self._response(page)
            response = self._member(record)
            request = self._member(self._request(page, record))
            self._open()
            assert self._name is not None
            offset = self._append(response + request)
            pointer = Pointer(self._name, offset, len(response))
            self.records += 1
            if self._size >= self.max_bytes:
                self._close_file()
        return pointer

    def _response(self, page: Fetched) -> Any:
        try:
            reason = HTTPStatus(page.status).phrase
        except ValueError:
            reason = "Unknown"
        headers = [*kept(page.headers, _DROP_RESPONSE), ("Content-Length", str(len(page.body)))]
        http = StatusAndHeaders(f"{page.status} {reason}", headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": datetime_to_iso_date(page.fetched_at.replace(tzinfo=None))}
        if page.ip_address:
            warc_headers["WARC-IP-Address"] = page.ip_address
        if page.encoding:
            warc_headers[ENCODING_HEADER] = page.encoding
        return self._warc.create_warc_record(
            page.url,
            "response",
            payload=BytesIO(page.body),
            length=len(page.body),
            http_headers=http,
            warc_headers_dict=warc_headers,
        )

    def _request(self, page: Fetched, response: Any) -> object:
        """The request record, concurrent to ``response`` (same target and date)."""
        parts = urlsplit(page.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [("Host", parts.netloc), *kept(page.request_headers, _DROP_REQUEST)]
        http = StatusAndHeaders(
            f"{page.method} {target} HTTP/1.1", headers, protocol="", is_http_request=True
        )
        return self._warc.create_warc_record(
            page.url,
            "request",
            http_headers=http,
            warc_headers_dict={
                "WARC-Date": response.rec_headers.get_header("WARC-Date"),
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )

    def _member(self, record: object) -> bytes:
        """One record as one gzip member."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._warc.write_record(record)
        return gzip_member(self._buffer.getvalue())

    # -- the file ------------------------------------------------------------------

    def _open(self) -> None:
        if self._fd is not None:
            return
        folder = self.root / self.source
        try:
            folder.mkdir(parents=True, exist_ok=True)
            while True:
                self._serial += 1
                name = file_name(self.source, self.started, self.run_id, self._serial)
                path = open_path(self.root / name)
                if (self.root / name).exists():
                    continue
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    continue
                break
        except OSError as exc:
            raise ArchiveError(
                f"cannot write the archive in {folder}: {exc.strerror or exc}"
            ) from None
        lock(fd)  # a new file of our own: nobody else can hold it
        self._fd, self._name, self._size = fd, name, 0
        self.files.append(name)
        self._append(self._member(self._warcinfo(name)))

    def _warcinfo(self, name: str) -> object:
        info = {
            "software": f"wirewatch/{__version__}",
            "format": "WARC File Format 1.0",
            "hostname": socket.gethostname(),
            "wirewatch-source": self.source,
            "wirewatch-crawl-run": str(self.run_id or ""),
        }
        return self._warc.create_warcinfo_record(Path(name).name, info)

    def _append(self, data: bytes) -> int:
        """Write ``data`` at the end of the file; its offset.  A failed write is undone."""
        assert self._fd is not None
        offset = self._size
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            # Should this fail too, the reader still never takes the partial member for a page.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, offset)
            raise ArchiveError(
                f"cannot write the archive file {self._name}: {exc.strerror or exc}"
            ) from None
        self._size += len(data)
        self.bytes += len(data)
        return offset

    def _close_file(self) -> None:
        if self._fd is None:
            return
        fd, name = self._fd, self._name
        self._fd = self._name = None
        assert name is not None
        try:
            os.fsync(fd)
            os.rename(open_path(self.root / name), self.root / name)
            sync_directory((self.root / name).parent)
        finally:
            os.close(fd)

    def close(self) -> None:
        """Close the current file (fsync, final name); the writer may go on in a new one."""
        with self._lock:
            self._close_file()
