"""A loopback HTTP server for fixture newsrooms (stdlib only).

Why a real server rather than mocked responses: the crawler's behaviour that
matters — conditional requests, redirects, retries, timeouts, size limits,
charsets, "no URL fetched twice" — only shows up on a real socket.

Usage::

    with FixtureServer(site_dir()) as srv:          # or a GeneratedNewsroom
        srv.route("/gone", status(410))
        crawl(srv.base_url + "/wire/feed.xml")
        assert max(srv.hits.values()) == 1

The server only ever binds a loopback address. Text files of a directory
site may contain the placeholder origin ``http://newsroom.example``; it is
replaced with the server's ``base_url`` byte-for-byte (the placeholder is
ASCII, so any ASCII-compatible charset survives untouched).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import mimetypes
import posixpath
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from wirewatch.crawler.demo import PLACEHOLDER_ORIGIN

__all__ = [
    "DirectoryProvider",
    "FixtureServer",
    "Request",
    "RequestRecord",
    "Resource",
    "Response",
    "SiteProvider",
    "binary",
    "flaky",
    "huge",
    "raw",
    "redirect",
    "redirect_loop",
    "slow",
    "status",
    "unchanged_validators",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (any of 127.0.0.0/8: a second "host" for tests)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".toml": "text/plain",
    ".txt": "text/plain",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
}
_TEXT_SUFFIXES = frozenset({".html", ".htm", ".xml", ".rss", ".atom", ".json", ".txt", ".css"})
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")


@dataclass(frozen=True, slots=True)
class Resource:
    """What a site provider returns for a path.

    ``etag`` defaults to a hash of the body; ``last_modified`` is epoch
    seconds (no ``Last-Modified`` header when ``None``).
    """

    body: bytes
    content_type: str
    last_modified: float | None = None
    etag: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class SiteProvider(Protocol):
    """Anything that can produce a page for a URL path (directory, generator)."""

    def get(self, path: str, base_url: str) -> Resource | None:
        """The resource at ``path`` (percent-decoded, no query), or ``None`` for 404."""
        ...


def charset_of(body: bytes, suffix: str) -> str | None:
    """The charset a text file declares about itself, if any."""
    head = body[:4096]
    if suffix in (".html", ".htm"):
        match = _HTML_CHARSET.search(head)
    elif suffix in (".xml", ".rss", ".atom"):
        match = _XML_ENCODING.match(head)
    elif suffix in (".txt", ".json", ".css"):
        return "utf-8"
    else:
        return None
    return match.group(1).decode("ascii").lower() if match else None


def content_type_for(name: str, body: bytes) -> str:
    """Content type by extension, with the charset the file itself declares."""
    suffix = posixpath.splitext(name)[1].lower()
    ctype = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    charset = charset_of(body, suffix)
    return f"{ctype}; charset={charset}" if charset else ctype


class DirectoryProvider:
    """Serves files below ``root``; ``index.html`` for directories.

    Text files have :data:`PLACEHOLDER_ORIGIN` replaced by the server's base
    URL so feeds and canonical links point back at this server.
    """

    def __init__(self, root: str | Path, placeholder: str | None = PLACEHOLDER_ORIGIN) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(str(self.root))
        self.placeholder = placeholder.encode("ascii") if placeholder else None

    def get(self, path: str, base_url: str) -> Resource | None:
        rel = posixpath.normpath("/" + path.lstrip("/")).lstrip("/")
        target = (self.root / rel).resolve() if rel not in ("", ".") else self.root
        if target != self.root and self.root not in target.parents:
            return None  # traversal attempt
        if target.is_dir():
            if not path.endswith("/"):
                return Resource(b"", "text/plain", status=301, headers={"Location": path + "/"})
            target = target / "index.html"
        if not target.is_file():
            return None
        body = target.read_bytes()
        suffix = target.suffix.lower()
        if self.placeholder and suffix in _TEXT_SUFFIXES and self.placeholder in body:
            body = body.replace(self.placeholder, base_url.rstrip("/").encode("ascii"))
        return Resource(
            body, content_type_for(target.name, body), last_modified=target.stat().st_mtime
        )


# --------------------------------------------------------------------------- routes


@dataclass(slots=True)
class Request:
    """What a route handler sees of a request."""

    method: str
    target: str  # path + query as sent
    path: str  # percent-decoded path, no query
    query: str
    headers: Message
    base_url: str
    _stopping: threading.Event

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; returns early (True) when the server is closing."""
        return self._stopping.wait(seconds)


