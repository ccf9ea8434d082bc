"""HMAC signatures for values handed to browsers and mail readers: cookies, CSRF tokens, links.

One key signs everything, each use under its own derived key (``derive``),
so a signature made for one purpose (a session cookie) is never accepted
for another (an unsubscribe link).  The key is ``[web] secret_env`` when
set, else a random key kept in the database (``web_keys``) and made on
first use, so the web app and every alert sender share it unconfigured.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.queries import Q

KEY_NAME = "signing"


def signing_key(
    conn: psycopg.Connection[DictRow],
    secret_env: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> bytes:
    """The installation's signing key: ``$secret_env``, else the database's (made if missing)."""
    if secret_env:
        value = environ.get(secret_env)
        if not value or len(value) < 16:
            raise UsageError(
                f"[web] secret_env names {secret_env}: set it to 16 characters or more"
            )
        return value.encode()
    with conn.transaction():
        conn.execute(Q.insert_web_key, {"name": KEY_NAME, "key": secrets.token_bytes(32)})
        return bytes(one_row(conn.execute(Q.web_key, {"name": KEY_NAME}))["key"])


def derive(key: bytes, purpose: str) -> bytes:
    """A key for one purpose only."""
    return hmac.new(key, f"wirewatch:{purpose}".encode(), hashlib.sha256).digest()


def sign(key: bytes, message: str, size: int = 32) -> str:
    """URL-safe signature of ``message`` (``size`` bytes of HMAC-SHA256, unpadded base64)."""
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()[:size]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify(key: bytes, message: str, signature: str, size: int = 32) -> bool:
    """Constant-time check of ``signature`` against ``message``."""
    return hmac.compare_digest(sign(key, message, size), signature)
