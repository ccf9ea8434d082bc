"""``wirewatch alerts retry``: giving failed and stuck alerts another set of attempts.

A failed alert is never sent again by itself (that is what makes a permanent
failure permanent); after fixing what made it fail — a relay's
configuration, a full mailbox, a webhook receiver — the operator requeues it.
*Stuck* alerts are pending ones that were already tried and wait for their
next attempt (backoff of up to 6 hours, or attempts used up by timeouts):
requeued, they are due at once with a fresh count of attempts.  Requeued
alerts keep their Message-ID, so a receiver that got one after all can drop
the repeat.

Each subscription is requeued under the advisory lock senders hold while they
work on it, so a running ``alerts send`` never sees its rows change under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.alerts.sender import LOCK_CLASS
from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.queries import Q


@dataclass
class RequeueReport:
    failed: int = 0  # failed alerts made pending again
    stuck: int = 0  # pending alerts made due now with their attempts reset
    inactive: list[int] = field(default_factory=list)  # subscriptions still disabled

    @property
    def total(self) -> int:
        return self.failed + self.stuck


def requeue(
    conn: psycopg.Connection[DictRow], subscription_id: int | None = None, *, stuck: bool = True
) -> RequeueReport:
    """Requeue the failed (and, with ``stuck``, stuck) alerts of one subscription or all."""
    report = RequeueReport()
    ids = [
        row["id"]
        for row in conn.execute(
            Q.requeue_subscriptions, {"subscription_id": subscription_id, "stuck": stuck}
        ).fetchall()
    ]
    for sub_id in ids:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_CLASS | sub_id,))
            rows = conn.execute(
                Q.requeue_outbox, {"subscription_id": sub_id, "stuck": stuck}
            ).fetchall()
            active = one_row(conn.execute(Q.subscription_by_id, {"id": sub_id}))["active"]
        report.failed += sum(row["was"] == "failed" for row in rows)
        report.stuck += sum(row["was"] == "pending" for row in rows)
        if rows and not active:
            report.inactive.append(sub_id)
    return report
