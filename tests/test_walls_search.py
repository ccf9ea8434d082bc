"""Wall patterns are searched alternative by alternative, and find what one alternation finds.

``pipelines.walls`` looks for each alternative only where its literal prefix
(or one of its needles) occurs: on a 200 kB page that is a tenth of the time
one alternation takes.  The verdicts must not change with it: the match is
the alternation's (leftmost, the earliest alternative on a tie).
"""

from __future__ import annotations

import random

import pytest

from wirewatch.pipelines.walls import (
    _CAPTCHA_WIDGET,
    _CHALLENGE_PHRASES,
    _CHALLENGE_TECH,
    _CONSENT_PHRASES,
    _PAYWALL_PHRASES,
    _PAYWALL_TECH,
    _literal_prefix,
    _Pattern,
)

PATTERNS = [
    _CHALLENGE_TECH,
    _CHALLENGE_PHRASES,
    _CAPTCHA_WIDGET,
    _CONSENT_PHRASES,
    _PAYWALL_PHRASES,
    _PAYWALL_TECH,
]
# Pieces of pages: every kind of trace, near misses, and the markup between them.
PIECES = [
    "/cdn-cgi/challenge-platform/h/b",
    "cf_chl_opt",
    "_incapsula_resource?x=1",
    "captcha-delivery.com",
    "id='challenge-form'",
    'id="challenge-stage"',
    'id="challenge-other"',
    "just a moment...",
    "checking your browser",
    "verify that you are a human",
    "verify you are human",
    "please enable javascript and cookies to continue",
    "class='x g-recaptcha'",
    'class="h-captchaish"',
    "we value your privacy",
    "cookies policy",
    "cookie settings",
    "accept all",
    "reject all",
    "manage your cookie choices",
    "we and our 845 partners",
    "consent to the use of cookies",
    "subscribe now to keep reading",
    "to continue reading, please log in",
    "this story is only available to members",
    "already a subscriber?",
    "subscribers only",
    "unlock the full story",
    "you have reached your free article limit",
    '"isaccessibleforfree": false',
    "'isaccessibleforfree' : 'false'",
    'class="paywall"',
    "class='a piano-offer'",
    'class="meteredcontentx"',
    "cookie",
    "this ",
    "subscribe ",
    "class=",
    '"',
    " ",
    "<p>",
    "</p>",
]


def _span(match: object) -> tuple[int, str] | None:
    return (match.start(), match.group(0)) if match else None  # type: ignore[attr-defined]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_wall_pattern_finds_what_its_alternation_finds(pattern: _Pattern) -> None:
    rng = random.Random(11)
    for _ in range(1500):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))
        assert _span(pattern.search(text)) == _span(pattern.regex.search(text)), text
        assert pattern.occurs(text) == bool(pattern.regex.search(text)), text


def test_the_leftmost_match_wins_and_the_earlier_alternative_on_a_tie() -> None:
    pattern = _Pattern(r"abc", r"ab", r"b+c")
    assert pattern.search("xxbbc abc").group(0) == "bbc"
    assert pattern.search("xx abcd").group(0) == "abc"
    assert pattern.search("xx ab").group(0) == "ab"
    assert pattern.search("nothing here") is None


def test_needles_stand_in_for_a_prefix_that_is_everywhere() -> None:
    widget = _Pattern((r"class=\"[^\"]*\bwidget\b", ("widget",)))
    assert widget.search('<p class="a"><div class="b widget">').group(0) == 'class="b widget'
    assert widget.search('<p class="a"><div class="b gadget">') is None


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (r"just a moment\.\.\.", "just a moment..."),
        (r"cookie(?:s)? (?:consent|policy)", "cookie"),
        (r"already a subscriber\??", "already a subscriber"),
        (r"cookies? policy", "cookie"),
        (r"we and our (?:\d+ )?partners", "we and our "),
        (r"id=\"challenge-", 'id="challenge-'),
        (r"[\"']isaccessibleforfree", ""),
        (r"\bword", ""),
    ],
)
def test_the_literal_prefix_is_what_every_match_starts_with(pattern: str, prefix: str) -> None:
    assert _literal_prefix(pattern) == prefix
