"""Alert messages: multipart text + HTML e-mail (Jinja2, autoescaped), webhook JSON, chat text.

Everything that comes from crawled pages (titles, text, outlet names, URLs)
is untrusted: HTML is autoescaped by Jinja2, header values are stripped of
line breaks and control characters, and only http(s) links become links.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from wirewatch.pipelines.alerts.diff import TextDiff, text_diff
from wirewatch.pipelines.alerts.text import Token, fold, tokenize

SUBJECT_LIMIT = 140
SNIPPET_CHARS = 320
TITLE_LIMIT = 300
MAX_OUTLETS = 200  # a story carried by more outlets says "and N more"

_env = Environment(
    loader=PackageLoader("wirewatch.pipelines.alerts", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Segment:
    text: str
    hit: bool = False


@dataclass(frozen=True)
class Outlet:
    outlet: str
    url: str | None  # None unless http(s)
    first_seen: datetime | None


@dataclass(frozen=True)
class EditView:
    """An edit of a story's canonical copy: one revision against the one before it."""

    article_id: int
    revision: int
    fetched_at: datetime | None
    title: str
    previous_title: str
    headline_changed: bool
    words_added: int
    words_removed: int
    diff: TextDiff  # empty when only the headline changed
    pruned: bool = False  # the texts were pruned since: no diff to show

    @property
    def text_changed(self) -> bool:
        return bool(self.words_added or self.words_removed or not self.diff.empty)


@dataclass(frozen=True)
class StoryView:
    """One story as an alert shows it."""

    story_id: int
    title: str
    url: str | None
    time: datetime | None
    snippet: tuple[Segment, ...]
    outlets: tuple[Outlet, ...]
    more_outlets: int = 0
    matched_terms: tuple[str, ...] = ()
    edit: EditView | None = None  # an edit alert: what changed


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    name: str | None
    query: str
    target: str
    digest: str = "immediate"

    @property
    def label(self) -> str:
        return self.name or f"alert {self.id}"


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def clean_line(text: str | None, limit: int = TITLE_LIMIT) -> str:
    """One line of plain text: no control characters or line breaks, bounded length."""
    if not text:
        return ""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_link(url: str | None) -> str | None:
    """``url`` when it is a plain http(s) URL (no javascript:, data:, line breaks)."""
    if not url or not re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE):
        return None
    return url


