"""Telling walls (bot challenges, consent interstitials, paywall teasers) from articles.

Bot challenges, cookie-consent interstitials and paywall teasers arrive as
ordinary HTML, often with status 200, and an extractor happily turns their
few sentences into an "article".  But the traces of those services are also
on ordinary pages: Cloudflare and Imperva inject their challenge scripts
into fully served articles, consent platforms put banners on every page, and
metered paywalls mark their articles ``isAccessibleForFree: false`` while
serving the whole text to a crawler.  So a trace is only *evidence*: the
verdict is taken after extraction, from the article text the page actually
carries (``judge``).  A page with a full body is an article, whatever it
references; one without is a wall of the kind its evidence names.

Two steps, both pure:

- ``gate``: what needs no body at all (a 401/403/451, a redirect to a
  consent host); run before extraction to spare the extractor.
- ``page_evidence`` over the *whole* page (never a prefix: a 600 kB page may
  start its text after 300 kB of scripts), then ``judge`` with the extracted
  text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from wirewatch.pipelines.outcome_kinds import BLOCKED, CONSENT_WALL, PAYWALL


class _Pattern:
    """A regular expression given as its alternatives, each searched only where it can start.

    Python's ``re`` tries every alternative of an alternation at every position:
    the wall patterns together took ~7 ms on a 200 kB page.  An alternative's
    literal prefix (or the ``needles`` one of which any match holds) is looked
    for first with ``in``, a fast scan; most never occur on a page, and one that
    starts with a literal is itself searched quickly.  ``search`` returns what
    the alternation ``regex`` would: the leftmost match, the earliest alternative
    on a tie.
    """

    def __init__(self, *alternatives: str | tuple[str, tuple[str, ...]]):
        parts = [(a, (_literal_prefix(a),)) if isinstance(a, str) else a for a in alternatives]
        self.regex = re.compile("|".join(pattern for pattern, _ in parts))
        self._parts = [(re.compile(pattern), needles) for pattern, needles in parts]

    def occurs(self, text: str) -> bool:
        return any(
            any(needle in text for needle in needles) and regex.search(text)
            for regex, needles in self._parts
        )

    def search(self, text: str) -> re.Match[str] | None:
        best = None
        for regex, needles in self._parts:
            if any(needle in text for needle in needles) and (match := regex.search(text)):
                if best is None or match.start() < best.start():
                    best = match
        return best


def _literal_prefix(pattern: str) -> str:
    """The text every match of ``pattern`` (no top-level ``|``) starts with; may be empty."""
    prefix: list[str] = []
    i = 0
    while i < len(pattern):
        char, step = pattern[i], 1
        if char == "\\":
            char, step = pattern[i + 1 : i + 2], 2
            if not char or char.isalnum():  # \d, \b, \s...: not a literal
                break
        elif char in ".^$*+?{}[]()|":
            break
        if pattern[i + step : i + step + 1] in ("*", "?", "{"):  # optional or counted
            break
        prefix.append(char)
        i += step
    return "".join(prefix)


# Statuses that mean "you may not have this page".
BLOCKED_STATUSES = frozenset({401, 403, 451})

# Fewer words than this is no article body (a challenge or consent page's
# text); a page that declares itself an article with this many is one.
ARTICLE_WORDS = 80
# A paywall prompt beside less text than this is a teaser (lede + prompt);
# metered pages that serve the whole article carry far more.
TEASER_CHARS = 1500

# Every pattern is written in lower case and matched against lowered text (a
# case-insensitive alternation of this size cost ~100 ms on a large page), and as
# its alternatives, each found where its literal prefix is (``_Pattern``).
# Traces of bot-challenge and captcha services (scripts, element ids).
_CHALLENGE_TECH = _Pattern(
    r"/cdn-cgi/challenge-platform/",
    r"cf-browser-verification",
    r"cf_chl_opt",
    r"_incapsula_resource",
    r"px-captcha",
    r"captcha-delivery\.com",
    r"id=\"challenge-(?:form|running|stage)[\"']",
    r"id='challenge-(?:form|running|stage)[\"']",
)
# Phrases of challenge pages.
_CHALLENGE_PHRASES = _Pattern(
    r"just a moment\.\.\.",
    r"checking (?:if the site connection is secure|your browser)",
    r"attention required!",
    r"access denied",
    r"verify (?:that )?you are (?:a )?human",
    r"are you a robot",
    r"pardon our interruption",
    r"unusual traffic from your",
    r"please enable (?:javascript and )?cookies to continue",
    r"request unsuccessful",
)
_CAPTCHA_WIDGET = _Pattern(
    (
        r"class=[\"'][^\"']*\b(?:g-recaptcha|h-captcha|cf-turnstile)\b",
        ("g-recaptcha", "h-captcha", "cf-turnstile"),
    ),
)

# Consent-platform interstitials that replace the page (not banners on it).
_CONSENT_HOSTS = re.compile(r"^(?:consent\.|guce\.|privacy-gate\.|cmp\.)")
_CONSENT_PHRASES = _Pattern(
    r"we value your privacy",
    r"cookie(?:s)? (?:consent|settings|preferences|policy)",
    r"accept all",
    r"reject all",
    r"manage (?:your )?(?:cookie )?(?:choices|preferences|options)",
    r"before you continue",
    r"we and our (?:\d+ )?partners",
    r"consent to (?:the use of )?cookies",
    r"store and/or access information on a device",
)

_PAYWALL_PHRASES = _Pattern(
    r"subscribe (?:now )?to (?:continue|keep) reading",
    r"to continue reading,? (?:please )?(?:subscribe|log ?in|sign ?in)",
    r"this (?:article|story|content) is (?:only )?(?:available )?(?:for|to) "
    r"(?:subscribers|members)",
    r"already a subscriber\??",
    r"subscribers only",
    r"become a (?:subscriber|member) to read",
    r"unlock (?:this|the full) (?:article|story)",
    r"you have reached your (?:free )?(?:article )?limit",
)
_PAYWALL_TECH = _Pattern(
    r"\"isaccessibleforfree[\"']\s*:\s*(?:false|[\"']false[\"'])",
    r"'isaccessibleforfree[\"']\s*:\s*(?:false|[\"']false[\"'])",
    (
        r"class=[\"'][^\"']*\b(?:paywall|piano-(?:offer|paywall)|tp-modal|meteredcontent)\b",
        ("paywall", "piano-offer", "tp-modal", "meteredcontent"),
    ),
)
_PHRASES = (_CHALLENGE_PHRASES, _CONSENT_PHRASES, _PAYWALL_PHRASES)
# The page's text a reader sees (plain strings: lxml's "smart" ones cost a third more).
_VISIBLE_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template)]",
    smart_strings=False,
)


@dataclass(frozen=True)
class Wall:
    """Why a page is not an article: its outcome kind and the evidence."""

    kind: str
    reason: str


@dataclass(frozen=True)
class Evidence:
    """Traces of walls found on a page; each is a short description, or None."""

    challenge: str | None = None  # bot challenge / captcha
    consent: str | None = None  # cookie-consent interstitial
    paywall_prompt: str | None = None  # "subscribe to continue reading" and the like
    paywall_marker: str | None = None  # not free (JSON-LD) or a paywall element

    @property
    def paywalled(self) -> bool:
        """The page says its article is for subscribers (it may still carry the text)."""
        return bool(self.paywall_prompt or self.paywall_marker)


NO_EVIDENCE = Evidence()


def gate(status: int, final_url: str | None = None) -> Wall | None:
    """Walls known before reading the page: forbidding statuses, consent-host redirects."""
    if status in BLOCKED_STATUSES:
        return Wall(BLOCKED, f"HTTP {status}")
    host = (urlsplit(final_url).hostname or "") if final_url else ""  # lowered by urlsplit
    if host and _CONSENT_HOSTS.match(host):
        return Wall(CONSENT_WALL, f"redirected to the consent page {host}")
    return None


def page_evidence(source: str, tree: lxml_html.HtmlElement | None) -> Evidence:
    """Every trace of a wall on the whole page (``source``: its HTML; ``tree``: parsed)."""
    page = source.lower()
    script = _CHALLENGE_TECH.search(page)
    # Only read when there is no challenge script (a bot-management script on a normal
    # page is common: the widget search then costs a whole-page scan for nothing).
    widget = None if script else _CAPTCHA_WIDGET.search(page)
    paywall = _PAYWALL_TECH.search(page)
    if not (script or widget or paywall or any(p.occurs(page) for p in _PHRASES)):
        return NO_EVIDENCE
    title = " ".join(tree.xpath("string(//title)").split()) if tree is not None else ""
    text = _visible_text(tree).lower()
    challenge = None
    if script:
        challenge = f"bot challenge script ({script.group(0)})"
    elif _CHALLENGE_PHRASES.search(title.lower()):
        challenge = f"challenge page titled {title!r}"
    elif match := widget or _CHALLENGE_PHRASES.search(text):
        challenge = f"captcha page ({match.group(0)})"
    consent_phrases = (
        _distinct(_CONSENT_PHRASES.regex.finditer(text)) if _CONSENT_PHRASES.occurs(text) else []
    )
    consent = (
        f"cookie-consent interstitial ({', '.join(consent_phrases[:3])})"
        if len(consent_phrases) >= 2
        else None
    )
    prompt = _PAYWALL_PHRASES.search(text)
    marker = None
    if tree is not None and _declared_not_free(tree):
        marker = "marked not accessible for free"
    elif paywall:
        marker = f"paywall marker ({paywall.group(0)})"
    return Evidence(challenge, consent, prompt.group(0) if prompt else None, marker)


def judge(evidence: Evidence, text: str) -> Wall | None:
    """The wall a page is, given its evidence and the article text extracted from it.

    ``text`` is empty when extraction found no article.  A page with a body
    of ``ARTICLE_WORDS`` words or more is never blocked or a consent wall; a
    paywall prompt beside less than ``TEASER_CHARS`` of text is a teaser.
    """
    words = len(text.split())
    if words < ARTICLE_WORDS:
        if evidence.challenge:
            return Wall(BLOCKED, f"{evidence.challenge}, {_body(words)}")
        if evidence.consent:
            return Wall(CONSENT_WALL, f"{evidence.consent}, {_body(words)}")
        if evidence.paywalled:
            found = evidence.paywall_prompt or evidence.paywall_marker
            return Wall(PAYWALL, f"paywall teaser ({found}), {_body(words)}")
    elif evidence.paywall_prompt and len(text) < TEASER_CHARS:
        return Wall(
            PAYWALL,
            f"paywall teaser ({evidence.paywall_prompt}), only {len(text)} characters of text",
        )
    return None


def _body(words: int) -> str:
    return f"only {words} words of article text" if words else "no article text"


def _visible_text(tree: lxml_html.HtmlElement | None) -> str:
    if tree is None:
        return ""
    parts = _VISIBLE_TEXT(tree)
    return " ".join(" ".join(parts).split())


def _distinct(matches: Iterable[re.Match[str]]) -> list[str]:
    return list(dict.fromkeys(m.group(0) for m in matches))


def _declared_not_free(tree: lxml_html.HtmlElement) -> bool:
    return any(
        _not_free(script.text or "")
        for script in tree.xpath("//script[@type='application/ld+json']")
    )


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
