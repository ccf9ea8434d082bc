"""Emailing drift alarms to the operator, once per alarm, through the alert sender's SMTP.

Alarms are kept in ``health_alarms`` while raised: a new one is mailed once;
one that clears is forgotten, so it is mailed again if it comes back.  The
mail goes through ``pipelines.alerts.smtp`` with the ``[smtp]`` settings (or
``WIREWATCH_SMTP_URL``) that keyword alerts use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import psycopg
from psycopg.rows import DictRow

from wirewatch.crawler.config import Config
from wirewatch.crawler.health import Alarm
from wirewatch.crawler.schedule_config import schedule_options
from wirewatch.pipelines import db
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)


def sync_alarms(
    conn: psycopg.Connection[DictRow], sources: Sequence[str], alarms: Sequence[Alarm]
) -> list[Alarm]:
    """Make ``health_alarms`` hold exactly ``alarms`` for ``sources``; returns the new ones."""
    current = [f"{a.source}:{a.kind}" for a in alarms]
    raised = []
    with conn.transaction():
        for row in conn.execute(
            Q.clear_health_alarms, {"sources": list(sources), "current": current}
        ):
            log.info("health alarm cleared: %s %s", row["source"], row["kind"])
        for alarm in alarms:
            raised_now = db.one_row(
                conn.execute(
                    Q.raise_health_alarm,
                    {"source": alarm.source, "kind": alarm.kind, "message": alarm.message},
                )
            )["raised"]
            if raised_now:
                raised.append(alarm)
    return raised


def alarm_message(alarms: Sequence[dict], from_addr: str, to_addr: str) -> EmailMessage:
    """A plain-text mail listing the alarms.

    Valid source names are [a-z0-9_-], but an *invalid* source's alarm is
    labelled with whatever its table said, so names are made header-safe.
    """
    sources = sorted({_header_safe(a["source"]) for a in alarms})
    message = EmailMessage()
    message["Subject"] = f"wirewatch health: {len(alarms)} alarm(s) on {', '.join(sources)}"
    message["From"] = from_addr
    message["To"] = to_addr
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=from_addr.rpartition("@")[2] or None)
    lines = [
        f"- {a['source']}: {a['message']} (since {a['raised_at']:%Y-%m-%d %H:%M %Z})"
        for a in alarms
    ]
    message.set_content(
        "wirewatch noticed sources that look broken:\n\n"
        + "\n".join(lines)
        + "\n\nRun `wirewatch status` for the full table.\n"
    )
    return message


def _header_safe(text: str, limit: int = 40) -> str:
    return re.sub(r"[^A-Za-z0-9_.#-]+", "_", text)[:limit]


def notify_operator(
    conn: psycopg.Connection[DictRow],
    config: Config,
    sources: Sequence[str],
    alarms: Sequence[Alarm],
) -> int:
    """Record the alarms of ``sources`` and mail the new ones; returns how many were mailed."""
    sync_alarms(conn, sources, alarms)
    to_addr = schedule_options(config).operator_email
    if not to_addr:
        return 0
    from wirewatch.pipelines.alerts.outcome import SENT, ChannelDown
    from wirewatch.pipelines.alerts.settings import smtp_settings
    from wirewatch.pipelines.alerts.smtp import SmtpChannel

    settings = smtp_settings(config.smtp)
    if settings is None:
        log.warning("operator_email is set but no SMTP server is configured ([smtp])")
        return 0
    with conn.transaction():
        pending = conn.execute(Q.unnotified_health_alarms).fetchall()
        if not pending:
            return 0
        channel = SmtpChannel(settings)
        try:
            outcome = channel.send(alarm_message(pending, settings.from_addr, to_addr), to_addr)
        except ChannelDown as exc:
            log.error("could not email health alarms to %s: %s", to_addr, exc)
            return 0
        finally:
            channel.close()
        if outcome.kind != SENT:
            log.error("health alarm mail to %s refused: %s", to_addr, outcome.detail)
            return 0
        conn.execute(
            Q.mark_health_alarms_notified,
            {"keys": [f"{a['source']}:{a['kind']}" for a in pending]},
        )
    log.info("emailed %d health alarm(s) to %s", len(pending), to_addr)
    return len(pending)