def snippet(text: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> tuple[Segment, ...]:
    """About ``width`` characters around the first matched word, matched words marked."""
    text = text or ""
    wanted = {fold(t) for t in terms}
    tokens = [t for t in tokenize(text[: max(width * 40, 20_000)]) if t.folded in wanted]
    first = _densest(tokens, width - width // 3)
    start = max(0, first - width // 3)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 40 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    segments: list[Segment] = []
    if start > 0:
        segments.append(Segment("…"))
    cursor = start
    for token in tokens:
        if token.start < start or token.end > end:
            continue
        if token.start > cursor:
            segments.append(Segment(text[cursor : token.start]))
        segments.append(Segment(text[token.start : token.end], hit=True))
        cursor = token.end
    if cursor < end:
        segments.append(Segment(text[cursor:end]))
    if end < len(text):
        segments.append(Segment("…"))
    return tuple(Segment(_flat(s.text), s.hit) for s in segments)


def _densest(tokens: Sequence[Token], width: int) -> int:
    """Offset of the matched word that starts the window holding the most distinct terms."""
    best, best_count = (tokens[0].start if tokens else 0), 0
    for i, token in enumerate(tokens):
        inside = {t.folded for t in tokens[i:] if t.end <= token.start + width}
        if len(inside) > best_count:
            best, best_count = token.start, len(inside)
    return best


def _flat(text: str) -> str:
    """Whitespace runs (line breaks included) as one space; control characters dropped."""
    text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")
    return re.sub(r"\s+", " ", text)


def edit_view(row: Mapping[str, Any]) -> EditView:
    """A ``revision_for_message`` row as an edit alert shows it."""
    pruned = bool(row.get("pruned"))
    return EditView(
        article_id=row["article_id"],
        revision=row["revision"],
        fetched_at=row["fetched_at"],
        title=clean_line(row["title"]) or "(untitled)",
        previous_title=clean_line(row["previous_title"]) or "(untitled)",
        headline_changed=bool(row["headline_changed"]),
        words_added=row["words_added"],
        words_removed=row["words_removed"],
        diff=TextDiff(()) if pruned else _flat_diff(text_diff(row["previous_text"], row["text"])),
        pruned=pruned,
    )


def _flat_diff(diff: TextDiff) -> TextDiff:
    """The diff with control characters dropped from its words (they come from pages)."""
    return replace(
        diff,
        places=tuple(
            replace(place, parts=tuple(replace(p, text=_flat(p.text)) for p in place.parts))
            for place in diff.places
        ),
    )


def story_view(
    story: Mapping[str, Any],
    outlets: Sequence[Mapping[str, Any]],
    terms: Sequence[str],
    edit: EditView | None = None,
) -> StoryView:
    """A story row (``story_for_message``) and its copies (``story_outlets``) as shown;
    with ``edit``, as its edit alert shows it (titled with the revision's headline)."""
    seen: dict[str, Outlet] = {}
    for row in outlets:
        name = clean_line(row["outlet"], 100)
        if name and name not in seen:
            seen[name] = Outlet(name, safe_link(row["url"]), row["first_seen"])
    listed = tuple(seen.values())
    return StoryView(
        story_id=story["story_id"],
        title=edit.title if edit else (clean_line(story["title"]) or "(untitled)"),
        url=safe_link(story.get("canonical_url")) or safe_link(story["url"]),
        time=story.get("published") or story.get("first_seen"),
        snippet=snippet(story["text"], terms),
        outlets=listed[:MAX_OUTLETS],
        more_outlets=max(0, len(listed) - MAX_OUTLETS),
        matched_terms=tuple(clean_line(t, 60) for t in terms),
        edit=edit,
    )


def message_id(subscription_id: int, key: str, salt: str, domain: str) -> str:
    """Stable Message-ID for one alert: a resend after a crash carries the same one.

    ``key`` is the story id (immediate), ``edit<article>.<revision>`` (an
    immediate edit alert) or the digest period; ``salt`` ties
    the id to this subscription's creation time so a rebuilt database
    cannot reuse an id for a different message.
    """
    digest = hashlib.sha256(f"{subscription_id}:{key}:{salt}".encode()).hexdigest()[:16]
    return f"<wirewatch.{subscription_id}.{key}.{digest}@{domain}>"


def format_time(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A story's time for readers in ``zone`` (``[alerts] timezone``), UTC by default.

    Outside UTC the offset is spelled out beside the zone's abbreviation, since
    abbreviations are ambiguous (CST) or mere numbers (+03) in many zones.
    """
    if value is None:
        return "time unknown"
    zone = zone or UTC
    local = value.astimezone(zone)
    offset = local.utcoffset()
    if offset is None or (offset.total_seconds() == 0 and local.tzname() in ("UTC", "GMT")):
        return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    name = local.tzname() or ""
    label = f"{name} ({utc})" if name.isalpha() else utc
    return f"{local:%Y-%m-%d %H:%M} {label}"


_env.filters["time"] = format_time


def render(
    subscription: SubscriptionView,
    stories: Sequence[StoryView],
    *,
    period_end: datetime | None = None,
    manage_hint: str = "wirewatch alerts list / wirewatch alerts remove",
    timezone: tzinfo | None = None,
) -> Rendered:
    """Subject, text and HTML of one alert (one story, or a digest of several);
    times shown in ``timezone`` (UTC when None)."""
    digest = subscription.digest != "immediate"
    if digest:
        subject = (
            f"[wirewatch] {subscription.label}: {digest_summary(stories)}"
            f" ({subscription.digest} digest)"
        )
    elif stories[0].edit is not None:
        subject = f"[wirewatch] {subscription.label}: Updated: {stories[0].title}"
    else:
        subject = f"[wirewatch] {subscription.label}: {stories[0].title}"
    context = {
        "subscription": subscription,
        "stories": stories,
        "summary": digest_summary(stories),
        "digest": digest,
        "period_end": period_end,
        "manage_hint": manage_hint,
        "timezone": timezone,
    }
    return Rendered(
        subject=clean_line(subject, SUBJECT_LIMIT),
        text=_env.get_template("alert.txt.j2").render(context),
        html=_env.get_template("alert.html").render(context),
    )


def digest_summary(stories: Sequence[StoryView]) -> str:
    """'3 stories', '1 update', '2 stories, 1 update': what a digest holds."""
    new = sum(s.edit is None for s in stories)
    updates = len(stories) - new
    said = []
    if new or not updates:
        said.append(f"{new} " + ("story" if new == 1 else "stories"))
    if updates:
        said.append(f"{updates} " + ("update" if updates == 1 else "updates"))
    return ", ".join(said)


def unsubscribe_header(
    subscription: SubscriptionView,
    from_addr: str,
    url_template: str | None,
    one_click: str | None = None,
) -> str:
    """``List-Unsubscribe``: the one-click link (``[web] public_url``) and the configured URL,
    else only a mail to the sender naming the alert."""
    links = [f"<{one_click}>"] if safe_link(one_click) else []
    if url_template:
        url = url_template.format(id=subscription.id, name=quote(subscription.label, safe=""))
        if safe_link(url) or url.startswith("mailto:"):
            links.append(f"<{url}>")
    subject = quote(f"unsubscribe {subscription.label}")
    links.append(f"<mailto:{from_addr}?subject={subject}>")
    return ", ".join(links)


def email_message(
    rendered: Rendered,
    *,
    from_addr: str,
    to_addr: str,
    msg_id: str,
    list_unsubscribe: str,
    subscription_id: int,
    now: datetime | None = None,
    one_click: bool = False,
) -> EmailMessage:
    """A multipart/alternative message; header values are single clean lines.

    ``one_click``: ``List-Unsubscribe`` starts with an https link that stops
    the alert on a POST (RFC 8058), so mail clients may offer one click."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = rendered.subject
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = msg_id
    msg["List-Unsubscribe"] = list_unsubscribe
    if one_click:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Wirewatch-Subscription"] = str(subscription_id)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def payload(
    subscription: SubscriptionView, stories: Sequence[StoryView], delivery_id: str
) -> dict[str, Any]:
    """The webhook body: the subscription and its stories as plain JSON values."""

    def when(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat() if value else None

    def edited(s: StoryView) -> dict[str, Any]:
        if s.edit is None:
            return {}
        e = s.edit
        return {
            "edit": {
                "article_id": e.article_id,
                "revision": e.revision,
                "fetched_at": when(e.fetched_at),
                "previous_title": e.previous_title,
                "title": e.title,
                "headline_changed": e.headline_changed,
                "words_added": e.words_added,
                "words_removed": e.words_removed,
                "diff": [
                    [{"kind": p.kind, "text": p.text} for p in place.parts]
                    for place in e.diff.places
                ],
                "more_changes": e.diff.more,
            }
        }

    return {
        "event": "edit" if any(s.edit for s in stories) else "alert",
        "delivery_id": delivery_id,
        "subscription": {
            "id": subscription.id,
            "name": subscription.name,
            "query": subscription.query,
        },
        "stories": [
            {
                "story_id": s.story_id,
                "title": s.title,
                "url": s.url,
                "time": when(s.time),
                "snippet": "".join(seg.text for seg in s.snippet),
                "matched_terms": list(s.matched_terms),
                "outlets": [
                    {"outlet": o.outlet, "url": o.url, "first_seen": when(o.first_seen)}
                    for o in s.outlets
                ],
            }
            | edited(s)
            for s in stories
        ],
    }
