"""Server-rendered pages: stories, a story, sources, alerts, unsubscribe, login.

Every form carries the session's CSRF token and every POST checks it
(except the unsubscribe link's, whose signed URL is its own proof).  Pages
need no JavaScript; ``static/query-check.js`` only checks alert queries as
they are typed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from wirewatch.crawler.web import data
from wirewatch.crawler.web.context import Caller, caller_of, context_of
from wirewatch.crawler.web.responses import page
from wirewatch.crawler.web.security import Session, csrf_valid, password_matches
from wirewatch.pipelines.alerts import unsubscribe as unsub
from wirewatch.pipelines.alerts.addresses import CHANNELS, DIGESTS, SubscriptionSpec
from wirewatch.pipelines.alerts.query import QuerySyntaxError, format_query, parse
from wirewatch.pipelines.alerts.sender import preview
from wirewatch.pipelines.alerts.subscriptions import (
    add_subscription,
    disable_subscription,
    enable_subscription,
    find_subscription,
    list_subscriptions,
    mask_target,
    remove_subscription,
)
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.search import search

router = APIRouter(include_in_schema=False)


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _reader(request: Request) -> Caller | None:
    who = caller_of(request)
    return who if who.can_read else None


def _editor(request: Request) -> Caller | None:
    who = caller_of(request)
    return who if who.can_edit else None


async def _checked_form(request: Request) -> FormData | None:
    """The posted form when its CSRF token belongs to this session, else None."""
    form = await request.form()
    token = form.get("csrf")
    ctx = context_of(request)
    ok = isinstance(token, str) and csrf_valid(ctx.key, caller_of(request).session, token)
    return form if ok else None


def _forbidden(request: Request, message: str) -> Response:
    return page(request, "error.html", 403, title="Not allowed", message=message)


def _not_found(request: Request, message: str) -> Response:
    return page(request, "error.html", 404, title="Not found", message=message)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/stories", status_code=303)


# --- stories -----------------------------------------------------------------------------


@router.get("/stories")
def stories(
    request: Request,
    q: str = "",
    source: str = "",
    outlet: str = "",
    language: str = "",
    since: str = "",
    until: str = "",
    cursor: str = "",
) -> Response:
    if _reader(request) is None:
        return _login_redirect(request)
    ctx = context_of(request)
    filters = data.StoryFilters(q, source, outlet, language, since, until, cursor)
    error = None
    result = data.StoryPage([], None)
    with ctx.connection() as conn:
        try:
            result = data.list_stories(conn, filters)
        except UsageError as exc:
            error = str(exc)
    next_link = None
    if result.next_cursor:
        query = {**filters.without_cursor(), "cursor": result.next_cursor}
        next_link = "/stories?" + urlencode(query)
    sources = [s.name for s in ctx.config.sources] if ctx.config else []
    return page(
        request,
        "stories.html",
        400 if error else 200,
        filters=filters,
        stories=result.stories,
        next_link=next_link,
        error=error,
        sources=sources,
    )


@router.get("/stories/{story_id}")
def story(request: Request, story_id: int, copy: int | None = None) -> Response:
    who = _reader(request)
    if who is None:
        return _login_redirect(request)
    ctx = context_of(request)
    with ctx.connection() as conn:
        detail = data.story_detail(conn, story_id, copy, with_alerts=who.can_edit)
    if detail is None:
        return _not_found(request, f"There is no story {story_id}.")
    return page(request, "story.html", detail=detail)


# --- sources -----------------------------------------------------------------------------


@router.get("/sources")
def sources(request: Request) -> Response:
    if _reader(request) is None:
        return _login_redirect(request)
    ctx = context_of(request)
    with ctx.connection() as conn:
        rows = data.sources_overview(conn, ctx.config, datetime.now(UTC))
    return page(request, "sources.html", rows=rows, has_config=ctx.config is not None)


@router.get("/sources/{name}")
def source(request: Request, name: str) -> Response:
    if _reader(request) is None:
        return _login_redirect(request)
    ctx = context_of(request)
    with ctx.connection() as conn:
        detail = data.source_detail(conn, ctx.config, name, datetime.now(UTC))
    if detail is None:
        return _not_found(request, f"No configured source is named {name!r}.")
    return page(request, "source.html", detail=detail)


# --- alerts ------------------------------------------------------------------------------


def _alerts_page(request: Request, status_code: int = 200, **form: Any) -> Response:
    ctx = context_of(request)
    with ctx.connection() as conn:
        rows = list_subscriptions(conn)
    values = {"query": "", "channel": "email", "target": "", "name": "", "digest": "immediate",
              "exact": False, "secret_env": ""}  # fmt: skip
    values.update({k: v for k, v in form.items() if k in values})
    return page(
        request,
        "alerts.html",
        status_code,
        subscriptions=rows,
        mask=mask_target,
        form=values,
        channels=CHANNELS,
        digests=DIGESTS,
        error=form.get("error"),
        notice=form.get("notice") or request.query_params.get("notice"),
        matches=form.get("matches"),
        normalised=form.get("normalised"),
    )


@router.get("/alerts")
def alerts(request: Request) -> Response:
    if _editor(request) is None:
        return _login_redirect(request)
    return _alerts_page(request)


@router.post("/alerts")
async def add_alert(request: Request) -> Response:
    if _editor(request) is None:
        return _login_redirect(request)
    form = await _checked_form(request)
    if form is None:
        return _forbidden(request, "The form expired; reload the page and try again.")
    values = {k: str(form.get(k) or "").strip() for k in
              ("query", "channel", "target", "name", "digest", "secret_env")}  # fmt: skip
    exact = form.get("exact") == "on"
    ctx = context_of(request)
    try:
        tree = parse(values["query"])
    except QuerySyntaxError as exc:
        return _alerts_page(request, 400, **values, exact=exact, error=str(exc))
    if form.get("action") == "preview":
        with ctx.connection() as conn:
            matches = search(conn, values["query"], limit=10)
        return _alerts_page(request, 200, **values, exact=exact, matches=matches,
                            normalised=format_query(tree))  # fmt: skip
    spec = SubscriptionSpec(
        query=values["query"],
        channel=values["channel"],
        target=values["target"],
        name=values["name"] or None,
        digest=values["digest"] or "immediate",
        exact=exact,
        secret_env=values["secret_env"] or None,
    )
    try:
        with ctx.connection() as conn:
            row = add_subscription(conn, spec)
    except UsageError as exc:
        return _alerts_page(request, 400, **values, exact=exact, error=str(exc))
    return RedirectResponse(
        "/alerts?" + urlencode({"notice": f"added subscription {row['id']}"}), status_code=303
    )


@router.get("/alerts/{subscription_id}")
def alert(request: Request, subscription_id: int) -> Response:
    if _editor(request) is None:
        return _login_redirect(request)
    ctx = context_of(request)
    with ctx.connection() as conn:
        try:
            row = find_subscription(conn, str(subscription_id))
        except UsageError:
            return _not_found(request, f"There is no subscription {subscription_id}.")
        pending = preview(conn, row, ctx.smtp, limit=10)
    return page(request, "alert.html", sub=row, target=mask_target(row), pending=pending)


_ACTIONS = {"enable": enable_subscription, "disable": disable_subscription,
            "remove": remove_subscription}  # fmt: skip


@router.post("/alerts/{subscription_id}/{action}")
async def change_alert(request: Request, subscription_id: int, action: str) -> Response:
    if _editor(request) is None:
        return _login_redirect(request)
    if action not in _ACTIONS:
        return _not_found(request, f"No such action: {action}.")
    if await _checked_form(request) is None:
        return _forbidden(request, "The form expired; reload the page and try again.")
    ctx = context_of(request)
    try:
        with ctx.connection() as conn:
            if find_subscription(conn, str(subscription_id))["origin"] == "config":
                raise UsageError("subscriptions from the config file are changed in the file")
            _ACTIONS[action](conn, str(subscription_id))
    except UsageError as exc:
        return _alerts_page(request, 400, error=str(exc))
    done = {"enable": "enabled", "disable": "disabled", "remove": "removed"}[action]
    notice = f"{done} subscription {subscription_id}"
    return RedirectResponse("/alerts?" + urlencode({"notice": notice}), status_code=303)


# --- unsubscribe (no login: the signed link is the permission) ---------------------------


@router.get("/unsubscribe/{token}")
def unsubscribe_form(request: Request, token: str) -> Response:
    ctx = context_of(request)
    with ctx.connection() as conn:
        found = unsub.lookup(conn, ctx.key, token)
    status = 404 if found.state == "invalid" else 200
    state = "confirm" if found.state == "unsubscribed" else found.state
    return page(request, "unsubscribe.html", status, state=state, sub=found.subscription,
                token=token)  # fmt: skip


@router.post("/unsubscribe/{token}")
def unsubscribe(request: Request, token: str) -> Response:
    """The form's button and RFC 8058 one-click POSTs (``List-Unsubscribe=One-Click``)."""
    ctx = context_of(request)
    with ctx.connection() as conn:
        found = unsub.unsubscribe(conn, ctx.key, token)
    status = 404 if found.state == "invalid" else 200
    return page(request, "unsubscribe.html", status, state=found.state, sub=found.subscription,
                token=token)  # fmt: skip


