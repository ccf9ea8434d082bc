"""What every request handler shares: settings, the pool, the key, and who the caller is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg
from fastapi import Request
from psycopg.rows import DictRow

from wirewatch.crawler.config import Config
from wirewatch.crawler.web.security import LoginThrottle, Session, bearer_matches
from wirewatch.crawler.web.settings import WebSettings, is_loopback
from wirewatch.pipelines.alerts.settings import SmtpSettings
from wirewatch.pipelines.db import Pool


@dataclass
class WebContext:
    settings: WebSettings
    config: Config | None
    pool: Pool
    key: bytes
    password: str | None = None
    tokens: tuple[str, ...] = ()
    smtp: SmtpSettings | None = None
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        """A pooled connection in autocommit: library functions open their own transactions."""
        with self.pool.connection() as conn:
            conn.autocommit = True
            yield conn

    def host_allowed(self, host_header: str | None) -> bool:
        """Without a login, only loopback names (and public_url's host) may be asked for:
        a page elsewhere that rebinds its own name to 127.0.0.1 then gets nothing."""
        if self.settings.needs_login:
            return True
        host = (host_header or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip("[]")
        if is_loopback(name):
            return True
        public = urlsplit(self.settings.public_url or "").hostname
        if not public:
            return False
        return name == public.lower()


@dataclass(frozen=True)
class Caller:
    session: Session
    logged_in: bool  # by password (session) or API token
    bearer: bool
    can_read: bool
    can_edit: bool


def caller(ctx: WebContext, request: Request, session: Session) -> Caller:
    bearer = bool(ctx.tokens) and bearer_matches(request.headers.get("authorization"), ctx.tokens)
    logged_in = session.auth or bearer
    open_access = not ctx.settings.needs_login
    return Caller(
        session=session,
        logged_in=logged_in,
        bearer=bearer,
        can_read=open_access or logged_in or ctx.settings.public_read,
        can_edit=open_access or logged_in,
    )


def context_of(request: Request) -> WebContext:
    return request.app.state.ctx


def caller_of(request: Request) -> Caller:
    return request.state.caller
