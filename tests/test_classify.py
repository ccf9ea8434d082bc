"""Walls are recognised by kind; real articles (even ones that mention walls) are not."""

from __future__ import annotations

import pytest

from crawler.items import ArticleItem
from crawler.outcomes_classify import classify_page
from pipelines.outcomes import BLOCKED, CONSENT_WALL, PAYWALL, PageRejected
from pipelines.page_gate import PageGatePipeline

ARTICLE_PARAGRAPHS = "".join(
    f"<p>Paragraph {i} of the harbour council report: the ferry timetable for the "
    f"winter months was agreed after a long debate about fuel costs and crew rotas, "
    f"and the mayor said the islands would not be cut off again this year.</p>"
    for i in range(12)
)


def page(body: str, title: str = "Harbour council agrees winter ferries", head: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    ).encode()


CLOUDFLARE_STYLE = page(
    "<div id='challenge-running'>Checking if the site connection is secure</div>"
    "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script>",
    title="Just a moment...",
)
ACCESS_DENIED = page(
    "<h1>Access Denied</h1><p>You don't have permission to access this page.</p>",
    title="Access Denied",
)
CAPTCHA = page(
    "<p>We noticed unusual traffic from your network. Please verify you are human.</p>"
    "<div class='g-recaptcha' data-sitekey='x'></div>",
    title="One more step",
)
CONSENT = page(
    "<h1>Before you continue</h1><p>We and our partners store and/or access information"
    " on a device, such as cookies.</p><button>Accept all</button><button>Reject all</button>"
    "<a href='/prefs'>Manage your choices</a>",
    title="Your privacy",
)
PAYWALL_TEASER = page(
    "<h1>Harbour council agrees winter ferries</h1><p>The council met on Tuesday night and"
    " agreed a timetable that keeps the islands connected.</p>"
    "<div class='paywall'><p>Subscribe to continue reading.</p>"
    "<p>Already a subscriber? Log in.</p></div>"
)
NOT_FREE_TEASER = page(
    "<h1>Harbour council agrees winter ferries</h1><p>The council met on Tuesday.</p>",
    head='<script type="application/ld+json">{"@type": "NewsArticle", '
    '"isAccessibleForFree": "False", "headline": "Harbour"}</script>',
)
ARTICLE = page(
    f"<article><h1>Harbour council agrees winter ferries</h1>{ARTICLE_PARAGRAPHS}</article>"
)
ARTICLE_WITH_BANNER = page(
    f"<article>{ARTICLE_PARAGRAPHS}</article>"
    "<div id='cmp'><p>We value your privacy. Accept all or manage your preferences.</p></div>"
)
ARTICLE_ABOUT_CAPTCHAS = page(
    "<article><h1>Why websites ask: are you a robot?</h1>"
    "<p>Access denied pages and captcha puzzles are spreading.</p>"
    f"{ARTICLE_PARAGRAPHS}</article>",
    title="Why websites keep asking if you are human",
)
FULL_TEXT_MARKED_NOT_FREE = page(
    f"<article>{ARTICLE_PARAGRAPHS}</article>",
    head='<script type="application/ld+json">{"isAccessibleForFree": false}</script>',
)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (CLOUDFLARE_STYLE, BLOCKED),
        (ACCESS_DENIED, BLOCKED),
        (CAPTCHA, BLOCKED),
        (CONSENT, CONSENT_WALL),
        (PAYWALL_TEASER, PAYWALL),
        (NOT_FREE_TEASER, PAYWALL),
    ],
    ids=["challenge", "access-denied", "captcha", "consent", "paywall", "not-free-teaser"],
)
def test_walls_are_named_by_kind(body: bytes, kind: str) -> None:
    wall = classify_page(200, body)
    assert wall is not None and wall.kind == kind, wall
    assert wall.reason


@pytest.mark.parametrize(
    "body",
    [ARTICLE, ARTICLE_WITH_BANNER, ARTICLE_ABOUT_CAPTCHAS, FULL_TEXT_MARKED_NOT_FREE, b""],
    ids=["article", "cookie-banner", "article-about-captchas", "full-text-not-free", "empty"],
)
def test_articles_are_not_walls(body: bytes) -> None:
    assert classify_page(200, body) is None


@pytest.mark.parametrize("status", [401, 403, 451])
def test_forbidden_statuses_are_blocked_whatever_the_body(status: int) -> None:
    wall = classify_page(status, ARTICLE)
    assert wall is not None and wall.kind == BLOCKED and str(status) in wall.reason


def test_redirect_to_a_consent_host_is_a_consent_wall() -> None:
    wall = classify_page(200, ARTICLE, final_url="https://consent.example.org/?continue=x")
    assert wall is not None and wall.kind == CONSENT_WALL


def test_garbage_bytes_are_not_a_wall() -> None:
    assert classify_page(200, bytes(range(256)) * 10) is None


def test_gate_rejects_walls_with_their_kind_and_passes_articles() -> None:
    gate = PageGatePipeline()
    item = ArticleItem(url="http://127.0.0.1/a", status=200, body=CONSENT)
    with pytest.raises(PageRejected) as rejected:
        gate.process_item(item)
    assert rejected.value.kind == CONSENT_WALL
    article = ArticleItem(url="http://127.0.0.1/b", status=200, body=ARTICLE)
    assert gate.process_item(article) is article