# --- login -------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never ``//evil.example`` or an absolute URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/stories"
    return target


@router.get("/login")
def login_form(request: Request, next: str = "/stories") -> Response:
    return page(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
async def login(
    request: Request,
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/stories",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    ctx = context_of(request)
    target = _safe_next(next)
    who = caller_of(request)
    address = request.client.host if request.client else "?"
    wait = ctx.throttle.retry_after(address)
    if wait:
        response = page(request, "login.html", 429, next=target,
                        error=f"Too many failed attempts: try again in {wait} s.")  # fmt: skip
        response.headers["Retry-After"] = str(wait)
        return response
    if not csrf_valid(ctx.key, who.session, csrf):
        return page(request, "login.html", 403, next=target,
                    error="The form expired; try again.")  # fmt: skip
    if ctx.password is None or not password_matches(password, ctx.password):
        ctx.throttle.failed(address)
        return page(request, "login.html", 401, next=target, error="Wrong password.")
    ctx.throttle.succeeded(address)
    fresh = Session.new()  # a new id at login: a planted session id is worth nothing
    request.state.new_session = Session(fresh.sid, True, fresh.iat)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    if await _checked_form(request) is None:
        return _forbidden(request, "The form expired; reload the page and try again.")
    request.state.new_session = Session.new()
    return RedirectResponse("/login" if context_of(request).settings.needs_login else "/stories",
                            status_code=303)  # fmt: skip
