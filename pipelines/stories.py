"""Story assignment in PostgreSQL: which story a stored article is a copy of.

``assign`` runs inside the storage transaction, right after the article row
is written.  It locks the article's keys (so two crawls storing copies of
one text at once cannot both start a story; keys common to many stored
articles excepted, see ``lock_keys``), looks candidates up through
``lsh_bands`` (bounded work whatever the archive size), verifies them on the
text (:func:`pipelines.fingerprint.similarity`), then joins the story of the
copies it matches, or starts a new one.  Each copy's sketch (what similarity
compares, ``story_copies.sketch``) is stored with it and the new article's
comes with its fingerprint from the extraction workers, so verifying
shingles no text on the storing thread.

A story is a connected set of copies, as in ``wirewatch dedupe``: when an
article matches copies in two or more stories (a late wire original whose
trimmed outlet copies each started one), those stories are merged, the
younger into the oldest -- copies moved, ``merged_into`` set, alerts carried
over so nobody is alerted twice -- and the stories come out the same
whatever order the copies arrived in.  Stories are never split.

Locks are taken in one order: keys (advisory), then story rows in id order
(``lock_stories``), then copy rows; so a merge, a new copy and a
re-assignment never wait on each other in a cycle.

The canonical copy of a story, decided by :func:`prefer` whenever a copy
joins, changes or leaves, or stories merge:

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.fingerprint import (
    COPY_THRESHOLD,
    VERSION,
    Fingerprint,
    Shingled,
    Sketch,
    pack_sketch,
    similarities,
    similarity,
    sketched,
    unpack_sketch,
)
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

# Advisory-lock namespace (first key of the two-int form) for band keys.
LOCK_NAMESPACE = 0x5744_0004
# Work bounds of one lookup: articles taken per key, best articles considered,
# of which at most PER_STORY per story and CANDIDATES in all are verified.
PER_KEY = 32
POOL = 32
PER_STORY = 2
CANDIDATES = 8
FULLER_RATIO = 1.25
# A band key this many other articles hold is common (lock_keys): as many as one
# lookup reads of a key.
COMMON_HOLDERS = PER_KEY
# Rounds of "resolve merged stories, lock them" before giving up (each round
# is needed only when a concurrent merge committed in between).
LOCK_ROUNDS = 8


@dataclass(frozen=True)
class Assignment:
    story_id: int
    created: bool  # a new story was started for this article
    canonical_changed: bool  # an existing story got a different canonical copy
    similarity: float  # to the copy it matched; 1.0 when it started the story
    merged: tuple[int, ...] = ()  # stories merged into story_id on the way


@dataclass(frozen=True)
class Copy:
    """What the canonical rule looks at in one copy."""

    article_id: int
    wire: bool
    earliest: datetime
    words: int
    text: Shingled | Sketch  # what similarity() compares
    title: str | None = None
    wire_credit: str | None = None


def pg_array(values: Iterable[int]) -> str:
    """An array literal of integers, for parameters cast in SQL (``%(keys)s::bigint[]``).

    psycopg adapts a list of ints element by element, some 25 us for a text's
    23 keys, and an assignment passes its keys four or five times; the
    literal costs a tenth of that, and one made already (the same keys, later in the
    same store) nothing (``_literal``).
    """
    return _literal(tuple(values))


@lru_cache(maxsize=64)
def _literal(values: tuple[int, ...]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


@lru_cache(maxsize=64)
def _lock_ids(band_keys: tuple[int, ...]) -> str:
    """The advisory lock ids of a text's keys, as an array literal."""
    return pg_array(map(lock_id, band_keys))


