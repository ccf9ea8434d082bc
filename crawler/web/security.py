"""Who may do what: signed session cookies, CSRF tokens, login throttling, response headers.

Sessions are stateless: the cookie carries ``{"sid", "auth", "iat"}`` and an
HMAC, so nothing is stored server-side and a restart keeps people logged in
(the key lives in the database or ``[web] secret_env``).  The CSRF token of
a form is an HMAC of the session id: a page of another site can neither
read it nor make it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from wirewatch.pipelines import signing

COOKIE = "wirewatch_session"
SESSION_SECONDS = 12 * 3600
# Failed logins allowed per client address within WINDOW seconds, and from
# all addresses together (a guesser with many addresses).
MAX_FAILURES = 5
MAX_FAILURES_ALL = 50
WINDOW = 600.0

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links leave for crawled sites; unsubscribe URLs hold a token.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class Session:
    sid: str
    auth: bool = False
    iat: int = 0  # when it was issued (logged in), epoch seconds

    @classmethod
    def new(cls) -> Session:
        return cls(secrets.token_urlsafe(18), False, int(time.time()))


def encode_session(key: bytes, session: Session) -> str:
    body = (
        base64.urlsafe_b64encode(
            json.dumps({"sid": session.sid, "auth": session.auth, "iat": session.iat}).encode()
        )
        .decode()
        .rstrip("=")
    )
    return f"{body}.{signing.sign(signing.derive(key, 'session'), body)}"


def decode_session(key: bytes, value: str | None, now: float | None = None) -> Session | None:
    """The session in a cookie value; None when missing, forged, malformed or expired."""
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    if not signing.verify(signing.derive(key, "session"), body, mac):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        session = Session(str(data["sid"]), bool(data["auth"]), int(data["iat"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.auth and (now or time.time()) - session.iat > SESSION_SECONDS:
        return Session(session.sid)
    return session


def csrf_token(key: bytes, session: Session) -> str:
    return signing.sign(signing.derive(key, "csrf"), session.sid, 18)


def csrf_valid(key: bytes, session: Session, token: str | None) -> bool:
    if not token:
        return False
    return signing.verify(signing.derive(key, "csrf"), session.sid, token, 18)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def password_matches(given: str, expected: str | None) -> bool:
    """Constant time whatever the lengths (both are hashed first)."""
    return expected is not None and hmac.compare_digest(_digest(given), _digest(expected))


def bearer_matches(header: str | None, tokens: Iterable[str]) -> bool:
    """``Authorization: Bearer TOKEN`` with one of ``tokens`` (every one compared)."""
    if not header or not header.lower().startswith("bearer "):
        return False
    given = _digest(header[7:].strip())
    # A list, not a generator: every token is compared, no early exit.
    return any([hmac.compare_digest(given, _digest(t)) for t in tokens])


class LoginThrottle:
    """Failed logins per address in a sliding window; thread-safe (sync routes run in threads)."""

    def __init__(self, per_address: int = MAX_FAILURES, overall: int = MAX_FAILURES_ALL,
                 window: float = WINDOW):  # fmt: skip
        self.per_address, self.overall, self.window = per_address, overall, window
        self._failures: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def _trim(self, queue: deque[float], now: float) -> None:
        while queue and queue[0] <= now - self.window:
            queue.popleft()

    def retry_after(self, address: str, now: float | None = None) -> int:
        """Seconds until ``address`` may try again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            mine = self._failures.get(address, deque())
            self._trim(mine, now)
            self._trim(self._all, now)
            waits = []
            if len(mine) >= self.per_address:
                waits.append(mine[0] + self.window - now)
            if len(self._all) >= self.overall:
                waits.append(self._all[0] + self.window - now)
            return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._failures.setdefault(address, deque()).append(now)
            self._all.append(now)
            if len(self._failures) > 10_000:  # bounded memory under a flood
                recent = now - self.window
                self._failures = {a: q for a, q in self._failures.items() if q and q[-1] > recent}

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
