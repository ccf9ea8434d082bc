"""Keyword alerts: manage subscriptions, deliver what is due, preview what would be sent.

Its options, and the description `wirewatch alerts --help` prints, are in
crawler/usage/alerts.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.crawler.config import Config, config_path, load_config
from wirewatch.pipelines import db
from wirewatch.pipelines.alerts.addresses import SubscriptionSpec
from wirewatch.pipelines.alerts.backfill import BackfillReport, backfill
from wirewatch.pipelines.alerts.matching import Matcher, StoryDoc, exact_only
from wirewatch.pipelines.alerts.query import format_query, parse
from wirewatch.pipelines.alerts.retry import requeue
from wirewatch.pipelines.alerts.sender import preview, send_due
from wirewatch.pipelines.alerts.settings import SmtpSettings, smtp_settings
from wirewatch.pipelines.alerts.subscriptions import (
    add_subscription,
    disable_subscription,
    enable_subscription,
    find_subscription,
    list_subscriptions,
    mask_target,
    remove_subscription,
    sync_config_alerts,
)
from wirewatch.pipelines.alerts.unsubscribe import links_for
from wirewatch.pipelines.errors import UsageError


def _config(args: argparse.Namespace) -> Config | None:
    """The config file when one is given or present; alerts work without one."""
    path = config_path(args.config)
    if args.config or path.exists():
        return load_config(path)
    return None


def _connect() -> psycopg.Connection[DictRow]:
    url = db.database_url()
    db.ensure_migrated(url)
    return db.connect(url, autocommit=True)


def _smtp(config: Config | None) -> SmtpSettings | None:
    return smtp_settings(config.smtp if config else None)


def _zone(config: Config | None) -> tzinfo | None:
    """``[alerts] timezone``: the zone of the times messages show (None: UTC)."""
    return config.alerts.zone if config is not None else None


def run(args: argparse.Namespace) -> int:
    if args.alerts_command == "check":
        return _check(args)
    config = _config(args)
    smtp = _smtp(config)  # validates WIREWATCH_SMTP_URL before touching the database
    with _connect() as conn:
        if config is not None:
            sync_config_alerts(conn, config.subscriptions)
        action = args.alerts_command
        if action == "add":
            return _add(conn, args)
        if action == "list":
            return _list(conn, args)
        if action == "remove":
            row = remove_subscription(conn, args.subscription)
            print(
                f"removed subscription {row['id']}" + (f" ({row['name']})" if row["name"] else "")
            )
            return 0
        if action == "enable":
            row = enable_subscription(conn, args.subscription)
            print(f"enabled subscription {row['id']}")
            return 0
        if action == "disable":
            row = disable_subscription(conn, args.subscription)
            print(f"disabled subscription {row['id']} (`alerts enable {row['id']}` undoes it)")
            return 0
        if action == "send":
            web = config.web if config is not None else None
            return _send(conn, smtp, args, links_for(conn, web), _zone(config))
        if action == "backfill":
            return _backfill(conn, args)
        if action == "retry":
            return _retry(conn, args)
        return _preview(conn, smtp, args, _zone(config))


def _check(args: argparse.Namespace) -> int:
    """Exit 0 when the text matches (or no text was given), 1 when it does not."""
    tree = parse(args.query)
    if args.exact:
        tree = exact_only(tree)
    print(f"query: {format_query(tree)}")
    if args.file is None:
        return 0
    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.file}: {exc}") from None
    matches = Matcher([(0, tree)]).match(StoryDoc(title=args.title, text=text))
    if not matches:
        print("no match")
        return 1
    print(f"match: {', '.join(matches[0].terms)}")
    return 0


def _add(conn: psycopg.Connection[DictRow], args: argparse.Namespace) -> int:
    if args.secret_env and not args.webhook:
        raise UsageError("--secret-env is for --webhook subscriptions")
    channel = "email" if args.email else "webhook" if args.webhook else "apprise"
    spec = SubscriptionSpec(
        query=args.query,
        channel=channel,
        target=args.email or args.webhook or args.apprise,
        name=args.name,
        digest=args.digest or "immediate",
        exact=args.exact,
        secret_env=args.secret_env,
        on_edit=args.on_edit,
    )
    row = add_subscription(conn, spec)
    label = f"{row['id']} ({row['name']})" if row["name"] else str(row["id"])
    print(f"added subscription {label}: {row['query']} -> {channel} {mask_target(row)}")
    if args.backfill:
        print(_backfilled(row, args.backfill, backfill(conn, row, args.backfill)))
    return 0


def format_duration(value: timedelta) -> str:
    """A window as the duration syntax writes it (7d, 36h, 90m)."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _ref(row: Mapping[str, Any]) -> str:
    """How commands refer to a subscription: its name, else its id."""
    return row["name"] or str(row["id"])


def _backfilled(row: Mapping[str, Any], window: timedelta, report: BackfillReport) -> str:
    stories = "story" if report.matched == 1 else "stories"
    line = (
        f"backfill of the last {format_duration(window)}: {report.matched} stored {stories} "
        f"matched, {report.queued} queued"
    )
    if not row["active"]:
        return line + f" (the subscription is disabled: `wirewatch alerts enable {_ref(row)}`)"
    if report.queued:
        return line + f" (see `wirewatch alerts preview {_ref(row)}`)"
    return line


