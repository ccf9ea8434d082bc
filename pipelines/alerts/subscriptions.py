"""Saving, listing, removing subscriptions, and mirroring the ``[[alert]]`` tables of the config."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.alerts.addresses import SubscriptionSpec, validate_spec
from wirewatch.pipelines.alerts.backfill import backfill_declared
from wirewatch.pipelines.alerts.query import parse
from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.errors import ConfigError, UsageError
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)


def add_subscription(conn: psycopg.Connection[DictRow], spec: SubscriptionSpec) -> dict[str, Any]:
    """Validate and save ``spec``; a bad query or address raises UsageError and saves nothing."""
    problems = validate_spec(spec)
    if problems:
        raise UsageError(
            "\n".join(
                reason if field == "query" else f"{field}: {reason}" for field, reason in problems
            )
        )
    parse(spec.query)
    try:
        with conn.transaction():
            return one_row(conn.execute(Q.insert_subscription, spec.as_row("cli")))
    except psycopg.errors.UniqueViolation:
        raise UsageError(f"a subscription named {spec.name!r} exists already") from None


def find_subscription(conn: psycopg.Connection[DictRow], key: str) -> dict[str, Any]:
    """A subscription by id (all digits) or name; UsageError when there is none."""
    key = key.strip()
    if key.isdigit():
        row = conn.execute(Q.subscription_by_id, {"id": int(key)}).fetchone()
    else:
        row = conn.execute(Q.subscription_by_name, {"name": key}).fetchone()
    if row is None:
        raise UsageError(f"no subscription {key!r} (see: wirewatch alerts list)")
    return row


def remove_subscription(conn: psycopg.Connection[DictRow], key: str) -> dict[str, Any]:
    row = find_subscription(conn, key)
    if row["origin"] == "config":
        raise UsageError(
            f"subscription {row['name']!r} is declared in wirewatch.toml; "
            "remove its [[alert]] table there instead"
        )
    with conn.transaction():
        conn.execute(Q.delete_subscription, {"id": row["id"]})
    return row


def enable_subscription(conn: psycopg.Connection[DictRow], key: str) -> dict[str, Any]:
    """Turn a subscription disabled by repeated failures back on."""
    row = find_subscription(conn, key)
    with conn.transaction():
        conn.execute(Q.enable_subscription, {"id": row["id"]})
    return row


def disable_subscription(
    conn: psycopg.Connection[DictRow], key: str, reason: str = "disabled by hand"
) -> dict[str, Any]:
    """Stop sending a subscription's alerts (they stay pending) until it is enabled again."""
    row = find_subscription(conn, key)
    with conn.transaction():
        conn.execute(Q.disable_subscription, {"id": row["id"], "reason": reason})
    return row


def list_subscriptions(conn: psycopg.Connection[DictRow]) -> list[dict[str, Any]]:
    return conn.execute(Q.list_subscriptions).fetchall()


def sync_config_alerts(conn: psycopg.Connection[DictRow], specs: Sequence[SubscriptionSpec]) -> int:
    """Make the 'config' subscriptions equal to ``specs`` (one transaction); returns changes.

    Then the tables' ``backfill`` runs where the current query has not had it
    yet (each in transactions of its own, after the sync committed)."""
    changed = 0
    with conn.transaction():
        for spec in specs:
            existing = conn.execute(Q.subscription_by_name, {"name": spec.name}).fetchone()
            if existing is not None and existing["origin"] != "config":
                raise ConfigError(
                    f"[[alert]] {spec.name!r}: a subscription of that name was added with "
                    "`wirewatch alerts add`; rename one of them"
                )
            row = dict(spec.as_row("config"))
            row.pop("origin")
            if conn.execute(Q.upsert_config_subscription, row).fetchone() is not None:
                changed += 1
        removed = conn.execute(
            Q.delete_config_subscriptions_except, {"names": [s.name for s in specs]}
        ).fetchall()
        changed += len(removed)
    if changed:
        log.info("alerts from the config file synced: %d change(s)", changed)
    backfill_declared(conn, specs)
    return changed


def mask_target(row: dict[str, Any]) -> str:
    """The target for listings: Apprise and webhook URLs can hold tokens, so hide their paths."""
    target: str = row["target"]
    if row["channel"] == "email":
        return target
    scheme, sep, rest = target.partition("://")
    if not sep:
        return "***"
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/***"