Body = bytes | str | Iterable[bytes]
HeaderSpec = Mapping[str, str] | Sequence[tuple[str, str]]
Response = tuple[int, HeaderSpec, Body]
Handler = Callable[[Request], Response]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One served request, for assertions on what the crawler sent."""

    method: str
    target: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None
    time: float


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


def _not_modified(headers: Message, etag: str | None, last_modified: float | None) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        if etag is None:
            return False
        if inm.strip() == "*":
            return True
        wanted = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return etag.removeprefix("W/") in wanted
    ims = headers.get("If-Modified-Since")
    if ims and last_modified is not None:
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(last_modified) <= since
    return False


def _validator_headers(etag: str | None, last_modified: float | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["ETag"] = etag
    if last_modified is not None:
        headers["Last-Modified"] = formatdate(last_modified, usegmt=True)
    return headers


def raw(
    body: bytes | str,
    content_type: str = "text/html; charset=utf-8",
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    validators: bool = True,
    last_modified: float | None = None,
) -> Handler:
    """Always the same body; with ETag/Last-Modified and 304s unless ``validators=False``."""
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    etag = _etag(data) if validators else None
    modified = (last_modified if last_modified is not None else time.time()) if validators else None

    def handler(req: Request) -> Response:
        extra = {**_validator_headers(etag, modified), **(headers or {})}
        if validators and _not_modified(req.headers, etag, modified):
            return 304, extra, b""
        return status, {"Content-Type": content_type, **extra}, data

    return handler


def status(code: int, retry_after: int | str | None = None, body: bytes | str = b"") -> Handler:
    """A fixed status code (e.g. 404, 410, 429 or 503 with ``Retry-After``)."""
    payload = body or f"{code} {HTTPStatus(code).phrase}\n".encode()

    def handler(req: Request) -> Response:
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return code, headers, payload

    return handler


def redirect(location: str, code: int = 301) -> Handler:
    """A plain redirect (relative locations are fine, HTTP allows them)."""

    def handler(req: Request) -> Response:
        return code, {"Location": location, "Content-Type": "text/plain"}, b""

    return handler


def redirect_loop(to: str | None = None, code: int = 302) -> Handler:
    """Redirects to ``to`` — by default to itself, an endless loop.

    Register two routes pointing at each other for an A -> B -> A loop.
    """

    def handler(req: Request) -> Response:
        return code, {"Location": to or req.target, "Content-Type": "text/plain"}, b""

    return handler


def slow(
    seconds: float,
    body: bytes | str = b"<html><body><p>finally</p></body></html>",
    content_type: str = "text/html; charset=utf-8",
) -> Handler:
    """Answers after ``seconds`` (for download timeouts); cut short by ``close()``."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def handler(req: Request) -> Response:
        req.wait(seconds)
        return 200, {"Content-Type": content_type}, data

    return handler


def binary(size: int, content_type: str = "application/octet-stream", seed: int = 0) -> Handler:
    """``size`` deterministic pseudo-random bytes (an image or archive at an article URL)."""
    data = random.Random(seed).randbytes(size)

    def handler(req: Request) -> Response:
        return 200, {"Content-Type": content_type}, data

    return handler


