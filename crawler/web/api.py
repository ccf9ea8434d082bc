"""The JSON API under ``/api/v1/``: stories, changes after a cursor, sources, alerts.

Every answer carries an ETag (``If-None-Match`` gets a 304).  Lists are
cursor-paged: pass back ``next_cursor`` as ``cursor`` until it is null.
``changes`` uses the cursor of ``wirewatch feed``.  Changing alerts needs a
login (``Authorization: Bearer TOKEN`` from ``[web] tokens_env``, or the
session cookie) and a JSON body, which a page of another site cannot send.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from wirewatch.crawler.web import data
from wirewatch.crawler.web.context import caller_of, context_of
from wirewatch.crawler.web.responses import json_response
from wirewatch.pipelines.alerts.addresses import SubscriptionSpec
from wirewatch.pipelines.alerts.query import QuerySyntaxError, format_query, parse
from wirewatch.pipelines.alerts.subscriptions import (
    add_subscription,
    disable_subscription,
    enable_subscription,
    find_subscription,
    list_subscriptions,
    mask_target,
    remove_subscription,
)
from wirewatch.pipelines.cursor import parse_cursor
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.feed import FIELDS as CHANGE_FIELDS

router = APIRouter(prefix="/api/v1", tags=["wirewatch"])

Limit = Annotated[int, Query(ge=1, le=data.MAX_PAGE, description="page size")]


def _error(request: Request, status: int, message: str) -> Response:
    response = json_response(request, {"error": message}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wirewatch"'
    return response


def _denied_read(request: Request) -> Response | None:
    return None if caller_of(request).can_read else _error(request, 401, "login required")


def _denied_edit(request: Request) -> Response | None:
    return None if caller_of(request).can_edit else _error(request, 401, "login required")


def editor_writes(request: Request) -> None:
    """Changes need a login, and a JSON body unless a bearer token is used: a page of
    another site can post a form with the browser's cookie, but not JSON."""
    who = caller_of(request)
    if not who.can_edit:
        raise HTTPException(401, "login required", {"WWW-Authenticate": 'Bearer realm="wirewatch"'})
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not who.bearer and kind != "application/json":
        raise HTTPException(415, "send a JSON body (Content-Type: application/json)")


Write = [Depends(editor_writes)]


@router.get("/stories", summary="Newest stories, filtered or searched (alert query syntax)")
def stories(
    request: Request,
    q: Annotated[str, Query(description="search query, e.g. Mansur AND flood*")] = "",
    source: str = "",
    outlet: str = "",
    language: str = "",
    since: Annotated[str, Query(description="first seen on or after YYYY-MM-DD")] = "",
    until: Annotated[str, Query(description="first seen on or before YYYY-MM-DD")] = "",
    cursor: Annotated[str, Query(description="next_cursor of the previous page")] = "",
    limit: Limit = data.PAGE_SIZE,
) -> Response:
    if denied := _denied_read(request):
        return denied
    filters = data.StoryFilters(q, source, outlet, language, since, until, cursor)
    try:
        with context_of(request).connection() as conn:
            result = data.list_stories(conn, filters, limit)
    except UsageError as exc:
        return _error(request, 400, str(exc))
    return json_response(request, {"stories": result.stories, "next_cursor": result.next_cursor})


@router.get("/stories/{story_id}", summary="One story with its copies and canonical text")
def story(request: Request, story_id: Annotated[int, Path(ge=1)]) -> Response:
    if denied := _denied_read(request):
        return denied
    who = caller_of(request)
    with context_of(request).connection() as conn:
        detail = data.story_detail(conn, story_id, with_alerts=who.can_edit)
    if detail is None:
        return _error(request, 404, f"no story {story_id}")
    body: dict[str, Any] = {
        "story": detail.story,
        "copies": detail.copies,
        "timeline": [asdict(t) for t in detail.timeline],
    }
    if who.can_edit:
        body["alerts"] = detail.alerts
    return json_response(request, body)


