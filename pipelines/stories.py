"""Story assignment in PostgreSQL: which story a stored article is a copy of.

``assign`` runs inside the storage transaction, right after the article row
is written.  It locks the article's band keys (so two crawls storing copies
of one text at once cannot both start a story), looks candidates up through
``lsh_bands`` (bounded work whatever the archive size), verifies them on the
text (:func:`pipelines.fingerprint.similarity`), then joins the best story at
or above the threshold or starts a new one.

The canonical copy of a story, decided by :func:`prefer` whenever a copy
joins, changes or leaves:

1. the wire service's own copy (an article from a source marked ``wire``);
2. else a *fuller* copy -- one that contains the current canonical text and
   is at least ``FULLER_RATIO`` times as long -- so a later, complete copy
   replaces an early trimmed one;
3. else the earliest (``published``, else first seen);
4. else the most complete (more words), then the lowest article id.

Requires READ COMMITTED (PostgreSQL's default): the candidate lookup must see
what the transaction it waited for has just committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from pipelines.fingerprint import (
    COPY_THRESHOLD,
    VERSION,
    Fingerprint,
    Shingled,
    similarity,
)
from pipelines.queries import Q

log = logging.getLogger(__name__)

# Advisory-lock namespace (first key of the two-int form) for band keys.
LOCK_NAMESPACE = 0x5744_0004
# Work bounds of one lookup: articles taken per band key, candidates verified.
PER_KEY = 32
CANDIDATES = 8
FULLER_RATIO = 1.25


@dataclass(frozen=True)
class Assignment:
    story_id: int
    created: bool  # a new story was started for this article
    canonical_changed: bool  # an existing story got a different canonical copy
    similarity: float  # to the copy it matched; 1.0 when it started the story


@dataclass(frozen=True)
class Copy:
    """What the canonical rule looks at in one copy."""

    article_id: int
    wire: bool
    earliest: datetime
    words: int
    text: Shingled
    title: str | None = None
    wire_credit: str | None = None


def lock_ids(band_keys: Iterable[int]) -> list[int]:
    """Sorted, distinct 32-bit lock ids for band keys (a coarser key only adds waits)."""
    ids = set()
    for key in band_keys:
        folded = (key ^ (key >> 32)) & 0xFFFFFFFF
        ids.add(folded - (1 << 32) if folded >= 1 << 31 else folded)
    return sorted(ids)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def earliest(published: datetime | None, seen: datetime | None) -> datetime:
    """When a copy appeared: its publication date, else when wirewatch first saw it."""
    return _aware(published) or _aware(seen) or datetime.now(UTC)


def fuller(a: Copy, b: Copy) -> bool:
    """``a`` is a fuller version of ``b``: clearly longer and containing it."""
    return a.words >= FULLER_RATIO * b.words and similarity(a.text, b.text) >= COPY_THRESHOLD


def prefer(challenger: Copy, current: Copy) -> bool:
    """Should ``challenger`` replace ``current`` as canonical copy? (rule in module doc)."""
    if challenger.wire != current.wire:
        return challenger.wire
    if fuller(challenger, current):
        return True
    if fuller(current, challenger):
        return False
    if challenger.earliest != current.earliest:
        return challenger.earliest < current.earliest
    if challenger.words != current.words:
        return challenger.words > current.words
    return challenger.article_id < current.article_id


def choose_canonical(copies: Iterable[Copy]) -> Copy:
    """The canonical copy of copies taken in the order they were seen."""
    chosen: Copy | None = None
    for copy in copies:
        if chosen is None or prefer(copy, chosen):
            chosen = copy
    if chosen is None:
        raise ValueError("a story needs at least one copy")
    return chosen


def _copy_from_row(row: Mapping[str, Any]) -> Copy:
    return Copy(
        article_id=row["article_id"],
        wire=bool(row["wire"]),
        earliest=earliest(row["published"], row["first_seen"]),
        words=row["words"],
        text=Shingled(row["text"] or ""),
        title=row["title"],
        wire_credit=row["wire_credit"],
    )


@dataclass(frozen=True)
class _Match:
    story_id: int
    article_id: int
    similarity: float
    canonical: Copy | None  # None when the canonical copy is the article being assigned


def best_match(new: Shingled, rows: list[Mapping[str, Any]], keys: int) -> _Match | None:
    """The most similar verified candidate at or above the threshold.

    A candidate whose text was pruned (``wirewatch prune``) cannot be
    compared on its text; it counts as similar by the share of the ``keys``
    band keys it shares, an estimate of resemblance, so a near-identical copy
    still finds an old story.
    """
    copies = {row["article_id"]: _copy_from_row(row) for row in rows}
    best: tuple[float, int, int] | None = None
    best_row: Mapping[str, Any] | None = None
    for row in rows:
        if row["shared"] == 0:
            continue  # listed only as its story's canonical copy
        if not row["text"] and row["words"]:
            score = min(1.0, row["shared"] / keys) if new.words else 0.0
        else:
            score = similarity(new, copies[row["article_id"]].text)
        if score < COPY_THRESHOLD:
            continue
        rank = (score, row["shared"], -row["article_id"])
        if best is None or rank > best:
            best, best_row = rank, row
    if best is None or best_row is None:
        return None
    canonical = copies.get(best_row["canonical_article_id"])
    return _Match(best_row["story_id"], best_row["article_id"], best[0], canonical)


def _fingerprint(article: Mapping[str, Any], text: Shingled) -> Fingerprint:
    given = article.get("fingerprint")
    if isinstance(given, Fingerprint) and given.version == VERSION:
        return given
    return text.fingerprint()


def assign(conn: psycopg.Connection, article_id: int, article: Mapping[str, Any]) -> Assignment:
    """Put a stored article into its story; re-assign it if its text changed.

    Call inside the transaction that wrote the article, whenever the article
    is new or its text changed.  Idempotent for an unchanged text.
    """
    text = Shingled(article.get("text") or "")
    fp = _fingerprint(article, text)
    keys = list(fp.band_keys)
    me = Copy(
        article_id=article_id,
        wire=bool(article.get("wire")),
        earliest=earliest(
            article.get("published"),
            article.get("discovered_at") or article.get("fetched_at"),
        ),
        words=fp.words,
        text=text,
        title=article.get("title"),
        wire_credit=article.get("wire_credit"),
    )
    params = {"article_id": article_id, "band_keys": keys}
    with conn.pipeline():
        if keys:
            conn.execute(
                Q.lock_band_keys, {"namespace": LOCK_NAMESPACE, "lock_ids": lock_ids(keys)}
            )
        current_cur = conn.execute(Q.current_copy, params)
        candidates_cur = conn.execute(
            Q.story_candidates, {**params, "per_key": PER_KEY, "limit": CANDIDATES}
        )
        current = current_cur.fetchone()
        rows = candidates_cur.fetchall() if keys else []
    match = best_match(text, rows, len(keys))
    copy_params = {
        **params,
        "words": fp.words,
        "version": fp.version,
        "similarity": match.similarity if match else 1.0,
        "matched_article_id": match.article_id if match else None,
    }
    if current is None:
        return _place(conn, me, match, copy_params)
    return _reassign(conn, me, match, copy_params, current)


def _place(
    conn: psycopg.Connection, me: Copy, match: _Match | None, copy_params: dict[str, Any]
) -> Assignment:
    """A copy not in any story yet joins ``match``'s story, or starts one."""
    with conn.pipeline():
        conn.execute(Q.insert_band_keys, copy_params)
        if match is None:
            story_id = conn.execute(
                Q.create_story,
                {**copy_params, "title": me.title, "wire_credit": me.wire_credit},
            ).fetchone()["story_id"]
            return Assignment(story_id, created=True, canonical_changed=False, similarity=1.0)
        conn.execute(Q.add_copy, {**copy_params, "story_id": match.story_id})
        changed = match.canonical is not None and prefer(me, match.canonical)
        _count_change(conn, match.story_id, +1, me if changed else None, me.wire_credit)
    return Assignment(match.story_id, False, changed, match.similarity)