def huge(
    size: int, content_type: str = "text/html; charset=utf-8", *, declare_length: bool = True
) -> Handler:
    """A ``size``-byte HTML page streamed in chunks, never held in memory.

    With ``declare_length=False`` there is no Content-Length, so a client can
    only enforce its size limit while reading.
    """
    head = b"<!doctype html><html><head><title>Huge</title></head><body>\n"
    tail = b"</body></html>\n"
    para = b"<p>" + b"filler text that goes on and on " * 30 + b"</p>\n"

    def chunks() -> Iterator[bytes]:
        remaining = size - len(head) - len(tail)
        yield head
        while remaining > 0:
            piece = para if remaining >= len(para) else b" " * remaining
            remaining -= len(piece)
            yield piece
        yield tail

    def handler(req: Request) -> Response:
        headers = {"Content-Type": content_type}
        if declare_length:
            headers["Content-Length"] = str(max(size, len(head) + len(tail)))
        return 200, headers, chunks()

    return handler


def unchanged_validators(
    bodies: Sequence[bytes | str],
    content_type: str = "application/xml",
    *,
    etag: str = '"same-etag"',
    last_modified: float = 1_700_000_000.0,
    honor_conditional: bool = False,
) -> Handler:
    """A broken cache setup: the content changes per request, the validators never do.

    Request *i* gets ``bodies[i]`` (the last one repeats). By default
    conditional headers are ignored (always 200); ``honor_conditional=True``
    answers 304 whenever the stale validators match, hiding the change.
    """
    data = [b.encode("utf-8") if isinstance(b, str) else b for b in bodies]
    if not data:
        raise ValueError("need at least one body")
    lock = threading.Lock()
    served = [0]

    def handler(req: Request) -> Response:
        headers = _validator_headers(etag, last_modified)
        if honor_conditional and _not_modified(req.headers, etag, last_modified):
            return 304, headers, b""
        with lock:
            body = data[min(served[0], len(data) - 1)]
            served[0] += 1
        return 200, {"Content-Type": content_type, **headers}, body

    return handler


