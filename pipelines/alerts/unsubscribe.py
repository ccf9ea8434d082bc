"""One-click unsubscribe (RFC 8058): links signed per (subscription, recipient).

The link names the subscription; its signature binds the recipient's
address too, so a link cannot be altered to stop someone else's alerts and
stops working if the subscription is pointed at another address.  No login
is needed: holding the link is the permission.  Unsubscribing disables the
subscription (``disable_subscription``, as ``wirewatch alerts disable``
does), and doing it again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines import signing
from wirewatch.pipelines.alerts.subscriptions import disable_subscription
from wirewatch.pipelines.queries import Q

PURPOSE = "unsubscribe"
REASON = "unsubscribed by the recipient (one-click link)"
_TOKEN = re.compile(r"^([0-9]{1,18})\.([A-Za-z0-9_-]{22})$")
_SIZE = 16  # bytes of HMAC: 128 bits, 22 characters


def _message(subscription_id: int, recipient: str) -> str:
    return f"{subscription_id}\n{recipient}"


def token(key: bytes, subscription_id: int, recipient: str) -> str:
    """``ID.SIGNATURE`` for the link of one (subscription, recipient)."""
    mac = signing.sign(signing.derive(key, PURPOSE), _message(subscription_id, recipient), _SIZE)
    return f"{subscription_id}.{mac}"


def token_subscription(text: str) -> int | None:
    """The subscription id a well-formed token names (not yet verified), else None."""
    match = _TOKEN.match(text)
    return int(match.group(1)) if match else None


def token_valid(key: bytes, text: str, subscription_id: int, recipient: str) -> bool:
    match = _TOKEN.match(text)
    if not match or int(match.group(1)) != subscription_id:
        return False
    derived = signing.derive(key, PURPOSE)
    return signing.verify(derived, _message(subscription_id, recipient), match.group(2), _SIZE)


def link(public_url: str, key: bytes, subscription_id: int, recipient: str) -> str:
    return f"{public_url.rstrip('/')}/unsubscribe/{token(key, subscription_id, recipient)}"


def link_maker(public_url: str, key: bytes) -> Callable[[int, str], str]:
    """(subscription id, recipient) -> one-click link: what the alert sender puts in mail."""
    return lambda subscription_id, recipient: link(public_url, key, subscription_id, recipient)


@dataclass(frozen=True)
class Outcome:
    state: str  # "unsubscribed", "already", "invalid"
    subscription: dict[str, Any] | None = None


def lookup(conn: psycopg.Connection[DictRow], key: bytes, text: str) -> Outcome:
    """The subscription a link stops, or ``invalid`` (bad signature, no such subscription)."""
    subscription_id = token_subscription(text)
    if subscription_id is None:
        return Outcome("invalid")
    row = conn.execute(Q.subscription_by_id, {"id": subscription_id}).fetchone()
    if row is None or not token_valid(key, text, row["id"], row["target"]):
        return Outcome("invalid")
    return Outcome("unsubscribed" if row["active"] else "already", row)


def unsubscribe(conn: psycopg.Connection[DictRow], key: bytes, text: str) -> Outcome:
    """Disable the subscription the link names: ``unsubscribed`` once, then ``already``."""
    found = lookup(conn, key, text)
    if found.state != "unsubscribed" or found.subscription is None:
        return found
    disable_subscription(conn, str(found.subscription["id"]), REASON)
    return found


def links_for(
    conn: psycopg.Connection[DictRow], web: Any | None
) -> Callable[[int, str], str] | None:
    """The link maker for ``[web]`` settings with a ``public_url``; None without one."""
    if web is None or not getattr(web, "public_url", None):
        return None
    return link_maker(web.public_url, signing.signing_key(conn, web.secret_env))
