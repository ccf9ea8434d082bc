"""Reading WARC files record by record, from any offset, past damaged parts.

Web archives arrive as local files, URLs (Common Crawl's CC-NEWS) or a pipe,
gzipped per record or plain.  ``read_records`` yields every record in order
with the offset of the record after it, so an import can checkpoint "handled
up to here" and resume there (an HTTP ``Range`` request for URLs).  A corrupt
gzip member or a record that cannot be parsed is reported and skipped: the
reader searches the file for the next record and goes on.  A truncated end is
reported once.  Pipes cannot seek, so on a pipe damage ends the stream.
"""

from __future__ import annotations

import gzip
import http.client
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

from wirewatch.pipelines import __version__
from wirewatch.pipelines.url_policy import url_problem

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
SCAN_CHUNK = 1 << 20
HTTP_TIMEOUT = 60.0

# Outcome kinds of damaged input (the reader's own; the import adds the rest).
CORRUPT = "corrupt_record"
TRUNCATED = "truncated"


class WarcSourceError(OSError):
    """A WARC file that cannot be opened or read at all (missing, refused, network)."""


_NETWORK_ERRORS = (WarcSourceError, TimeoutError, ConnectionError, http.client.HTTPException)


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def file_key(location: str) -> str | None:
    """Which file this is, the same on every machine; None for stdin (nothing to share).

    A URL is its own key.  A local file is its name and size: several
    machines may mount the same archive under different directories.
    """
    if location == "-":
        return None
    if is_url(location):
        return location
    path = Path(location)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise WarcSourceError(f"cannot read {location}: {exc.strerror or exc}") from None
    return f"{path.name}:{size}"


class Tellable:
    """A read-only stream that counts its bytes from ``base`` (its offset in the file)."""

    def __init__(self, raw: IO[bytes] | Any, base: int = 0):
        self.raw = raw
        self.pos = base

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size) if size is not None and size >= 0 else self.raw.read()
        self.pos += len(data)
        return data

    def tell(self) -> int:
        return self.pos

    def close(self) -> None:
        self.raw.close()


