"""The ASGI app: middleware (hosts, session, headers), static files and the two routers."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from wirewatch.crawler import __version__
from wirewatch.crawler.web import api, pages
from wirewatch.crawler.web.context import WebContext, caller
from wirewatch.crawler.web.responses import STATIC
from wirewatch.crawler.web.security import (
    COOKIE,
    HEADERS,
    SESSION_SECONDS,
    Session,
    decode_session,
    encode_session,
)


def create_app(ctx: WebContext) -> FastAPI:
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
