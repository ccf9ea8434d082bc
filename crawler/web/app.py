"""The ASGI app: middleware (hosts, session, headers), templates, and the two routers."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from crawler import __version__
from crawler.commands.status import relative
from crawler.web.chart import percent
from crawler.web.context import WebContext, caller
from crawler.web.security import (
    COOKIE,
    HEADERS,
    SESSION_SECONDS,
    Session,
    csrf_token,
    decode_session,
    encode_session,
)
from pipelines.alerts.render import safe_link

STATIC = Path(__file__).parent / "static"

templates = Environment(
    loader=PackageLoader("crawler.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "–"


def format_delay(value: timedelta | None) -> str:
    if value is None:
        return "first"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"+{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"+{hours} h {minutes:02d}" if hours < 48 else f"+{hours // 24} days"


templates.filters.update(
    time=format_time,
    delay=format_delay,
    percent=percent,
    link=safe_link,
    ago=lambda value: relative(value, datetime.now(UTC)) if value else "never",
)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with what every page needs (the caller, its CSRF token)."""
    ctx: WebContext = request.app.state.ctx
    who = request.state.caller
    html = templates.get_template(name).render(
        request=request,
        caller=who,
        csrf=csrf_token(ctx.key, who.session),
        needs_login=ctx.settings.needs_login,
        version=__version__,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def to_json(value: Any) -> Any:
    """Plain JSON values: datetimes in ISO 8601, dataclasses as objects."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def json_response(request: Request, data: Any, status_code: int = 200) -> Response:
    """JSON with a strong ETag of its body; ``If-None-Match`` with it answers 304."""
    body = json.dumps(data, default=to_json, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    wanted = request.headers.get("if-none-match", "")
    if status_code == 200 and etag in {t.strip() for t in wanted.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code, headers=headers, media_type="application/json")


def create_app(ctx: WebContext) -> FastAPI:
    from crawler.web import api, pages

    app = FastAPI(
        title="wirewatch",
        version=__version__,
        description="Stories, their copies, the change feed, source health and alerts.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN: not under this CSP
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)
        return PlainTextResponse(str(exc.detail), exc.status_code, headers=exc.headers)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        if not ctx.host_allowed(request.headers.get("host")):
            response: Response = PlainTextResponse("unknown host name", status_code=421)
        else:
            cookie = request.cookies.get(COOKIE)
            session = decode_session(ctx.key, cookie)
            fresh = session is None
            request.state.caller = caller(ctx, request, session or Session.new())
            request.state.new_session = None
            response = await call_next(request)
            chosen = request.state.new_session
            path = request.url.path
            if chosen is None and fresh and not path.startswith(("/api/", "/static/")):
                chosen = request.state.caller.session  # pages need one for their CSRF tokens
            if chosen is not None:
                response.set_cookie(
                    COOKIE,
                    encode_session(ctx.key, chosen),
                    max_age=SESSION_SECONDS,
                    httponly=True,
                    samesite="strict",
                    secure=(ctx.settings.public_url or "").startswith("https://"),
                    path="/",
                )
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        # What the benchmark reads: time spent in the app, without the network.
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    return app