def open_at(location: str, offset: int = 0) -> Tellable:
    """The file from byte ``offset`` on: a local file, an http(s) URL (Range) or ``-``."""
    if location == "-":
        if offset:
            raise WarcSourceError("standard input cannot be read again from an offset")
        return Tellable(_NoClose(sys.stdin.buffer), 0)
    if is_url(location):
        return _open_url(location, offset)
    try:
        handle = open(location, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise WarcSourceError(f"cannot read {location}: {exc.strerror or exc}") from None
    handle.seek(offset)
    return Tellable(handle, offset)


class _NoClose:
    """stdin is not ours to close."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(size)

    def close(self) -> None:
        pass


def _open_url(url: str, offset: int) -> Tellable:
    if refusal := url_problem(url):
        raise WarcSourceError(refusal.message)
    headers = {"User-Agent": f"wirewatch/{__version__} (import-warc)"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=HTTP_TIMEOUT)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WarcSourceError(f"cannot fetch {url}: {exc}") from None
    stream = Tellable(response, 0)
    if offset and response.status != 206:
        # The server ignored Range: skip to the offset by reading.
        remaining = offset
        while remaining:
            chunk = stream.read(min(remaining, SCAN_CHUNK))
            if not chunk:
                break
            remaining -= len(chunk)
    stream.pos = offset
    return stream


def is_gzipped(location: str) -> bool:
    """Whether the file is gzip (per-record members, as WARC.gz files are)."""
    stream = open_at(location, 0) if location != "-" else None
    if stream is None:
        return False  # decided on the stream itself, see read_records
    try:
        return stream.read(2) == GZIP_MAGIC[:2]
    finally:
        stream.close()


def next_record_start(location: str, after: int, gzipped: bool) -> int | None:
    """Offset of the first gzip member (or ``WARC/1.`` line) after ``after``, or None."""
    magic = GZIP_MAGIC if gzipped else b"\n" + WARC_MAGIC
    try:
        stream = open_at(location, after)
    except WarcSourceError:
        return None
    try:
        position, tail = after, b""
        while True:
            chunk = stream.read(SCAN_CHUNK)
            if not chunk:
                return None
            data = tail + chunk
            found = data.find(magic)
            if found >= 0:
                start = position - len(tail) + found
                return start + (0 if gzipped else 1)
            tail = data[-(len(magic) - 1) :]
            position += len(chunk)
    finally:
        stream.close()


class _Loader(ArcWarcRecordLoader):  # type: ignore[misc]  # warcio has no type hints
    """warcio's loader, except that a record without a target URI is read, not a crash."""

    def load_http_headers(self, rec_type: str, uri: str | None, stream: Any, length: Any) -> Any:
        if uri is None:
            return None  # no URI, no page: the record is skipped on that
        return super().load_http_headers(rec_type, uri, stream, length)


@dataclass(frozen=True)
class Read:
    """One record in file order: what became of it, and where the next one starts."""

    next_offset: int
    ordinal: int  # records up to and including this one
    outcome: Any  # what ``handle`` returned, or CORRUPT / TRUNCATED


def read_records(
    location: str,
    handle: Callable[[ArcWarcRecord], Any],
    *,
    offset: int = 0,
    ordinal: int = 0,
    gzipped: bool | None = None,
) -> Iterator[Read]:
    """Every record from ``offset`` on, each passed to ``handle`` (which may read its content).

    Damage is yielded as a ``Read`` of kind CORRUPT (one per damaged stretch)
    or TRUNCATED (an incomplete last record), and reading resumes at the next
    record start found in the file.
    """
    if gzipped is None:
        gzipped = is_gzipped(location)
    while True:
        stream = open_at(location, offset)
        iterator = ArchiveIterator(stream, check_digests=False)
        iterator.loader = _Loader()
        damaged_at: int | None = None
        try:
            try:
                for record in iterator:
                    outcome = handle(record)
                    iterator.read_to_end()
                    ordinal += 1
                    if getattr(record.raw_stream, "limit", 0) > 0:
                        outcome = TRUNCATED  # the file ended inside this record
                    yield Read(iterator.offset, ordinal, outcome)
            except _NETWORK_ERRORS as exc:
                raise WarcSourceError(f"cannot read {location}: {exc}") from None
            except ArchiveLoadFailed as exc:
                if "non-chunked gzip" in str(exc):
                    raise WarcSourceError(
                        f"{location} is gzipped as a whole, not record by record: "
                        "decompress it first (zcat FILE | wirewatch import-warc -)"
                    ) from None
                damaged_at = iterator.offset
            except Exception:  # warcio, zlib and gzip raise many kinds on damaged input
                damaged_at = iterator.offset
            else:
                end = iterator.offset
                leftover = _drain(stream) - end
                if leftover > 0:
                    yield Read(end + leftover, ordinal, TRUNCATED)
                return
        finally:
            iterator.close()
            stream.close()
        resume = None if location == "-" else next_record_start(location, damaged_at + 1, gzipped)
        yield Read(resume if resume is not None else damaged_at + 1, ordinal, CORRUPT)
        if resume is None:
            return
        offset = resume


def _drain(stream: Tellable) -> int:
    """Read what is left; returns the stream's final position (its size for a full read)."""
    while stream.read(SCAN_CHUNK):
        pass
    return stream.tell()


def read_paths_file(name: str) -> list[str]:
    """File names or URLs, one a line (a CC-NEWS ``warc.paths[.gz]`` list; ``-``: stdin)."""
    if name == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            raise WarcSourceError(f"cannot read {name}: {exc.strerror or exc}") from None
        if raw[:2] == GZIP_MAGIC[:2]:
            raw = gzip.decompress(raw)
        lines = raw.decode("utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def describe(location: str) -> str:
    """A short name for progress and tables."""
    if location == "-":
        return "<stdin>"
    return location.rsplit("/", 1)[-1] if is_url(location) else os.path.basename(location)


def warc_date(value: str | None) -> datetime | None:
    """A record's ``WARC-Date`` (ISO 8601, ``Z`` for UTC) as an aware datetime; None
    when absent or unreadable: a bad date must not cost the page."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