def lock_id(band_key: int) -> int:
    """The 32-bit advisory lock id of a band key (a coarser key only adds waits)."""
    folded = (band_key ^ (band_key >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


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


def comparable(row: Mapping[str, Any]) -> Shingled | Sketch:
    """What similarity() compares of a stored copy: the sketch stored with it
    when it is of this ``VERSION`` (the queries then leave its text out), else
    its text, shingled again."""
    if row["sketch"] is not None and row["fingerprint_version"] == VERSION:
        return unpack_sketch(row["words"], row["sketch"])
    return Shingled(row["text"] or "")


def _copy_from_row(row: Mapping[str, Any]) -> Copy:
    return Copy(
        article_id=row["article_id"],
        wire=bool(row["wire"]),
        earliest=earliest(row["published"], row["first_seen"]),
        words=row["words"],
        text=comparable(row),
        title=row["title"],
        wire_credit=row["wire_credit"],
    )


@dataclass(frozen=True)
class _Match:
    story_id: int  # as read with the candidate; it may since have been merged
    article_id: int
    similarity: float
    canonical_article_id: int


def verified_matches(
    new: Shingled | Sketch,
    rows: Sequence[Mapping[str, Any]],
    copies: Mapping[int, Copy],
    keys: int,
) -> list[_Match]:
    """Every candidate at or above the threshold, most similar first.

    A candidate whose text was pruned (``wirewatch prune``) cannot be
    compared on its text; it counts as similar by the share of the ``keys``
    keys it shares, an estimate of resemblance, so a near-identical copy
    still finds an old story.
    """
    # Rows listed only as their story's canonical copy (shared = 0) are not candidates.
    compared = [row for row in rows if row["shared"] and not row["pruned"]]
    scores = dict(
        zip(
            (row["article_id"] for row in compared),
            similarities(new, [copies[row["article_id"]].text for row in compared]),
            strict=True,
        )
    )
    found = []
    for row in rows:
        if row["shared"] == 0:
            continue
        if row["pruned"]:
            score = min(1.0, row["shared"] / keys) if new.words else 0.0
        else:
            score = scores[row["article_id"]]
        if score >= COPY_THRESHOLD:
            found.append(((score, row["shared"], -row["article_id"]), row))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [
        _Match(row["story_id"], row["article_id"], rank[0], row["canonical_article_id"])
        for rank, row in found
    ]


def _fingerprint(article: Mapping[str, Any]) -> tuple[Fingerprint, bytes]:
    """(keys, packed sketch) of the article's text: as computed off this thread
    (extraction workers), else here."""
    given = article.get("fingerprint")
    if isinstance(given, Fingerprint) and given.version == VERSION and given.sketch is not None:
        return given, given.sketch
    prepared = Shingled(article.get("text") or "")
    return prepared.fingerprint(), pack_sketch(prepared.sketch())


def lock_keys(
    conn: psycopg.Connection[DictRow],
    article_id: int | None,
    keys: Sequence[int],
    *,
    url_key: str | None = None,
) -> None:
    """Wait for, then hold to the commit, the advisory locks of the text's keys: of those
    fewer than ``COMMON_HOLDERS`` other articles hold, or of all when every one is that
    common (``lock_band_keys``).  The article is named by its id, or by its ``url_key``
    (``queue_lookup``).

    Two new copies of one text share most keys, rare ones among them, so the second
    waits for the first to commit and then finds it.  A common key (a stock phrase,
    boilerplate, or a story already stored many times, which any copy finds committed)
    is not locked: every text holding it would otherwise queue behind every other, one
    storing transaction at a time however many the crawl runs (issue 21).
    """
    conn.execute(
        Q.lock_band_keys,
        {
            "article_id": article_id,
            "url_key": url_key,
            "band_keys": pg_array(keys),
            "lock_ids": _lock_ids(tuple(keys)),
            "namespace": LOCK_NAMESPACE,
            "common_holders": COMMON_HOLDERS,
        },
    )


@dataclass(frozen=True)
class Prepared:
    """What assigning needs of the new text, worked out before any statement is sent."""

    fingerprint: Fingerprint
    packed: bytes  # the sketch as stored with the copy
    text: Sketch  # what similarity() compares: no shingling on the storing thread
    keys: list[int]


def prepare(article: Mapping[str, Any]) -> Prepared:
    """The text's keys and sketch, known before the article is written: its lookup can
    then go with its upsert (``queue_lookup``)."""
    fp, packed = _fingerprint(article)
    return Prepared(fp, packed, unpack_sketch(fp.words, packed), list(fp.band_keys))


@dataclass(frozen=True)
class Lookup:
    """A lookup sent in a pipeline, read once the pipeline's block is over: read inside,
    each read would cost a round trip of its own."""

    current: psycopg.Cursor[DictRow]
    candidates: psycopg.Cursor[DictRow]
    keyed: bool  # the text has keys: without, it has no candidates

    def result(self) -> tuple[DictRow | None, list[DictRow]]:
        """(the article's current copy row or None, candidate rows)."""
        return self.current.fetchone(), self.candidates.fetchall() if self.keyed else []


def queue_lookup(
    conn: psycopg.Connection[DictRow],
    keys: list[int],
    *,
    article_id: int | None = None,
    url_key: str | None = None,
) -> Lookup:
    """Send, in the caller's pipeline, the lock of the keys, then the article's current
    copy and its candidates.  The article is named by ``article_id``, or by ``url_key``
    when the upsert that writes it goes in the same pipeline (``storage``): one round
    trip for both.  The lock comes first: under READ COMMITTED each statement reads
    what was committed when it started, so the candidates are read after the wait.
    """
    params = {"article_id": article_id, "url_key": url_key, "band_keys": pg_array(keys)}
    if keys:
        lock_keys(conn, article_id, keys, url_key=url_key)
    current = conn.execute(Q.current_copy, params)
    candidates = conn.execute(
        Q.story_candidates,
        {
            **params,
            "per_key": PER_KEY,
            "pool": POOL,
            "per_story": PER_STORY,
            "limit": CANDIDATES,
            "version": VERSION,
        },
        binary=True,  # sketches as they are stored, not hex-escaped both ways
    )
    return Lookup(current, candidates, bool(keys))


def _lookup(
    conn: psycopg.Connection[DictRow], article_id: int, keys: list[int]
) -> tuple[DictRow | None, list[DictRow]]:
    """Lock the keys; (the article's current copy row or None, candidate rows)."""
    with conn.pipeline():
        lookup = queue_lookup(conn, keys, article_id=article_id)
    return lookup.result()


# What a caller sends after an assignment, in its transaction (``assign``).
Then = Callable[[psycopg.Connection[DictRow]], None]


def assign(
    conn: psycopg.Connection[DictRow],
    article_id: int,
    article: Mapping[str, Any],
    *,
    prepared: Prepared | None = None,
    lookup: Lookup | None = None,
    then: Then | None = None,
) -> Assignment:
    """Put a stored article into its story; re-assign it if its text changed.

    Call inside the transaction that wrote the article, whenever the article
    is new or its text changed.  Idempotent for an unchanged text.  ``lookup``:
    already sent for ``prepared`` (``queue_lookup``), with the article's upsert.

    ``then`` sends, in the caller's transaction, what follows the assignment (the
    storage's revision and COMMIT); it is called once, after every statement of the
    assignment.  A new story's one statement cannot turn out otherwise, so ``then``
    goes in its pipeline: one round trip for both.  After the other statements it
    has a pipeline of its own: a copy joins a story only if that story was not
    merged meanwhile, which is known only from the join's answer.
    """
    prepared = prepared or prepare(article)
    fp, text, keys = prepared.fingerprint, prepared.text, prepared.keys
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
    current, rows = lookup.result() if lookup is not None else _lookup(conn, article_id, keys)
    copies = {row["article_id"]: _copy_from_row(row) for row in rows}
    matches = verified_matches(text, rows, copies, len(keys))
    copy_params = {
        "article_id": article_id,
        "band_keys": pg_array(keys),
        "words": fp.words,
        "version": fp.version,
        "sketch": prepared.packed,
        "similarity": matches[0].similarity if matches else 1.0,
        "matched_article_id": matches[0].article_id if matches else None,
    }
    if current is None:
        if not matches:
            return _start(conn, me, copy_params, then)
        if len({m.story_id for m in matches}) == 1:
            best = matches[0]
            joined = _join(
                conn, me, best.story_id, copies.get(best.canonical_article_id), copy_params
            )
            if joined is not None:
                return _followed(conn, joined, then)
    return _followed(conn, _settle(conn, me, matches, copy_params, current), then)


def _followed(
    conn: psycopg.Connection[DictRow], assignment: Assignment, then: Then | None
) -> Assignment:
    if then is not None:
        with conn.pipeline():
            then(conn)
    return assignment


def _start(
    conn: psycopg.Connection[DictRow],
    me: Copy,
    copy_params: dict[str, Any],
    then: Then | None = None,
) -> Assignment:
    """A new story with this article as its first copy (and the copy's band keys), and
    what ``then`` sends, in one round trip."""
    if then is None:  # one statement: a pipeline would only add its own cost
        story_id = _start_story(conn, me, copy_params)
    else:
        with conn.pipeline():
            created = _send_new_story(conn, me, copy_params)
            then(conn)
        story_id = one_row(created)["story_id"]
    return Assignment(story_id, created=True, canonical_changed=False, similarity=1.0)


def _join(
    conn: psycopg.Connection[DictRow],
    me: Copy,
    story_id: int,
    canonical: Copy | None,
    copy_params: dict[str, Any],
) -> Assignment | None:
    """The common case: a new copy of one live story.  None if that story was merged.

    One round trip: the story's count (and canonical copy) change is sent
    with the copy; it only touches a live story, so when the copy was not
    added (the story was merged meanwhile) it changes nothing either.
    """
    changed = canonical is not None and prefer(me, canonical)
    with conn.pipeline():
        # With the copy's band keys, added or not.
        added_cursor = conn.execute(Q.add_copy_if_live, {**copy_params, "story_id": story_id})
        _count_change(conn, story_id, +1, me if changed else None, me.wire_credit)
    if added_cursor.fetchone() is None:
        return None
    return Assignment(story_id, False, changed, copy_params["similarity"])


def _count_change(
    conn: psycopg.Connection[DictRow],
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


def _lock_live(
    conn: psycopg.Connection[DictRow], story_ids: set[int]
) -> tuple[dict[int, int], dict[int, DictRow]]:
    """({asked story: the live story it is now}, {live story: its locked row}).

    A story may be merged by a transaction this one waits for at the lock;
    then the chain is followed again.
    """
    for _ in range(LOCK_ROUNDS):
        live_of = {
            row["asked"]: row["live_id"]
            for row in conn.execute(Q.resolve_stories, {"story_ids": sorted(story_ids)})
        }
        rows = {
            row["id"]: row
            for row in conn.execute(Q.lock_stories, {"story_ids": sorted(set(live_of.values()))})
        }
        if all(row["merged_into"] is None for row in rows.values()):
            return live_of, rows
    raise RuntimeError(f"stories {sorted(story_ids)} kept being merged while being locked")


def _oldest(group: Iterable[int], rows: Mapping[int, Mapping[str, Any]]) -> int:
    return min(group, key=lambda story: (rows[story]["first_seen"], story))


def _merge_into(conn: psycopg.Connection[DictRow], story_id: int, into: int) -> int:
    """Fold a locked story into another locked one; returns the copies moved."""
    params = {"story_id": story_id, "into": into}
    moved = conn.execute(Q.move_copies, params).rowcount
    with conn.pipeline():
        conn.execute(Q.drop_repeated_alerts, params)
        conn.execute(Q.move_alerts, params)
        conn.execute(Q.mark_story_merged, {"story_id": story_id, "merged_into": into})
    log.info("story %s merged into story %s (%d copies)", story_id, into, moved)
    return moved


def _merge_group(
    conn: psycopg.Connection[DictRow], group: set[int], rows: Mapping[int, Mapping[str, Any]]
) -> tuple[int, list[int], int]:
    """Merge locked stories into the oldest: (it, the merged ones, copies moved)."""
    target = _oldest(group, rows)
    merged = sorted(group - {target})
    moved = sum(_merge_into(conn, story, target) for story in merged)
    return target, merged, moved


def _group_canonical(
    conn: psycopg.Connection[DictRow], group: set[int], rows: Mapping[int, Mapping[str, Any]]
) -> Copy:
    """The canonical copy of merged stories: their canonical copies, oldest story first."""
    details = {
        row["article_id"]: _copy_from_row(row)
        for row in conn.execute(
            Q.canonical_copies, {"story_ids": sorted(group), "version": VERSION}, binary=True
        )
    }
    ordered = sorted(group, key=lambda story: (rows[story]["first_seen"], story))
    return choose_canonical(details[rows[story]["canonical_article_id"]] for story in ordered)


def _settle(
    conn: psycopg.Connection[DictRow],
    me: Copy,
    matches: list[_Match],
    copy_params: dict[str, Any],
    current: Mapping[str, Any] | None,
) -> Assignment:
    """The general case, under story locks: merges, re-assignments, a story merged meanwhile.

    A re-assigned (edited) article stays in its story while it still matches
    a copy there, or is the story's only copy; otherwise it leaves for the
    stories it now matches, or a new one.  Every story it belongs to after
    that is merged into the oldest.
    """
    article_id = me.article_id
    asked = {m.story_id for m in matches}
    if current is not None:
        asked.add(current["story_id"])
    live_of, rows = _lock_live(conn, asked)
    group = {live_of[m.story_id] for m in matches}
    own: int | None = None
    stays = False
    if current is not None:
        mine = one_row(conn.execute(Q.lock_copy, {"article_id": article_id}))
        own = mine["story_id"]  # locked above: it is where current_copy saw it, or its merge
        old_keys = pg_array(mine["band_keys"])
        conn.execute(Q.delete_band_keys, {**copy_params, "band_keys": old_keys})
        stays = own in group or rows[own]["copy_count"] <= 1
        if stays:
            group.add(own)
    if not group:
        # An edited article that no longer matches its story nor any other.
        conn.execute(Q.remove_copy, copy_params)
        created = _start_story(conn, me, copy_params)  # with the copy's band keys
        assert own is not None
        _recanonicalise(conn, own, rows[own]["canonical_article_id"], delta=-1)
        log.info("article %s moved from story %s to %s", article_id, own, created)
        return Assignment(created, created=True, canonical_changed=False, similarity=1.0)
    conn.execute(Q.insert_band_keys, copy_params)
    target, merged, moved = _merge_group(conn, group, rows)
    if stays:
        conn.execute(Q.update_copy, copy_params)
        delta = moved
    else:
        if own is not None:
            conn.execute(Q.remove_copy, copy_params)
            _recanonicalise(conn, own, rows[own]["canonical_article_id"], delta=-1)
            log.info("article %s moved from story %s to %s", article_id, own, target)
        conn.execute(Q.add_copy, {**copy_params, "story_id": target})
        delta = moved + 1
    was = rows[target]["canonical_article_id"]
    credits = [me.wire_credit, *(rows[story]["wire_credit"] for story in merged)]
    credit = next((c for c in credits if c), None)
    if any(rows[story]["canonical_article_id"] == article_id for story in group):
        # Its text changed and it was canonical: choose again among every copy.
        changed = _recanonicalise(conn, target, was, delta, credit)
        if not changed and was == article_id:
            conn.execute(
                Q.refresh_story_title,
                {"story_id": target, "article_id": article_id, "title": me.title},
            )
    else:
        chosen = _group_canonical(conn, group, rows)
        if prefer(me, chosen):
            chosen = me
        changed = chosen.article_id != was
        if changed or delta or credit:
            _count_change(conn, target, delta, chosen if changed else None, credit)
    return Assignment(target, False, changed, copy_params["similarity"], tuple(merged))


def _start_story(conn: psycopg.Connection[DictRow], me: Copy, copy_params: dict[str, Any]) -> int:
    """A new story with ``me`` as its first copy, and the copy's band keys."""
    story_id: int = one_row(_send_new_story(conn, me, copy_params))["story_id"]
    return story_id


def _send_new_story(
    conn: psycopg.Connection[DictRow], me: Copy, copy_params: dict[str, Any]
) -> psycopg.Cursor[DictRow]:
    """Send the statement that starts ``_start_story``'s story; its row has the id."""
    return conn.execute(
        Q.create_story, {**copy_params, "title": me.title, "wire_credit": me.wire_credit}
    )


def _recanonicalise(
    conn: psycopg.Connection[DictRow],
    story_id: int,
    canonical_id: int,
    delta: int,
    wire_credit: str | None = None,
) -> bool:
    """Re-apply the canonical rule to a story's copies; True if the canonical changed."""
    rows = conn.execute(
        Q.story_copy_details, {"story_id": story_id, "version": VERSION}, binary=True
    ).fetchall()
    chosen = choose_canonical(_copy_from_row(row) for row in rows)
    if chosen.article_id == canonical_id:
        if delta or wire_credit:
            _count_change(conn, story_id, delta, None, wire_credit)
        return False
    _count_change(conn, story_id, delta, chosen, wire_credit)
    return True


# --- re-fingerprinting ------------------------------------------------------------------


def refingerprint(conn: psycopg.Connection[DictRow], row: Mapping[str, Any]) -> Assignment:
    """New keys for a stored copy's unchanged text (``fingerprint.VERSION`` changed).

    Its keys are replaced, then it is looked up like a new copy: stories it
    now matches are merged with its own (an excerpt the old fingerprint did
    not find joins its original).  It never leaves its story.  ``row``: a
    ``copies_to_refingerprint`` row.
    """
    article_id = row["article_id"]
    text = Shingled(row["text"] or "")
    fp = sketched(text)
    keys = list(fp.band_keys)
    current, rows = _lookup(conn, article_id, keys)
    if current is None:
        raise ValueError(f"article {article_id} has no story to re-fingerprint")
    copies = {r["article_id"]: _copy_from_row(r) for r in rows}
    matches = verified_matches(text, rows, copies, len(keys))
    params = {
        "article_id": article_id,
        "band_keys": pg_array(keys),
        "words": fp.words,
        "version": VERSION,
        "sketch": fp.sketch,
    }
    others = {m.story_id for m in matches} - {current["story_id"]}
    if not others:
        mine = one_row(conn.execute(Q.lock_copy, {"article_id": article_id}))
        _rekey(conn, params, mine["band_keys"])
        return Assignment(mine["story_id"], False, False, 1.0)
    live_of, story_rows = _lock_live(conn, {current["story_id"], *others})
    mine = one_row(conn.execute(Q.lock_copy, {"article_id": article_id}))
    _rekey(conn, params, mine["band_keys"])
    group = {live_of[story] for story in (current["story_id"], *others)}
    if len(group) == 1:
        return Assignment(mine["story_id"], False, False, 1.0)
    target, merged, moved = _merge_group(conn, group, story_rows)
    was = story_rows[target]["canonical_article_id"]
    chosen = _group_canonical(conn, group, story_rows)
    credits = (story_rows[story]["wire_credit"] for story in merged)
    credit = next((c for c in credits if c), None)
    changed = chosen.article_id != was
    _count_change(conn, target, moved, chosen if changed else None, credit)
    return Assignment(target, False, changed, matches[0].similarity, tuple(merged))


def _rekey(conn: psycopg.Connection[DictRow], params: dict[str, Any], old_keys: list[int]) -> None:
    with conn.pipeline():
        conn.execute(Q.delete_band_keys, {**params, "band_keys": pg_array(old_keys)})
        conn.execute(Q.insert_band_keys, params)
        conn.execute(Q.refingerprint_copy, params)


@dataclass(frozen=True)
class RebuildProgress:
    done: int  # copies re-fingerprinted in this run
    stale: int  # copies left to do when the run started
    merged: int  # stories merged so far in this run
    pruned: int  # copies that cannot be re-fingerprinted (their text was pruned)


def rebuild_index(
    conn: psycopg.Connection[DictRow],
    *,
    batch_size: int = 500,
    progress: Callable[[RebuildProgress], None] | None = None,
) -> RebuildProgress:
    """Re-fingerprint every copy fingerprinted with another ``VERSION``, oldest article first.

    One transaction per copy (with asynchronous commit: losing the last few
    to a crash only means doing them again), so crawls keep running beside
    it and an interrupted run resumes where it stopped: what is done carries
    the new version.  Oldest first, so each copy is looked up among the
    copies before it that are already re-fingerprinted, as they arrived.
    ``conn`` must be in autocommit mode.
    """
    conn.execute("SET synchronous_commit = off")
    counts = one_row(conn.execute(Q.refingerprint_counts, {"version": VERSION}))
    stale = counts["stale"] - counts["pruned"]
    done = merged = 0
    after = 0
    while True:
        batch = conn.execute(
            Q.copies_to_refingerprint,
            {"after": after, "version": VERSION, "limit": batch_size},
        ).fetchall()
        if not batch:
            break
        for row in batch:
            with conn.transaction():
                result = refingerprint(conn, row)
            merged += len(result.merged)
            done += 1
        after = batch[-1]["article_id"]
        if progress is not None:
            progress(RebuildProgress(done, stale, merged, counts["pruned"]))
    return RebuildProgress(done, stale, merged, counts["pruned"])