def flaky(
    n_failures: int,
    body: bytes | str = b"<html><body><p>ok now</p></body></html>",
    content_type: str = "text/html; charset=utf-8",
    *,
    failure_status: int = 503,
    retry_after: int | None = None,
) -> Handler:
    """Fails the first ``n_failures`` requests, then serves ``body`` (retry tests)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    lock = threading.Lock()
    count = [0]

    def handler(req: Request) -> Response:
        with lock:
            count[0] += 1
            failing = count[0] <= n_failures
        if failing:
            headers = {"Content-Type": "text/plain"}
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            return failure_status, headers, b"temporarily unavailable\n"
        return 200, {"Content-Type": content_type}, data

    return handler


# --------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server_version = "wirewatch-fixture/1"
    timeout = 30
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: object) -> None:
        pass  # tests stay quiet; FixtureServer.log records requests

    def _serve(self, head: bool) -> None:
        owner = self.server.owner
        split = urlsplit(self.path)
        path = unquote(split.path) or "/"
        req = Request(
            self.command,
            self.path,
            path,
            split.query,
            self.headers,
            owner.base_url,
            owner._stopping,
        )
        owner._count(self.path)
        try:
            code, headers, body = owner._respond(req)
        except Exception as exc:  # a broken handler must not kill the test run silently
            code, headers, body = 500, {"Content-Type": "text/plain"}, f"{exc!r}\n".encode()
        owner._record(req, code, self.headers.get("User-Agent"))
        self._write(code, headers, body, head)

    def _write(self, code: int, headers: HeaderSpec, body: Body, head: bool) -> None:
        items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        names = {k.lower() for k, _ in items}
        if isinstance(body, str):
            body = body.encode("utf-8")
        whole: bytes | bytearray | memoryview | None = None
        chunks: Iterable[bytes] = ()
        if isinstance(body, bytes | bytearray | memoryview):
            whole = body
        else:
            chunks = body
        self.send_response(code)
        for key, value in items:
            self.send_header(key, value)
        if code in (204, 304) or 100 <= code < 200:
            self.end_headers()
            return
        if whole is not None:
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(whole)))
        elif "content-length" not in names:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        try:
            if whole is None:
                for chunk in chunks:
                    if self.server.owner._stopping.is_set():
                        break
                    self.wfile.write(chunk)
            else:
                self.wfile.write(whole)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # the default 5 drops SYNs under crawler concurrency: 1 s stalls
    owner: FixtureServer


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class FixtureServer:
    """A threaded HTTP server on a loopback port serving a fixture site.

    ``site`` is a directory (see :class:`DirectoryProvider`), any
    :class:`SiteProvider` such as :class:`demo.generated.GeneratedNewsroom`,
    or ``None`` for routes only. Routes registered with :meth:`route` take
    precedence over the site.
    """

    def __init__(
        self,
        site: str | Path | SiteProvider | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        keep_log: bool = True,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"FixtureServer only binds loopback addresses, not {host!r}")
        if site is None or isinstance(site, SiteProvider):
            self.site: SiteProvider | None = site
        else:
            self.site = DirectoryProvider(site)
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = port
        self.keep_log = keep_log
        self._routes: dict[str, Handler] = {}
        self._prefix_routes: list[tuple[str, Handler]] = []
        self._hits: Counter[str] = Counter()
        self._log: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> FixtureServer:
        """Bind (a free port when ``port=0``) and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        server_cls = _HTTPServer6 if ":" in self.host else _HTTPServer
        self._httpd = server_cls((self.host, self.port), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fixture-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and drop open connections (slow handlers are woken up)."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.base_url + "/" + path.lstrip("/")

    # -- routes
    def route(self, path: str, handler: Handler, *, prefix: bool = False) -> None:
        """Answer requests for ``path`` (exact, query ignored; or any path under a prefix)."""
        with self._lock:
            if prefix:
                self._prefix_routes.append((path, handler))
                self._prefix_routes.sort(key=lambda item: -len(item[0]))
            else:
                self._routes[path] = handler

    def unroute(self, path: str) -> None:
        """Remove a route, so the site serves ``path`` again."""
        with self._lock:
            self._routes.pop(path, None)
            self._prefix_routes = [(p, h) for p, h in self._prefix_routes if p != path]

    # -- statistics
    @property
    def hits(self) -> dict[str, int]:
        """Requests per request target (path + query as sent), a snapshot."""
        with self._lock:
            return dict(self._hits)

    @property
    def log(self) -> list[RequestRecord]:
        """Every request in arrival order (when ``keep_log``), a snapshot."""
        with self._lock:
            return list(self._log)

    def statuses(self) -> Counter[int]:
        """How many responses had each status code (needs ``keep_log``)."""
        with self._lock:
            return Counter(r.status for r in self._log)

    def reset_hits(self) -> None:
        """Forget counts and log (e.g. between a cold and a warm crawl)."""
        with self._lock:
            self._hits.clear()
            self._log.clear()

    # -- internals
    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _count(self, target: str) -> None:
        with self._lock:
            self._hits[target] += 1

    def _record(self, req: Request, code: int, user_agent: str | None) -> None:
        if not self.keep_log:
            return
        record = RequestRecord(
            req.method,
            req.target,
            code,
            req.headers.get("If-None-Match"),
            req.headers.get("If-Modified-Since"),
            user_agent,
            time.time(),
        )
        with self._lock:
            self._log.append(record)

    def _handler_for(self, path: str) -> Handler | None:
        with self._lock:
            handler = self._routes.get(path)
            if handler is None:
                for prefix, candidate in self._prefix_routes:
                    if path.startswith(prefix):
                        return candidate
            return handler

    def _respond(self, req: Request) -> Response:
        handler = self._handler_for(req.path)
        if handler is not None:
            return handler(req)
        resource = self.site.get(req.path, self.base_url) if self.site is not None else None
        if resource is None:
            body = b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>\n"
            return 404, {"Content-Type": "text/html; charset=utf-8"}, body
        if resource.status != 200:
            return resource.status, dict(resource.headers), resource.body
        etag = resource.etag or _etag(resource.body)
        headers = {**_validator_headers(etag, resource.last_modified), **resource.headers}
        if _not_modified(req.headers, etag, resource.last_modified):
            return 304, headers, b""
        return 200, {"Content-Type": resource.content_type, **headers}, resource.body
