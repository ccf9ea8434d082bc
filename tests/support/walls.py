"""Pages behind walls (challenge, consent, paywall) and real articles dressed like them.

The hostile-looking pages are ordinary articles dressed the way real outlets
serve them (bot-management scripts injected into every page, huge inline
scripts before the text, metered paywalls that serve the whole text).
"""

from __future__ import annotations

ARTICLE_PARAGRAPHS = "".join(
    f"<p>Paragraph {i} of the harbour council report: the ferry timetable for the "
    f"winter months was agreed after a long debate about fuel costs and crew rotas, "
    f"and the mayor said the islands would not be cut off again this year.</p>"
    for i in range(12)
)
URL = "https://harbour-gazette.example/news/2024/01/ferries.html"


def page(body: str, title: str = "Harbour council agrees winter ferries", head: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    ).encode()


# -- real walls ---------------------------------------------------------------------------

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
# A longer teaser: the lede runs to a few paragraphs before the prompt.
LONG_TEASER = page(
    "<article><h1>Harbour council agrees winter ferries</h1>"
    + ARTICLE_PARAGRAPHS[: len(ARTICLE_PARAGRAPHS) // 4]
    + "<div class='piano-offer'><p>Subscribe now to continue reading: unlimited access"
    " to every story for one dollar a week.</p></div></article>",
    head='<script type="application/ld+json">{"@type": "NewsArticle",'
    ' "isAccessibleForFree": false}</script>',
)

# -- articles, some dressed like walls ------------------------------------------------------

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
# Cloudflare's bot management injects this into fully served pages.
ARTICLE_WITH_CLOUDFLARE_SCRIPT = page(
    f"<article><h1>Harbour council agrees winter ferries</h1>{ARTICLE_PARAGRAPHS}</article>"
    "<script>(function(){var a=document.createElement('script');a.src="
    "'/cdn-cgi/challenge-platform/scripts/jsd/main.js';document.head.appendChild(a);})();"
    "</script>",
)
# Imperva (Incapsula) adds a beacon script to every page it fronts.
ARTICLE_WITH_INCAPSULA_BEACON = page(
    f"<article><h1>Harbour council agrees winter ferries</h1>{ARTICLE_PARAGRAPHS}</article>",
    head="<script src='/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3'></script>",
)
# 300 kB of inline scripts (state, ads) before the article starts; the head
# marks it not free, as metered sites do for pages they serve whole.
HUGE_SCRIPTS_FIRST = page(
    "<script>window.__STATE__ = {"
    + ",".join(f'"k{i}": "{"x" * 90}"' for i in range(3200))
    + "};</script>"
    + "<div class='paywall-meter' data-meter='3'></div>"
    + f"<article><h1>Harbour council agrees winter ferries</h1>{ARTICLE_PARAGRAPHS * 2}"
    "<p>Already a subscriber? Log in for unlimited access.</p></article>"
    + "<script>"
    + "var pad = 1;" * 25000
    + "</script>",
    head='<script type="application/ld+json">{"@type": "NewsArticle",'
    ' "isAccessibleForFree": false, "headline": "Harbour council agrees winter ferries"}'
    "</script>",
)
# A metered paywall: marked not free, the whole text served, a prompt below it.
METERED_FULL_TEXT = page(
    f"<article><h1>Harbour council agrees winter ferries</h1>{ARTICLE_PARAGRAPHS}"
    "<div class='tp-modal'><p>You have reached your free article limit next month.</p>"
    "<p>Subscribers only: become a subscriber to read on.</p></div></article>",
    head='<script type="application/ld+json">{"@type": "NewsArticle",'
    ' "isAccessibleForFree": "False"}</script>',
)
