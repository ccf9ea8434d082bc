"""Delivering what the outbox holds: ``wirewatch alerts send`` and the scheduler's job.

Guarantee: **at least once, with a stable Message-ID**. A row is marked sent
only after the server accepted the message, in a transaction of its own. If
the process dies between the server's acceptance and that commit, the next
run sends the same message again with the same ``Message-ID`` (and webhook
``X-Wirewatch-Delivery``), derived from (subscription, story), (subscription,
revision) for an edit alert, or (subscription, digest period), so mail clients
and receivers can drop the repeat. Nothing is ever lost: an unreachable server
leaves every row pending for the next run.

Two senders at once (cron and the daemon) never deliver the same row twice:
each subscription is worked on under a session advisory lock, which
PostgreSQL releases by itself if the holder dies.

Retries: a temporary failure (4xx, timeout, webhook 5xx) is retried with
exponential backoff up to ``max_attempts``; a permanent one (5xx, refused
address) is recorded against the subscription at once and never retried.
Only failures that say the target is bad (a refused recipient, a webhook
4xx) count towards disabling: ``max_failures`` of those in a row disable the
subscription.  A channel that cannot be used (SMTP server unreachable,
session, login or sender refused) is no alert's failure: the run stops for
that channel, the attempt is given back, and every alert waits, untouched.

Bounded repeats: an attempt is counted (committed) *before* the message is
handed to its channel, so a message that timed out after DATA, or whose
sender died before recording the outcome, still used up an attempt.  No
alert is ever handed over more than ``max_attempts`` times.  A message whose
channel fails in transit does not stop the run: the next one is tried, so
one slow recipient or message never blocks the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from itertools import groupby
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.alerts.apprise_channel import AppriseChannel
from wirewatch.pipelines.alerts.outcome import FAILED, RETRY, SENT, ChannelDown, Outcome
from wirewatch.pipelines.alerts.render import (
    Rendered,
    StoryView,
    SubscriptionView,
    edit_view,
    email_message,
    message_id,
    payload,
    render,
    story_view,
    unsubscribe_header,
)
from wirewatch.pipelines.alerts.settings import SmtpSettings
from wirewatch.pipelines.alerts.smtp import SmtpChannel
from wirewatch.pipelines.alerts.webhook import WebhookChannel
from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

LOCK_CLASS = 0x616C_6572 << 32  # 'aler': advisory lock keys are LOCK_CLASS | subscription id


@dataclass(frozen=True)
class SendPolicy:
    max_attempts: int = 8  # temporary failures before a row is given up (about 4 hours)
    backoff_base: float = 60.0  # seconds before the first retry, doubled each time
    backoff_cap: float = 6 * 3600.0
    max_failures: int = 3  # permanent failures in a row that disable a subscription
    batch: int = 500  # rows per subscription per run

    def delay(self, attempts: int) -> float:
        return min(self.backoff_base * 2.0 ** max(0, attempts - 1), self.backoff_cap)


@dataclass
class Channels:
    email: SmtpChannel | None = None
    webhook: WebhookChannel = field(default_factory=WebhookChannel)
    apprise: AppriseChannel = field(default_factory=AppriseChannel)
    # (subscription id, recipient) -> one-click unsubscribe link ([web] public_url).
    unsubscribe: Callable[[int, str], str] | None = None

    def ready(self, channel: str) -> None:
        """Raise ChannelDown unless ``channel`` can take a message now (before it is counted)."""
        if channel != "email":
            return  # webhooks and Apprise connect per message; failing is the attempt's outcome
        if self.email is None:
            raise ChannelDown("no SMTP server configured ([smtp] or WIREWATCH_SMTP_URL)")
        self.email.connect()

    def close(self) -> None:
        if self.email is not None:
            self.email.close()


@dataclass
class SendReport:
    sent: int = 0  # messages (a digest counts once)
    retried: int = 0
    failed: int = 0
    busy: int = 0  # subscriptions another sender was working on
    down: dict[str, str] = field(default_factory=dict)  # channel -> why it was skipped

    @property
    def ok(self) -> bool:
        return not self.down


def subscription_view(row: Mapping[str, Any]) -> SubscriptionView:
    return SubscriptionView(row["id"], row["name"], row["query"], row["target"], row["digest"])


def load_stories(
    conn: psycopg.Connection[DictRow], rows: Sequence[Mapping[str, Any]]
) -> list[StoryView]:
    """Story views for outbox rows, outlets read now so late copies are listed;
    an edit alert's row (``revision`` set) with its revision and the one before."""
    views = []
    for row in rows:
        story = conn.execute(Q.story_for_message, {"story_id": row["story_id"]}).fetchone()
        if story is None:  # pragma: no cover - the outbox cascades with the story
            continue
        edit = None
        if row.get("revision") is not None:
            revision = conn.execute(
                Q.revision_for_message,
                {"article_id": row["article_id"], "revision": row["revision"]},
            ).fetchone()
            if revision is None:  # pragma: no cover - the outbox cascades with the revision
                continue
            edit = edit_view(revision)
        outlets = conn.execute(Q.story_outlets, {"story_id": row["story_id"]}).fetchall()
        views.append(story_view(story, outlets, row["matched_terms"], edit))
    return views