def _count_change(
    conn: psycopg.Connection,
    story_id: int,
    delta: int,
    new_canonical: Copy | None,
    wire_credit: str | None,
) -> None:
    if new_canonical is None:
        conn.execute(
            Q.count_copy_change,
            {"story_id": story_id, "delta": delta, "wire_credit": wire_credit},
        )
    else:
        conn.execute(
            Q.change_canonical,
            {
                "story_id": story_id,
                "delta": delta,
                "article_id": new_canonical.article_id,
                "title": new_canonical.title,
                "wire_credit": new_canonical.wire_credit or wire_credit,
            },
        )


def _reassign(
    conn: psycopg.Connection,
    me: Copy,
    match: _Match | None,
    copy_params: dict[str, Any],
    current: Mapping[str, Any],
) -> Assignment:
    """The article's text changed: stay in its story while it still belongs there."""
    story_id = current["story_id"]
    conn.execute(Q.delete_band_keys, {**copy_params, "band_keys": current["band_keys"]})
    conn.execute(Q.insert_band_keys, copy_params)
    stays = (match is None and current["copy_count"] <= 1) or (
        match is not None and match.story_id == story_id
    )
    if stays:
        conn.execute(Q.update_copy, copy_params)
        if current["canonical_article_id"] == me.article_id:
            # Its text changed, so it may no longer be the best copy.
            changed = current["copy_count"] > 1 and _recanonicalise(
                conn, story_id, me.article_id, delta=0
            )
            if not changed:
                conn.execute(
                    Q.refresh_story_title,
                    {"story_id": story_id, "article_id": me.article_id, "title": me.title},
                )
        else:
            changed = (
                match is not None and match.canonical is not None and prefer(me, match.canonical)
            )
            if changed:
                _count_change(conn, story_id, 0, me, me.wire_credit)
        return Assignment(story_id, False, changed, copy_params["similarity"])

    conn.execute(Q.remove_copy, copy_params)
    if match is None:
        new_story = conn.execute(
            Q.create_story, {**copy_params, "title": me.title, "wire_credit": me.wire_credit}
        ).fetchone()["story_id"]
        result = Assignment(new_story, created=True, canonical_changed=False, similarity=1.0)
    else:
        conn.execute(Q.add_copy, {**copy_params, "story_id": match.story_id})
        changed = match.canonical is not None and prefer(me, match.canonical)
        _count_change(conn, match.story_id, +1, me if changed else None, me.wire_credit)
        result = Assignment(match.story_id, False, changed, match.similarity)
    if current["copy_count"] <= 1:
        conn.execute(Q.mark_story_merged, {"story_id": story_id, "merged_into": result.story_id})
    else:
        _recanonicalise(conn, story_id, current["canonical_article_id"], delta=-1)
    log.info("article %s moved from story %s to %s", me.article_id, story_id, result.story_id)
    return result


def _recanonicalise(conn: psycopg.Connection, story_id: int, canonical_id: int, delta: int) -> bool:
    """Re-apply the canonical rule to a story's copies; True if the canonical changed."""
    rows = conn.execute(Q.story_copy_details, {"story_id": story_id}).fetchall()
    chosen = choose_canonical(_copy_from_row(row) for row in rows)
    if chosen.article_id == canonical_id:
        if delta:
            _count_change(conn, story_id, delta, None, None)
        return False
    _count_change(conn, story_id, delta, chosen, None)
    return True
