# ruff: noqa: E501  (HTML templates are clearer with long lines)
"""The weight of a real news page around a generated article: ``page_weight="web"``.

Real article pages are mostly not article: the 78 real outlet pages of
``../shared/fixtures/real`` weigh 28-756 kB, median 143 kB, for a few kB of
text.  A generated article page is ~5 kB, so a crawl of generated pages
weighs the fixed cost of each page (storing it, handing it to a worker)
against almost no extraction work.  This adds what real pages carry, from
the same seed, ~140 kB a page:

* a bot-management script tag and a consent manager's loader, as on most
  commercial outlets (a normal page, not a challenge: it must be kept);
* a large inline stylesheet and a huge inline script (bundled analytics and
  a hydration state that repeats the article's paragraphs in JSON, as
  Next.js and similar sites do);
* a mega-menu of ~150 links, ad slots, a rail of teasers and a footer of
  link columns.

Every piece but the hydration state is built once per site and cached, so
serving a page stays cheap.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from html import escape

_TOPICS = (
    "world", "politics", "business", "markets", "technology", "science", "health",
    "climate", "sport", "football", "tennis", "culture", "books", "film", "music",
    "travel", "food", "opinion", "analysis", "investigations", "local", "weather",
    "education", "property", "motoring", "obituaries", "puzzles", "podcasts", "video",
    "photography",
)  # fmt: skip
_JS_WORDS = (
    "track", "consent", "render", "slot", "bid", "queue", "config", "user", "session",
    "page", "view", "event", "metric", "layout", "lazy", "image", "video", "player",
    "promo", "paywall", "meter", "experiment", "variant", "cookie", "storage", "beacon",
)  # fmt: skip


def _rng(site: str, part: str) -> random.Random:
    return random.Random(f"web-chrome:{site}:{part}")


@lru_cache(maxsize=64)
def head_extras(site: str) -> str:
    """Stylesheet, bot-management and consent scripts, analytics bundle: once per site."""
    rng = _rng(site, "head")
    rules = []
    for n in range(420):
        cls = f"{rng.choice(_TOPICS)}-{rng.choice(_JS_WORDS)}-{n}"
        rules.append(
            f".{cls}{{margin:{rng.randint(0, 24)}px {rng.randint(0, 24)}px;"
            f"font-size:{rng.randint(11, 22)}px;color:#{rng.randrange(0x1000000):06x};"
            f"display:{rng.choice(('block', 'flex', 'grid', 'inline-block'))}}}"
        )
    functions = []
    for n in range(380):
        a, b = rng.choice(_JS_WORDS), rng.choice(_JS_WORDS)
        functions.append(
            f"function {a}_{b}_{n}(e,t){{var r=window.__{a}||{{}};if(!r.{b}){{r.{b}=[]}}"
            f"r.{b}.push([e,t,{rng.randint(0, 99999)}]);return r.{b}.length>{rng.randint(2, 40)}}}"
        )
    return (
        f'<script src="https://{site}.example/cdn-cgi/challenge-platform/scripts/jsd/main.js" async></script>\n'
        f'<script src="https://consent.{site}.example/cmp/loader.js" data-site="{site}"></script>\n'
        f"<style>{''.join(rules)}</style>\n"
        f"<script>/* analytics bundle */{';'.join(functions)}</script>\n"
    )


@lru_cache(maxsize=64)
def masthead(site: str, name: str) -> str:
    """A mega-menu: every section with a column of sub-sections."""
    rng = _rng(site, "nav")
    columns = []
    for topic in _TOPICS:
        links = "".join(
            f'<li><a href="/{site}/section/{topic}/{rng.choice(_JS_WORDS)}-{n}/">'
            f"{topic.title()} {rng.choice(_JS_WORDS)} {n}</a></li>"
            for n in range(4)
        )
        columns.append(
            f'<div class="menu-col"><a class="menu-head" href="/{site}/section/{topic}/">'
            f"{topic.title()}</a><ul>{links}</ul></div>"
        )
    return (
        f'<div class="masthead"><a class="logo" href="/{site}/">{escape(name)}</a>'
        f'<button class="menu-toggle" aria-label="Menu">Menu</button>'
        f'<nav class="mega-menu">{"".join(columns)}</nav>'
        f'<div class="ad-slot leaderboard" data-slot="top-{site}"><iframe title="Advertisement" src="about:blank"></iframe></div></div>\n'
    )


@lru_cache(maxsize=64)
def footer(site: str, name: str) -> str:
    """Footer link columns, app badges, the legal line."""
    rng = _rng(site, "footer")
    columns = "".join(
        f'<ul class="footer-col">{"".join(f"<li><a href=/{site}/{rng.choice(_TOPICS)}/{n}>{rng.choice(_TOPICS).title()} {n}</a></li>" for n in range(12))}</ul>'
        for _ in range(5)
    )
    return (
        f'<div class="site-footer">{columns}'
        f'<p class="apps"><a href="/{site}/apps/ios">Download on the App Store</a> '
        f'<a href="/{site}/apps/android">Get it on Google Play</a></p>'
        f'<p class="legal">© {escape(name)}. All rights reserved. '
        f'<a href="/{site}/terms">Terms of Use</a> | <a href="/{site}/privacy">Privacy Policy</a> | '
        f'<a href="/{site}/cookies">Cookie Settings</a></p></div>\n'
    )


def rail(site: str, titles: list[tuple[str, str]]) -> str:
    """Ad slots and a rail of teasers to other stories (``(path, title)`` pairs)."""
    teasers = "".join(
        f'<div class="teaser"><a href="{path}"><span class="kicker">More</span>'
        f"<h3>{escape(title)}</h3></a></div>"
        for path, title in titles
    )
    ads = "".join(
        f'<div class="ad-slot" data-slot="rail-{site}-{n}"><iframe title="Advertisement" src="about:blank"></iframe></div>'
        for n in range(4)
    )
    return f'<aside class="rail">{ads}{teasers}</aside>\n'


def hydration_state(site: str, url: str, title: str, paragraphs: list[str]) -> str:
    """The page's hydration JSON: the article again, with the site's config blob."""
    state = {
        "props": {
            "pageProps": {
                "article": {"url": url, "headline": title, "body": paragraphs},
                "config": _config_blob(site),
            }
        },
        "page": "/[section]/[slug]",
        "buildId": f"{site}-build",
    }
    text = json.dumps(state, separators=(",", ":")).replace("</", "<\\/")
    return f'<script id="__NEXT_DATA__" type="application/json">{text}</script>\n'


@lru_cache(maxsize=64)
def _config_blob(site: str) -> dict[str, object]:
    rng = _rng(site, "config")
    return {
        f"{rng.choice(_JS_WORDS)}_{n}": {
            "enabled": rng.random() < 0.5,
            "weight": rng.randint(0, 1000),
            "label": f"{rng.choice(_TOPICS)} {rng.choice(_JS_WORDS)}",
        }
        for n in range(400)
    }