def _groups(sub: Mapping[str, Any], rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """One message per row, or per digest period."""
    if sub["digest"] == "immediate":
        return [[row] for row in rows]
    return [list(g) for _, g in groupby(rows, key=lambda r: r["due_at"])]


def _message_key(sub: Mapping[str, Any], group: Sequence[Mapping[str, Any]]) -> str:
    if sub["digest"] == "immediate":
        row = group[0]
        if row.get("revision") is not None:
            return f"edit{row['article_id']}.{row['revision']}"
        return str(row["story_id"])
    return f"{sub['digest']}{int(group[0]['due_at'].timestamp())}"


def _domain(smtp: SmtpSettings | None) -> str:
    return smtp.from_addr.rsplit("@", 1)[1] if smtp else "wirewatch.invalid"


@dataclass
class Prepared:
    subscription: SubscriptionView
    stories: list[StoryView]
    rendered: Rendered
    message_id: str


def prepare(
    conn: psycopg.Connection[DictRow],
    sub: Mapping[str, Any],
    group: Sequence[Mapping[str, Any]],
    smtp: SmtpSettings | None,
    timezone: tzinfo | None = None,
) -> Prepared | None:
    view = subscription_view(sub)
    stories = load_stories(conn, group)
    if not stories:
        return None
    rendered = render(view, stories, period_end=group[0]["due_at"], timezone=timezone)
    msg_id = message_id(sub["id"], _message_key(sub, group), sub["created_at"].isoformat(),
                        _domain(smtp))  # fmt: skip
    return Prepared(view, stories, rendered, msg_id)


def deliver(
    prepared: Prepared, sub: Mapping[str, Any], smtp: SmtpSettings | None, channels: Channels
) -> Outcome:
    """Hand one message to its channel; raises ChannelDown when the channel is unusable."""
    channel = sub["channel"]
    if channel == "email":
        if smtp is None or channels.email is None:
            raise ChannelDown("no SMTP server configured ([smtp] or WIREWATCH_SMTP_URL)")
        one_click = channels.unsubscribe(sub["id"], sub["target"]) if channels.unsubscribe else None
        message = email_message(
            prepared.rendered,
            from_addr=smtp.from_addr,
            to_addr=sub["target"],
            msg_id=prepared.message_id,
            list_unsubscribe=unsubscribe_header(
                prepared.subscription, smtp.from_addr, smtp.unsubscribe_url, one_click
            ),
            subscription_id=sub["id"],
            one_click=one_click is not None,
        )
        return channels.email.send(message, sub["target"])
    if channel == "webhook":
        body = payload(prepared.subscription, prepared.stories, prepared.message_id)
        return channels.webhook.send(sub["target"], sub["secret_env"], body, prepared.message_id)
    return channels.apprise.send(sub["target"], prepared.rendered.subject, prepared.rendered.text)


def claim_attempt(conn: psycopg.Connection[DictRow], group: Sequence[Mapping[str, Any]]) -> None:
    """Count the attempt before the message leaves: a crash or timeout cannot undo it."""
    conn.execute(Q.claim_outbox_attempt, {"ids": [row["id"] for row in group]})


def release_attempt(conn: psycopg.Connection[DictRow], group: Sequence[Mapping[str, Any]]) -> None:
    """Give a claimed attempt back: the channel refused before the message was handed over."""
    conn.execute(Q.release_outbox_attempt, {"ids": [row["id"] for row in group]})


def give_up(
    conn: psycopg.Connection[DictRow],
    sub: Mapping[str, Any],
    group: Sequence[Mapping[str, Any]],
    prepared: Prepared,
    policy: SendPolicy,
    report: SendReport,
) -> None:
    """Rows whose attempts are used up (the last ones left no outcome): failed, not sent again."""
    detail = f"gave up after {policy.max_attempts} attempts (the last left no outcome)"
    record(conn, sub, group, prepared, Outcome(FAILED, detail, disables=False), policy, report)


def _mark_sent(conn: psycopg.Connection[DictRow], ids: list[int], msg_id: str) -> None:
    conn.execute(Q.mark_outbox_sent, {"ids": ids, "message_id": msg_id})


def record(
    conn: psycopg.Connection[DictRow],
    sub: Mapping[str, Any],
    group: Sequence[Mapping[str, Any]],
    prepared: Prepared,
    outcome: Outcome,
    policy: SendPolicy,
    report: SendReport,
) -> None:
    ids = [row["id"] for row in group]
    attempts = max(row["attempts"] for row in group) + 1  # this one, counted by claim_attempt
    kind, detail, disables = outcome.kind, outcome.detail, outcome.disables
    if kind == RETRY and attempts >= policy.max_attempts:
        # Temporary trouble that lasted: this alert's failure, not proof of a bad address.
        kind, detail = FAILED, f"{detail} (gave up after {attempts} attempts)"
        disables = False
    with conn.transaction():
        if kind == SENT:
            _mark_sent(conn, ids, prepared.message_id)
            conn.execute(Q.subscription_delivered, {"id": sub["id"]})
            report.sent += 1
        elif kind == RETRY:
            delay = policy.delay(attempts)
            conn.execute(Q.mark_outbox_retry, {"ids": ids, "error": detail, "delay": delay})
            report.retried += 1
        else:
            conn.execute(Q.mark_outbox_failed, {"ids": ids, "error": detail})
            counted = Q.subscription_failed if disables else Q.subscription_error
            still_active = one_row(
                conn.execute(
                    counted,
                    {"id": sub["id"], "error": detail, "max_failures": policy.max_failures},
                )
            )["active"]
            report.failed += 1
            if not still_active:
                log.warning(
                    "alert %s disabled after %d permanent failures: %s",
                    sub["id"], policy.max_failures, detail,
                )  # fmt: skip
        conn.execute(
            Q.record_alert_attempt,
            {"subscription_id": sub["id"], "ids": ids, "outcome": kind, "detail": detail},
        )
    log.log(
        logging.WARNING if kind == FAILED else logging.INFO,
        "alert %s (%s) %s: %s [%s]",
        sub["id"], sub["channel"], kind, prepared.rendered.subject, detail,
    )  # fmt: skip


def send_due(
    conn: psycopg.Connection[DictRow],
    smtp: SmtpSettings | None,
    *,
    policy: SendPolicy | None = None,
    channels: Channels | None = None,
    now: datetime | None = None,
    unsubscribe: Callable[[int, str], str] | None = None,
    timezone: tzinfo | None = None,
) -> SendReport:
    """Deliver every due outbox row. ``conn`` must be in autocommit mode.

    ``unsubscribe`` makes the one-click link of e-mails (``[web] public_url``);
    ``timezone`` (``[alerts] timezone``) is the zone of the times messages show."""
    if not conn.autocommit:
        raise ValueError("send_due needs an autocommit connection (it commits per message)")
    policy = policy or SendPolicy()
    own_channels = channels is None
    if channels is None:
        channels = Channels(email=SmtpChannel(smtp) if smtp else None, unsubscribe=unsubscribe)
    report = SendReport()
    try:
        for due in conn.execute(Q.due_subscriptions).fetchall():
            _send_subscription(conn, due["id"], smtp, policy, channels, report, timezone)
    finally:
        if own_channels:
            channels.close()
    return report


def _send_subscription(
    conn: psycopg.Connection[DictRow],
    subscription_id: int,
    smtp: SmtpSettings | None,
    policy: SendPolicy,
    channels: Channels,
    report: SendReport,
    timezone: tzinfo | None = None,
) -> None:
    lock = LOCK_CLASS | subscription_id
    if not one_row(conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (lock,)))["ok"]:
        report.busy += 1
        return
    try:
        sub = conn.execute(Q.subscription_by_id, {"id": subscription_id}).fetchone()
        if sub is None or not sub["active"] or sub["channel"] in report.down:
            return
        rows = conn.execute(
            Q.due_outbox_of_subscription, {"subscription_id": sub["id"], "limit": policy.batch}
        ).fetchall()
        for group in _groups(sub, rows):
            prepared = prepare(conn, sub, group, smtp, timezone)
            if prepared is None:
                continue
            if max(row["attempts"] for row in group) >= policy.max_attempts:
                give_up(conn, sub, group, prepared, policy, report)
                continue
            try:
                channels.ready(sub["channel"])
                claim_attempt(conn, group)
                try:
                    outcome = deliver(prepared, sub, smtp, channels)
                except ChannelDown:
                    release_attempt(conn, group)  # refused before the message left
                    raise
            except ChannelDown as exc:
                report.down[sub["channel"]] = str(exc)
                log.error("%s alerts not sent this run: %s", sub["channel"], exc)
                return
            record(conn, sub, group, prepared, outcome, policy, report)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (lock,))


def preview(
    conn: psycopg.Connection[DictRow],
    sub: Mapping[str, Any],
    smtp: SmtpSettings | None,
    limit: int = 20,
    timezone: tzinfo | None = None,
) -> list[Prepared]:
    """What would be sent for ``sub`` (pending rows, due or not), rendered, nothing marked."""
    rows = conn.execute(
        Q.pending_outbox_of_subscription, {"subscription_id": sub["id"], "limit": limit}
    ).fetchall()
    prepared = (prepare(conn, sub, group, smtp, timezone) for group in _groups(sub, rows))
    return [p for p in prepared if p is not None]
