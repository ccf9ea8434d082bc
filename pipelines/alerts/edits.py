"""Alerts on edits: one more message when a story someone was alerted about is edited.

A subscription opts in with ``on_edit`` (``wirewatch alerts add --on-edit``):

- ``headline``: the canonical copy's headline changed;
- ``substantive``: its headline changed, or its text changed by at least
  :data:`SUBSTANTIVE_SHARE` of the previous revision's words (and at least
  :data:`SUBSTANTIVE_MIN_WORDS`), or by :data:`SUBSTANTIVE_WORDS` words
  whatever the length.  Words changed = words added + words removed, counted
  as multisets (``pipelines.revisions.word_changes``): a typo fix changes 2,
  a moved paragraph none.

Each revision is judged against the one before it.  Only the story's
canonical copy counts (an outlet reprinting the story and editing its copy is
not the story changing), and only while it stays canonical: when an edit makes
another copy canonical, that is a different text, not an edit of the one
alerted about.

Who is told: subscriptions that opted in and whose alert for the story was
already handed over (sent, or tried: it may have reached them).  A story
alert still waiting needs no update, it shows the edited text when it goes;
a subscription that never alerted on the story gets no edit alert (when the
edit makes it match, it gets the story's first alert instead).  The query is
not matched again: an edit that removes the words a reader asked for (a
corrected name, a retraction) is exactly the update they need.

The rows are queued in the transaction that stores the article and its
revision, under a unique key per (revision, subscription), so a crash or a
re-run never queues an edit alert twice; delivery then works as for story
alerts (``pipelines.alerts.sender``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.alerts.addresses import ON_EDIT
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

SUBSTANTIVE_SHARE = 0.10  # of the previous revision's words, added + removed
SUBSTANTIVE_MIN_WORDS = 5  # a short text needs more than a typo fix (2 words) to count
SUBSTANTIVE_WORDS = 100  # this many words changed count in a text of any length


def substantive(words_added: int, words_removed: int, previous_words: int) -> bool:
    """Whether a text edit of this size is worth a ``substantive`` alert."""
    changed = words_added + words_removed
    if changed >= SUBSTANTIVE_WORDS:
        return True
    return changed >= max(SUBSTANTIVE_MIN_WORDS, SUBSTANTIVE_SHARE * previous_words)


def wants(on_edit: str | None, revision: Mapping[str, Any]) -> bool:
    """Whether a subscription with this ``on_edit`` is alerted about ``revision``
    (a ``revision_just_recorded`` row)."""
    if on_edit not in ON_EDIT:
        return False
    if revision["headline_changed"]:
        return True
    if on_edit == "headline":
        return False
    previous_words = len((revision["previous_text"] or "").split())
    return substantive(revision["words_added"], revision["words_removed"], previous_words)


def enqueue_edits(conn: psycopg.Connection[DictRow], story_id: int, article_id: int) -> int:
    """Queue the edit alerts that the revision just recorded for ``article_id`` calls for.

    Called in the storing transaction, after the revision was recorded, when
    the article was updated and its story kept it as canonical; returns rows added.
    """
    subscriptions = conn.execute(Q.edit_alert_subscriptions, {"story_id": story_id}).fetchall()
    if not subscriptions:
        return 0
    revision = conn.execute(
        Q.revision_just_recorded, {"story_id": story_id, "article_id": article_id}
    ).fetchone()
    if revision is None:
        return 0  # not a title or text change, or no longer the canonical copy
    chosen = [sub["id"] for sub in subscriptions if wants(sub["on_edit"], revision)]
    if not chosen:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            Q.enqueue_edit_alert,
            [
                {
                    "subscription_id": sub_id,
                    "story_id": story_id,
                    "article_id": article_id,
                    "revision": revision["revision"],
                }
                for sub_id in chosen
            ],
        )
        added = max(cur.rowcount, 0)
    if added:
        log.info(
            "story %s: revision %d of article %s, %d edit alert(s) queued",
            story_id, revision["revision"], article_id, added,
        )  # fmt: skip
    return added
