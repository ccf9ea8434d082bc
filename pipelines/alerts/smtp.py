"""Delivering e-mail over SMTP: one connection per run, replies sorted into sent/retry/failed."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage

from pipelines.alerts.outcome import SENT, ChannelDown, Outcome, classify_code
from pipelines.alerts.settings import SmtpSettings

log = logging.getLogger(__name__)


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


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
    ):
        self.settings = settings
        attempts = settings.connect_retries + 1 if connect_attempts is None else connect_attempts
        self.connect_attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep
        self.environ = environ
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file)
        smtp: smtplib.SMTP
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                if s.security == "none" and s.host not in _LOOPBACK:
                    log.warning("SMTP %s: logging in without TLS", s.describe())
                smtp.login(s.username, self.settings.resolve_password(self.environ) or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _connect(self) -> smtplib.SMTP:
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
            except (OSError, smtplib.SMTPException) as exc:
                last = exc
                log.warning(
                    "SMTP %s: connection attempt %d failed: %s",
                    self.settings.describe(),
                    attempt + 1,
                    exc,
                )
        raise ChannelDown(f"cannot reach {self.settings.describe()}: {last}")

    def send(self, message: EmailMessage, to_addr: str) -> Outcome:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message, from_addr=self.settings.from_addr, to_addrs=[to_addr])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return classify_code(code, f"recipient refused: {_reply_text(reply)}")
        except smtplib.SMTPResponseException as exc:
            self._reset()
            return classify_code(exc.smtp_code, _reply_text(exc.smtp_error))
        except OSError as exc:  # SMTPServerDisconnected, timeouts, resets (SMTPException too)
            self.close()
            raise ChannelDown(f"{self.settings.describe()} dropped the connection: {exc}") from None
        return Outcome(SENT, f"accepted by {self.settings.host}")

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