@router.get("/changes", summary="Changes after a cursor (as `wirewatch feed`), oldest first")
def changes(
    request: Request,
    cursor: Annotated[
        str, Query(description="the last cursor handled; empty: from the start")
    ] = "",
    q: Annotated[str, Query(description="only stories matching this query")] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    if denied := _denied_read(request):
        return denied
    try:
        after = parse_cursor(cursor)
        with context_of(request).connection() as conn:
            result = data.read_changes(conn, after, limit, q or None)
    except UsageError as exc:
        return _error(request, 400, str(exc))
    rows = [{k: row.get(k) for k in CHANGE_FIELDS} for row in result.changes]
    return json_response(request, {"changes": rows, "next_cursor": str(result.next_cursor)})


def _source_json(row: data.SourceRow) -> dict[str, Any]:
    status = asdict(row.status)
    status["healthy"] = row.status.healthy
    return status | {
        "kind": row.kind,
        "extraction_yield": row.extraction_yield,
        "days": [{"label": b.label} for b in row.chart.bars],
    }


@router.get("/sources", summary="Configured sources with their health (as `wirewatch status`)")
def sources(request: Request, cursor: str = "", limit: Limit = data.PAGE_SIZE) -> Response:
    if denied := _denied_read(request):
        return denied
    ctx = context_of(request)
    with ctx.connection() as conn:
        rows = data.sources_overview(conn, ctx.config, datetime.now(UTC))
    rows = sorted(rows, key=lambda r: r.status.source)
    rows = [r for r in rows if r.status.source > cursor] if cursor else rows
    more = len(rows) > limit
    rows = rows[:limit]
    return json_response(
        request,
        {
            "sources": [_source_json(r) for r in rows],
            "next_cursor": rows[-1].status.source if more else None,
        },
    )


@router.get("/query", summary="Check an alert query: normalised form, or the error and position")
def check_query(request: Request, q: str = "") -> Response:
    if denied := _denied_read(request):
        return denied
    try:
        tree = parse(q)
    except QuerySyntaxError as exc:
        return json_response(
            request,
            {"ok": False, "error": str(exc), "reason": exc.reason, "position": exc.position},
        )
    return json_response(request, {"ok": True, "query": format_query(tree)})


def _alert_json(row: dict[str, Any]) -> dict[str, Any]:
    fields = ("id", "name", "query", "exact", "channel", "digest", "on_edit", "origin", "active",
              "disabled_reason", "pending", "sent", "failed", "last_error")  # fmt: skip
    return {k: row.get(k) for k in fields} | {"target": mask_target(row)}


@router.get("/alerts", summary="Alert subscriptions with sent / pending / failed counts")
def alerts(
    request: Request,
    cursor: Annotated[int, Query(ge=0, description="next_cursor of the previous page")] = 0,
    limit: Limit = data.PAGE_SIZE,
) -> Response:
    if denied := _denied_edit(request):
        return denied
    with context_of(request).connection() as conn:
        rows = [r for r in list_subscriptions(conn) if r["id"] > cursor]
    more = len(rows) > limit
    rows = rows[:limit]
    return json_response(
        request,
        {"alerts": [_alert_json(r) for r in rows], "next_cursor": rows[-1]["id"] if more else None},
    )


class AlertIn(BaseModel):
    query: str = Field(description="alert query")
    channel: Literal["email", "webhook", "apprise"] = "email"
    target: str = Field(description="address, webhook URL or Apprise URL")
    name: str | None = None
    digest: Literal["immediate", "hourly", "daily"] = "immediate"
    exact: bool = False
    secret_env: str | None = None
    on_edit: Literal["headline", "substantive"] | None = Field(
        None, description="also alert on edits of the stories alerted on (as --on-edit)"
    )


@router.post(
    "/alerts", status_code=201, dependencies=Write, summary="Add a subscription (as `alerts add`)"
)
def add_alert(request: Request, alert: AlertIn) -> Response:
    spec = SubscriptionSpec(**alert.model_dump())
    try:
        with context_of(request).connection() as conn:
            row = add_subscription(conn, spec)
            row = find_subscription(conn, str(row["id"]))
    except UsageError as exc:
        return _error(request, 400, str(exc))
    return json_response(request, {"alert": _alert_json(row)}, 201)


def _change(request: Request, subscription_id: int, action: Any) -> Response:
    try:
        with context_of(request).connection() as conn:
            action(conn, str(subscription_id))
            row = next((r for r in list_subscriptions(conn) if r["id"] == subscription_id), None)
    except UsageError as exc:
        status = 404 if "no subscription" in str(exc) else 409
        return _error(request, status, str(exc))
    return json_response(request, {"alert": _alert_json(row) if row else None})


@router.post("/alerts/{subscription_id}/enable", dependencies=Write, summary="Enable one")
def enable(request: Request, subscription_id: int) -> Response:
    return _change(request, subscription_id, enable_subscription)


@router.post("/alerts/{subscription_id}/disable", dependencies=Write, summary="Disable one")
def disable(request: Request, subscription_id: int) -> Response:
    return _change(request, subscription_id, disable_subscription)


@router.delete(
    "/alerts/{subscription_id}", dependencies=Write, summary="Remove one (not config ones)"
)
def remove(request: Request, subscription_id: int) -> Response:
    return _change(request, subscription_id, remove_subscription)
