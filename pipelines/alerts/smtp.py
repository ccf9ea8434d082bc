"""Delivering e-mail over SMTP: one connection per run, replies sorted into sent/retry/failed.

A server that cannot be used at all makes the channel *down* for the run
(:class:`ChannelDown`: nothing is marked, every alert waits for the next
run).  That covers every reply about the session rather than one alert: a
connection refused, a greeting or EHLO/HELO refused, a login refused, and a
refused sender (any error reply to MAIL FROM) — a misconfigured relay would
give every message the same answer, so none of them is charged for it.  Only
a refused recipient (RCPT 5xx) is a permanent failure of the alert and
counts towards disabling its subscription; a message refused after DATA
(5xx) fails that alert alone.  Once connected, whatever goes wrong with one message — no answer
within ``timeout``, a connection dropped, an exchange that outlasts the
per-message deadline — is that message's failed attempt (retried later, with
the same Message-ID), and the next message gets a fresh connection: one slow
recipient or message never holds up the others.  Only when several messages
in a row get no answer is the server treated as down for the rest of the run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from wirewatch.pipelines.alerts.outcome import (
    FAILED,
    RETRY,
    SENT,
    ChannelDown,
    Outcome,
    classify_code,
)
from wirewatch.pipelines.alerts.settings import SmtpSettings

log = logging.getLogger(__name__)


_LOOPBACK = ("127.0.0.1", "::1", "localhost")
# One message (MAIL FROM to the reply after DATA) may take this many times
# ``timeout``: the socket timeout bounds each reply, this bounds a server that
# trickles its replies a byte at a time.
MESSAGE_DEADLINE_FACTOR = 2.0
# Messages in a row without an answer in time before the server counts as down.
TIMEOUTS_BEFORE_DOWN = 3


class _PhaseTracking:
    """Remembers which step of the SMTP exchange a message reached, for error messages."""

    phase = "connect"

    def mail(self, *args: Any, **kwargs: Any) -> Any:
        self.phase = "MAIL FROM"
        return super().mail(*args, **kwargs)  # type: ignore[misc]

    def rcpt(self, *args: Any, **kwargs: Any) -> Any:
        self.phase = "RCPT TO"
        return super().rcpt(*args, **kwargs)  # type: ignore[misc]

    def data(self, *args: Any, **kwargs: Any) -> Any:
        self.phase = "DATA"
        return super().data(*args, **kwargs)  # type: ignore[misc]


class _SMTP(_PhaseTracking, smtplib.SMTP):
    pass


class _SMTP_SSL(_PhaseTracking, smtplib.SMTP_SSL):
    pass


class Deadline:
    """Shuts a connection's socket down when one message takes longer than ``seconds``.

    Socket timeouts apply per read; a server that answers a byte every few
    seconds would never trip them.  Shutting the socket down from a timer
    thread makes the blocked read return at once.
    """

    def __init__(self, smtp: smtplib.SMTP, seconds: float):
        self.smtp = smtp
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self.smtp, "sock", None)
        if sock is not None:
            # The plain socket's shutdown: an SSL socket's drops its TLS state under the reader.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()


def _timed_out(exc: BaseException | None) -> bool:
    """A socket timeout, even wrapped: smtplib turns it into SMTPServerDisconnected."""
    while exc is not None:
        if isinstance(exc, TimeoutError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _greet(smtp: smtplib.SMTP) -> None:
    """EHLO, else HELO; SMTPHeloError when the server refuses both (smtplib would go on)."""
    code, reply = smtp.ehlo()
    if 200 <= code < 300:
        return
    code, reply = smtp.helo()
    if not 200 <= code < 300:
        raise smtplib.SMTPHeloError(code, reply)


def _reply_text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:300]


class SmtpChannel:
    """Sends messages through one SMTP connection, opened on first use.

    Connecting is tried ``connect_retries + 1`` times with exponential backoff;
    if it still fails the channel is down for this run (:class:`ChannelDown`).
    """

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        connect_attempts: int | None = None,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        environ: Mapping[str, str] = os.environ,
        message_deadline: float | None = None,
        timeouts_before_down: int = TIMEOUTS_BEFORE_DOWN,
    ):
        self.settings = settings
        attempts = settings.connect_retries + 1 if connect_attempts is None else connect_attempts
        self.connect_attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep
        self.environ = environ
        if message_deadline is None:
            message_deadline = settings.timeout * MESSAGE_DEADLINE_FACTOR
        self.message_deadline = message_deadline
        self.timeouts_before_down = timeouts_before_down
        self.timeouts_in_row = 0
        self._smtp: _SMTP | _SMTP_SSL | None = None

    def _open(self) -> _SMTP | _SMTP_SSL:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file)
        smtp: _SMTP | _SMTP_SSL
        if s.security == "ssl":
            smtp = _SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = _SMTP(s.host, s.port, timeout=s.timeout)
        try:
            _greet(smtp)
            if s.security == "starttls":
                smtp.starttls(context=context)
                _greet(smtp)
            if s.username:
                if s.security == "none" and s.host not in _LOOPBACK:
                    log.warning("SMTP %s: logging in without TLS", s.describe())
                smtp.login(s.username, self.settings.resolve_password(self.environ) or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def connect(self) -> None:
        """Make sure a connection is open; ChannelDown when the server cannot be used."""
        if self.timeouts_in_row >= self.timeouts_before_down:
            raise ChannelDown(
                f"{self.settings.describe()} did not answer in time for "
                f"{self.timeouts_in_row} messages in a row"
            )
        if self._smtp is None:
            self._smtp = self._connect()

    def _connect(self) -> _SMTP | _SMTP_SSL:
        last: Exception | None = None
        for attempt in range(self.connect_attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._open()
            except smtplib.SMTPAuthenticationError as exc:
                raise ChannelDown(
                    f"{self.settings.describe()} refused the login: "
                    f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
                ) from None
            except smtplib.SMTPResponseException as exc:
                last = exc
                if 500 <= exc.smtp_code < 600:
                    break  # refused for good (greeting, EHLO, STARTTLS): no point retrying now
                log.warning(
                    "SMTP %s: connection attempt %d failed: %s",
                    self.settings.describe(),
                    attempt + 1,
                    exc,
                )
            except (OSError, smtplib.SMTPException) as exc:
                last = exc
                log.warning(
                    "SMTP %s: connection attempt %d failed: %s",
                    self.settings.describe(),
                    attempt + 1,
                    exc,
                )
        if isinstance(last, smtplib.SMTPResponseException):
            raise ChannelDown(
                f"{self.settings.describe()} refused the session: "
                f"{last.smtp_code} {_reply_text(last.smtp_error)}"
            )
        raise ChannelDown(f"cannot reach {self.settings.describe()}: {last}")

    def send(self, message: EmailMessage, to_addr: str) -> Outcome:
        """Deliver one message; ChannelDown when no connection can be had or the sender is
        refused (nothing was handed over: the caller gives the attempt back)."""
        self.connect()
        smtp = self._smtp
        assert smtp is not None
        try:
            with Deadline(smtp, self.message_deadline) as deadline:
                smtp.send_message(message, from_addr=self.settings.from_addr, to_addrs=[to_addr])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            self._answered()
            return classify_code(code, f"recipient refused: {_reply_text(reply)}")
        except smtplib.SMTPSenderRefused as exc:
            # About the relay and our From, not this alert: every message would get it.
            self._answered()
            self.close()
            raise ChannelDown(
                f"{self.settings.describe()} refused the sender {self.settings.from_addr} "
                f"at MAIL FROM: {exc.smtp_code} {_reply_text(exc.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as exc:  # after DATA: this message was refused
            self._answered()
            self._reset()
            return classify_code(exc.smtp_code, _reply_text(exc.smtp_error), disables=False)
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address without SMTPUTF8
            self._answered()
            self._reset()
            return Outcome(FAILED, str(exc))
        except OSError as exc:  # timeouts, SMTPServerDisconnected, resets, the deadline
            self.close()
            return self._lost(smtp.phase, exc, deadline_expired=deadline.expired)
        if deadline.expired:
            # The cut-off reply may still have parsed ("250 " then EOF): not an acceptance.
            self.close()
            return self._lost(smtp.phase, TimeoutError(), deadline_expired=True)
        self._answered()
        return Outcome(SENT, f"accepted by {self.settings.host}")

    def _answered(self) -> None:
        self.timeouts_in_row = 0

    def _lost(self, phase: str, exc: OSError, *, deadline_expired: bool) -> Outcome:
        """The message's attempt failed in transit: retried later, with the same Message-ID."""
        where = self.settings.describe()
        maybe_sent = " (it may have arrived: the retry has the same Message-ID)"
        if deadline_expired or _timed_out(exc):
            self.timeouts_in_row += 1
            limit = self.message_deadline if deadline_expired else self.settings.timeout
            detail = f"no answer from {where} at {phase} within {limit:g} s"
        else:
            detail = f"{where} dropped the connection at {phase}: {exc}"
        if phase == "DATA":
            detail += maybe_sent
        log.warning("SMTP: %s", detail)
        return Outcome(RETRY, detail)

    def _reset(self) -> None:
        """After a refused message, start the next one on a clean transaction."""
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None
