"""What the pages and the API answer with: templates with their filters, pages, JSON with ETags.

Its own module so that the routers (``pages``, ``api``) and the app that mounts
them import it, and the app imports the routers: one way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from wirewatch.crawler import __version__
from wirewatch.crawler.source_status import relative
from wirewatch.crawler.web.chart import percent
from wirewatch.crawler.web.context import WebContext
from wirewatch.crawler.web.security import csrf_token
from wirewatch.pipelines.alerts.render import safe_link

STATIC = Path(__file__).parent / "static"

templates = Environment(
    loader=PackageLoader("wirewatch.crawler.web", "templates"),
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