def _backfill(conn: psycopg.Connection[DictRow], args: argparse.Namespace) -> int:
    row = find_subscription(conn, args.subscription)
    if not row["active"]:
        raise UsageError(
            f"subscription {_ref(row)} is disabled, so nothing would be queued: "
            f"`wirewatch alerts enable {_ref(row)}` first"
        )
    print(_backfilled(row, args.since, backfill(conn, row, args.since)))
    return 0


def _retry(conn: psycopg.Connection[DictRow], args: argparse.Namespace) -> int:
    row = find_subscription(conn, args.subscription) if args.subscription else None
    report = requeue(conn, row["id"] if row else None, stuck=not args.failed)
    what = f"{report.failed} failed" + ("" if args.failed else f", {report.stuck} waiting to retry")
    print(f"requeued {report.total} alert(s): {what}" + (
        "; `wirewatch alerts send` delivers them" if report.total else ""))  # fmt: skip
    for sub_id in report.inactive:
        print(f"subscription {sub_id} is disabled: its alerts wait until "
              f"`wirewatch alerts enable {sub_id}`")  # fmt: skip
    return 0


def _nothing_pending(
    conn: psycopg.Connection[DictRow], row: Mapping[str, Any], window: timedelta
) -> str:
    """Why a preview is empty, and what would change it."""
    head = f"nothing pending for subscription {row['id']}"
    if not row["active"]:
        reason = f": {row['disabled_reason']}" if row["disabled_reason"] else ""
        return f"{head}; it is disabled{reason} (`wirewatch alerts enable {_ref(row)}`)"
    report = backfill(conn, row, window, dry_run=True)
    since = format_duration(window)
    if report.matched:
        one = report.matched == 1
        return (
            f"{head}, but {report.matched} {'story' if one else 'stories'} stored in the last "
            f"{since} {'matches' if one else 'match'} it and {'was' if one else 'were'} never "
            "queued (a subscription sees only the stories stored after it was added): "
            f"run `wirewatch alerts backfill {_ref(row)} --since {since}`"
        )
    return (
        f"{head}; no story stored in the last {since} matches it that was not already "
        "queued; new stories are matched as they are stored"
    )


def _status(row: dict[str, Any]) -> str:
    if row["active"]:
        return "active"
    return f"disabled: {row['disabled_reason']}" if row["disabled_reason"] else "disabled"


def _list(conn: psycopg.Connection[DictRow], args: argparse.Namespace) -> int:
    rows = list_subscriptions(conn)
    if args.json:
        for row in rows:
            print(
                json.dumps(
                    {
                        "id": row["id"],
                        "name": row["name"],
                        "query": row["query"],
                        "exact": row["exact"],
                        "channel": row["channel"],
                        "target": mask_target(row),
                        "digest": row["digest"],
                        "on_edit": row["on_edit"],
                        "origin": row["origin"],
                        "status": _status(row),
                        "pending": row["pending"],
                        "sent": row["sent"],
                        "failed": row["failed"],
                        "last_error": row["last_error"],
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    if not rows:
        print("no subscriptions (add one with: wirewatch alerts add --query Q --email ADDR)")
        return 0
    for row in rows:
        name = f" {row['name']}" if row["name"] else ""
        flags = [row["digest"], row["origin"]] + (["exact"] if row["exact"] else [])
        flags += [f"on edit: {row['on_edit']}"] if row["on_edit"] else []
        print(f"{row['id']}{name}: {row['query']}")
        print(f"    {row['channel']} {mask_target(row)} ({', '.join(flags)}) - {_status(row)}")
        print(f"    sent {row['sent']}, pending {row['pending']}, failed {row['failed']}")
        if row["last_error"]:
            print(f"    last error: {row['last_error']}")
    return 0


def _send(
    conn: psycopg.Connection[DictRow],
    smtp: SmtpSettings | None,
    args: argparse.Namespace,
    unsubscribe: Callable[[int, str], str] | None = None,
    zone: tzinfo | None = None,
) -> int:
    report = send_due(conn, smtp, unsubscribe=unsubscribe, timezone=zone)
    if report.sent or report.retried or report.failed or report.down or not args.quiet:
        print(
            f"alerts: {report.sent} sent, {report.retried} to retry, {report.failed} failed"
            + (f", {report.busy} busy in another sender" if report.busy else "")
        )
    for channel, reason in report.down.items():
        print(f"wirewatch: {channel} alerts left pending: {reason}", file=sys.stderr)
    return 0 if report.ok else 1


def _preview(
    conn: psycopg.Connection[DictRow],
    smtp: SmtpSettings | None,
    args: argparse.Namespace,
    zone: tzinfo | None = None,
) -> int:
    row = find_subscription(conn, args.subscription)
    messages = preview(conn, row, smtp, limit=args.limit, timezone=zone)
    if not messages:
        print(_nothing_pending(conn, row, args.since))
        return 0
    for i, prepared in enumerate(messages):
        if i:
            print("\n" + "=" * 72 + "\n")
        print(f"Subject: {prepared.rendered.subject}")
        print(f"To: {row['channel']} {mask_target(row)}")
        print(f"Message-ID: {prepared.message_id}\n")
        print(prepared.rendered.html if args.html else prepared.rendered.text, end="")
    return 0
