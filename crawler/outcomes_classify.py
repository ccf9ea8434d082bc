"""Naming fetched pages that are walls, not articles: blocked, consent wall, paywall.

Bot challenges, cookie-consent interstitials and paywall teasers arrive as
ordinary HTML, often with status 200, and an extractor happily turns their
few sentences into an "article".  These pure functions recognise them so the
crawl can reject them by kind and count them per run.

Two kinds of evidence are combined.  *Markers* are technical traces of a
challenge or consent platform (script URLs, element ids) or set phrases.
*Shortness*: a real article page carries far more visible text than a wall,
so phrases that also occur on normal pages ("cookie", "subscribe") only
count when the page has little text of its own.  A cheap regular-expression
scan runs first; the HTML is parsed only when it finds something.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html

from pipelines.outcomes import BLOCKED, CONSENT_WALL, PAYWALL

# Statuses that mean "you may not have this page".
BLOCKED_STATUSES = frozenset({401, 403, 451})

# Only the head of a page is scanned: walls put their markers early.
SCAN_BYTES = 256 * 1024
# A wall carries less visible text than this; a real article carries more.
SHORT_PAGE_CHARS = 1500

# Traces of bot-challenge and captcha services: conclusive on their own.
_CHALLENGE_TECH = re.compile(
    rb"/cdn-cgi/challenge-platform/|cf-browser-verification|cf_chl_opt|"
    rb"_incapsula_resource|px-captcha|captcha-delivery\.com|"
    rb"id=[\"']challenge-(?:form|running|stage)[\"']",
    re.I,
)
# Phrases of challenge pages: conclusive on a short page or in the title.
_CHALLENGE_PHRASES = re.compile(
    r"just a moment\.\.\.|checking (?:if the site connection is secure|your browser)|"
    r"attention required!|access denied|verify (?:that )?you are (?:a )?human|"
    r"are you a robot|pardon our interruption|unusual traffic from your|"
    r"please enable (?:javascript and )?cookies to continue|request unsuccessful",
    re.I,
)
_CAPTCHA_WIDGET = re.compile(rb"class=[\"'][^\"']*\b(?:g-recaptcha|h-captcha|cf-turnstile)\b", re.I)

# Consent-platform interstitials that replace the page (not banners on it).
_CONSENT_HOSTS = re.compile(r"^(?:consent\.|guce\.|privacy-gate\.|cmp\.)", re.I)
_CONSENT_PHRASES = re.compile(
    r"we value your privacy|cookie(?:s)? (?:consent|settings|preferences|policy)|"
    r"(?:accept|reject) all|manage (?:your )?(?:cookie )?(?:choices|preferences|options)|"
    r"before you continue|we and our (?:\d+ )?partners|consent to (?:the use of )?cookies|"
    r"store and/or access information on a device",
    re.I,
)

_PAYWALL_PHRASES = re.compile(
    r"subscribe (?:now )?to (?:continue|keep) reading|to continue reading,? (?:please )?"
    r"(?:subscribe|log ?in|sign ?in)|this (?:article|story|content) is (?:only )?(?:available )?"
    r"(?:for|to) (?:subscribers|members)|already a subscriber\??|subscribers only|"
    r"become a (?:subscriber|member) to read|unlock (?:this|the full) (?:article|story)|"
    r"you have reached your (?:free )?(?:article )?limit",
    re.I,
)
_PAYWALL_TECH = re.compile(
    rb"[\"']isaccessibleforfree[\"']\s*:\s*(?:false|[\"']false[\"'])|"
    rb"class=[\"'][^\"']*\b(?:paywall|piano-(?:offer|paywall)|tp-modal|meteredcontent)\b",
    re.I,
)
_ANY_MARKER = re.compile(
    _CHALLENGE_TECH.pattern
    + b"|"
    + _CAPTCHA_WIDGET.pattern
    + b"|"
    + _PAYWALL_TECH.pattern
    + b"|"
    + b"|".join(
        p.pattern.encode("ascii") for p in (_CHALLENGE_PHRASES, _CONSENT_PHRASES, _PAYWALL_PHRASES)
    ),
    re.I,
)


@dataclass(frozen=True)
class Wall:
    """Why a page is not an article: its outcome kind and the evidence."""

    kind: str
    reason: str


def classify_page(status: int, body: bytes, *, final_url: str | None = None) -> Wall | None:
    """The wall a fetched page is (blocked, consent wall, paywall), or None for a normal page."""
    if status in BLOCKED_STATUSES:
        return Wall(BLOCKED, f"HTTP {status}")
    if final_url and _CONSENT_HOSTS.match(_host(final_url)):
        return Wall(CONSENT_WALL, f"redirected to the consent page {_host(final_url)}")
    head = body[:SCAN_BYTES]
    if not _ANY_MARKER.search(head):
        return None
    if match := _CHALLENGE_TECH.search(head):
        return Wall(BLOCKED, f"bot challenge ({match.group(0).decode('latin-1')})")
    page = _read_page(head)
    short = len(page.text) < SHORT_PAGE_CHARS
    if match := _CHALLENGE_PHRASES.search(page.title):
        return Wall(BLOCKED, f"challenge page titled {page.title.strip()!r}")
    if short and (_CAPTCHA_WIDGET.search(head) or _CHALLENGE_PHRASES.search(page.text)):
        found = _CHALLENGE_PHRASES.search(page.text)
        return Wall(BLOCKED, f"captcha page ({found.group(0) if found else 'captcha widget'})")
    if short and len(set(m.group(0).lower() for m in _CONSENT_PHRASES.finditer(page.text))) >= 2:
        return Wall(CONSENT_WALL, "cookie-consent interstitial instead of the page")
    if short and (
        _PAYWALL_PHRASES.search(page.text) or page.not_free or _PAYWALL_TECH.search(head)
    ):
        found = _PAYWALL_PHRASES.search(page.text)
        evidence = found.group(0) if found else "marked not accessible for free"
        return Wall(PAYWALL, f"paywall teaser ({evidence})")
    return None


@dataclass(frozen=True)
class _Page:
    title: str
    text: str  # visible text, white space collapsed
    not_free: bool  # JSON-LD says isAccessibleForFree: false


def _read_page(head: bytes) -> _Page:
    try:
        root = lxml.html.document_fromstring(head)
    except (ValueError, lxml.etree.ParserError):
        return _Page("", "", False)
    title = " ".join(root.xpath("string(//title)").split())
    not_free = any(
        _not_free(script.text or "")
        for script in root.xpath("//script[@type='application/ld+json']")
    )
    for element in root.xpath("//script|//style|//noscript|//template|//head"):
        element.drop_tree()
    text = " ".join(root.text_content().split())
    return _Page(title, text, not_free)


def _not_free(json_ld: str) -> bool:
    try:
        data = json.loads(json_ld)
    except ValueError:
        return False
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if str(node.get("isAccessibleForFree", "")).lower() == "false":
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
