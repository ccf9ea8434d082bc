# ruff: noqa: E501  (HTML templates are clearer with long lines)
"""Writes the static fixture newsroom in ``crawler/demo/site/`` from the stories
in :mod:`demo.newsroom_content`.

The site is committed; this builder exists so that templates and prose stay
consistent (one template per outlet, syndicated copies derived mechanically
from the wire text) and MANIFEST.json can never disagree with the pages.
Regenerate with ``python -m demo.build_site`` after editing content;
``tests/test_demo_site.py`` fails if the committed site is out of date.

Absolute URLs use the placeholder origin ``http://newsroom.example``, which
:class:`crawler.demo.server.FixtureServer` rewrites to its own base URL.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from demo.newsroom_content import COPIES, ORIGINALS, WIRE, Copy, Original, WireStory
from wirewatch.crawler.demo import PLACEHOLDER_ORIGIN, site_dir

ORIGIN = PLACEHOLDER_ORIGIN


@dataclass(frozen=True)
class Site:
    key: str
    name: str
    source: str
    wire: bool
    home: str
    boilerplate: tuple[str, ...]  # text on every article page that is NOT article text
    about: str


SITES: dict[str, Site] = {
    "wire": Site(
        key="wire",
        name="Meridian Press Agency",
        source="meridian",
        wire=True,
        home="/wire/",
        about="Meridian Press Agency (MPA) is an independent news agency founded in 1931, "
        "serving more than 400 newspapers, broadcasters and websites.",
        boilerplate=(
            "Skip to main content",
            "Breaking News",
            "Support independent wire journalism",
            "Get the MPA Morning Brief",
            "Share this story",
            "16x9 Image",
            "More from MPA",
            "Read more",
            "We use cookies to measure our audience",
            "Meridian Press Agency (MPA) is an independent news agency",
        ),
    ),
    "dailyharbor": Site(
        key="dailyharbor",
        name="The Daily Harbor",
        source="dailyharbor",
        wire=False,
        home="/dailyharbor/",
        about="The Daily Harbor has been Harwick's newspaper since 1896: independent, local "
        "and owned by a readers' trust.",
        boilerplate=(
            "Skip to main content",
            "Breaking News",
            "Support The Daily Harbor!",
            "Sign up for the Harbor Morning newsletter",
            "Share on Facebook",
            "16x9 Image",
            "Related Stories",
            "Read more",
            "This website uses cookies",
            "The Daily Harbor has been Harwick's newspaper since 1896",
        ),
    ),
    "northstar": Site(
        key="northstar",
        name="The Northstar Ledger",
        source="northstar",
        wire=False,
        home="/northstar/",
        about="The Northstar Ledger has reported on Velmar and the northern provinces since "
        "1884. Our newsroom is funded by subscribers and donors.",
        boilerplate=(
            "Skip to main content",
            "Breaking News",
            "Support The Northstar Ledger!",
            "Sign up for Ledger Daily",
            "Share this article",
            "16x9 Image",
            "More from the Ledger",
            "Read more",
            "We value your privacy",
            "The Northstar Ledger has reported on Velmar",
        ),
    ),
    "valleyherald": Site(
        key="valleyherald",
        name="Valley Herald",
        source="valleyherald",
        wire=False,
        home="/valleyherald/",
        about="The Valley Herald is the Lesk Valley's independent newspaper, published in "
        "Orrin since 1921.",
        boilerplate=(
            "Skip to main content",
            "Breaking News",
            "Support local journalism",
            "Get Herald headlines by email",
            "Share: Facebook",
            "16x9 Image",
            "Related Stories",
            "Read more",
            "Cookies help us deliver our services",
            "The Valley Herald is the Lesk Valley's independent newspaper",
        ),
    ),
}

TICKER = {
    "wire": "Polar air to bring the first snow of the season to the northern provinces",
    "dailyharbor": "Harwick port strike enters first day; ferries unaffected",
    "northstar": "Tamsel floods: rail services to Lesk Valley suspended until Sunday",
    "valleyherald": "Orrin-Dunmere road closed by flooding; use the Kelby bypass",
}

VH_SECTIONS = {
    "world": "World & Nation",
    "local": "Local News",
    "business": "Business",
}


@dataclass
class Article:
    path: str
    site: str
    story: str
    kind: str  # wire | copy | original
    copy_of: str | None
    headline: str
    author: str
    published: str
    section: str
    paragraphs: list[str]
    caption: str
    credit: str
    lang: str = "en"
    charset: str = "utf-8"
    notes: tuple[str, ...] = ()
    wire_credit: str | None = None  # "With reporting by ..." line closing a copy

    @property
    def rendered(self) -> list[str]:
        """Paragraphs as they appear on the page, credit line included."""
        return [*self.paragraphs, self.wire_credit] if self.wire_credit else self.paragraphs

    @property
    def url(self) -> str:
        return ORIGIN + self.path

    @property
    def dt(self) -> datetime:
        return datetime.fromisoformat(self.published.replace("Z", "+00:00"))

    @property
    def description(self) -> str:
        text = self.paragraphs[0]
        return text if len(text) < 200 else text[:197].rsplit(" ", 1)[0] + "..."


def _article_path(site: str, slug: str) -> str:
    if site == "wire":
        return f"/wire/news/{slug}.html"
    if site == "dailyharbor":
        return f"/dailyharbor/{slug}/"  # WordPress-style pretty URL, a directory
    return f"/{site}/{slug}.html"


def collect() -> list[Article]:
    """All article pages, wire stories first, in a stable order."""
    wire_by_story: dict[str, tuple[WireStory, Article]] = {}
    articles: list[Article] = []
    for w in WIRE:
        art = Article(
            path=_article_path("wire", w.slug),
            site="wire",
            story=w.story,
            kind="wire",
            copy_of=None,
            headline=w.headline,
            author=w.author,
            published=w.published,
            section=w.section,
            paragraphs=[f"{w.dateline} {w.paragraphs[0]}", *w.paragraphs[1:]],
            caption=w.caption,
            credit=w.credit,
        )
        wire_by_story[w.story] = (w, art)
        articles.append(art)
    for c in COPIES:
        articles.append(_copy_article(c, *wire_by_story[c.story]))
    for o in ORIGINALS:
        articles.append(_original_article(o))
    return articles


def _copy_article(c: Copy, w: WireStory, wire_art: Article) -> Article:
    if not 1 <= c.keep <= len(w.paragraphs):
        raise ValueError(f"{c.slug}: keep={c.keep} out of range")
    lede = f"{c.dateline} {w.paragraphs[0]}" if c.dateline else w.paragraphs[0]
    paras = [lede, *w.paragraphs[1 : c.keep], c.editor_note]
    for old, new in c.replace:
        paras = [p.replace(old, new) for p in paras]
    return Article(
        path=_article_path(c.site, c.slug),
        site=c.site,
        story=c.story,
        kind="copy",
        copy_of=wire_art.path,
        headline=c.headline,
        author=c.author,
        published=c.published,
        section=c.section,
        paragraphs=paras,
        wire_credit=c.reporting,
        caption=w.caption,
        credit=w.credit,
        notes=(
            f"Republished from MPA: first {c.keep} of {len(w.paragraphs)} paragraphs, "
            "new headline and dateline, editor's note and credit line added.",
            *((f"Spells '{c.replace[0][0]}' as '{c.replace[0][1]}'.",) if c.replace else ()),
        ),
    )


def _original_article(o: Original) -> Article:
    return Article(
        path=_article_path(o.site, o.slug),
        site=o.site,
        story=o.story,
        kind="original",
        copy_of=None,
        headline=o.headline,
        author=o.author,
        published=o.published,
        section=o.section,
        paragraphs=list(o.paragraphs),
        caption=o.caption,
        credit=o.credit,
        lang=o.lang,
        charset=o.charset,
        notes=o.notes,
    )


# --------------------------------------------------------------------------- helpers


def e(text: str) -> str:
    return escape(text, quote=True)


def human_date(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    return f"{dt:%B} {dt.day}, {dt.year}, {hour}:{dt:%M} {ampm} UTC"


def rfc822(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def related_for(art: Article, articles: list[Article], n: int = 3) -> list[Article]:
    same = [a for a in articles if a.site == art.site and a.path != art.path]
    same.sort(key=lambda a: a.published, reverse=True)
    return same[:n]


def json_ld(art: Article, site: Site) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": art.headline,
        "datePublished": iso(art.dt),
        "dateModified": iso(art.dt),
        "inLanguage": art.lang,
        "mainEntityOfPage": art.url,
        "author": [{"@type": "Person", "name": art.author}],
        "publisher": {"@type": "Organization", "name": site.name},
        "articleSection": art.section,
    }
    if art.kind == "copy":
        data["isBasedOn"] = ORIGIN + (art.copy_of or "")
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def cookie_banner(text: str, cls: str) -> str:
    return (
        f'<div class="{cls}" role="dialog" aria-label="Cookie consent">\n'
        f"  <p>{e(text)}</p>\n"
        '  <button type="button">Accept all</button> <button type="button">Manage '
        "preferences</button>\n</div>"
    )


def share_links(art: Article, label: str) -> str:
    u = e(art.url)
    return (
        f'<div class="share"><span>{label}</span>\n'
        f'  <a href="https://social.example/share?u={u}">Facebook</a>\n'
        f'  <a href="https://x.example/intent?url={u}">X</a>\n'
        f'  <a href="mailto:?subject={e(art.headline)}">Email</a>\n</div>'
    )


# --------------------------------------------------------------------------- templates


def page_wire(art: Article, site: Site, related: list[Article]) -> str:
    """A clean agency CMS: OG, article:published_time and JSON-LD."""
    paras = "\n".join(f"      <p>{e(p)}</p>" for p in art.rendered)
    rel = "\n".join(f'      <li><a href="{a.path}">{e(a.headline)}</a></li>' for a in related)
    return f"""<!DOCTYPE html>
<html lang="{art.lang}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(art.headline)} | Meridian Press Agency</title>
  <link rel="canonical" href="{e(art.url)}">
  <meta name="description" content="{e(art.description)}">
  <meta name="author" content="{e(art.author)}">
  <meta property="og:type" content="article">
  <meta property="og:site_name" content="Meridian Press Agency">
  <meta property="og:title" content="{e(art.headline)}">
  <meta property="og:url" content="{e(art.url)}">
  <meta property="og:description" content="{e(art.description)}">
  <meta property="article:published_time" content="{iso(art.dt)}">
  <meta property="article:section" content="{e(art.section)}">
  {json_ld(art, site)}
  <link rel="alternate" type="application/rss+xml" title="MPA top stories" href="/wire/feed.xml">
</head>
<body>
  <a class="skip-link" href="#main">Skip to main content</a>
  <header class="mpa-header">
    <a class="logo" href="/wire/">MPA <span>Meridian Press Agency</span></a>
    <nav aria-label="Sections">
      <a href="/wire/">Top stories</a> <a href="/wire/about.html">About MPA</a>
    </nav>
  </header>
  <div class="ticker" role="marquee"><strong>Breaking News</strong> {e(TICKER["wire"])}</div>
  <main id="main">
    <article class="story">
      <p class="kicker">{e(art.section)}</p>
      <h1 class="story-headline">{e(art.headline)}</h1>
      <p class="byline">By <span class="author">{e(art.author)}</span></p>
      <p class="timestamp"><time datetime="{iso(art.dt)}">{human_date(art.dt)}</time></p>
      <figure class="lead-image">
        <div class="image-placeholder" role="img" aria-label="{e(art.caption)}">16x9 Image</div>
        <figcaption>{e(art.caption)} <span class="credit">Photo: {e(art.credit)}</span></figcaption>
      </figure>
      <div class="story-body">
{paras}
      </div>
      <p class="story-trailer">Read more: <a href="{related[0].path}">{e(related[0].headline)}</a></p>
      <aside class="promo">
        <h2>Support independent wire journalism</h2>
        <p>Become an MPA member newsroom and get every story as it breaks.</p>
      </aside>
      {share_links(art, "Share this story")}
    </article>
    <aside class="newsletter">
      <h2>Get the MPA Morning Brief</h2>
      <form action="/wire/about.html"><input type="email" name="email" placeholder="you@example.org"><button>Subscribe</button></form>
    </aside>
    <section class="related">
      <h2>More from MPA</h2>
      <ul>
{rel}
      </ul>
    </section>
  </main>
  <footer>
    <p class="about">{e(site.about)}</p>
    <p>© 2026 Meridian Press Agency. All rights reserved.</p>
  </footer>
  {cookie_banner("We use cookies to measure our audience and improve our services.", "cookie-notice")}
</body>
</html>
"""


def page_dailyharbor(art: Article, site: Site, related: list[Article]) -> str:
    """A WordPress-style theme: OG + article:published_time, no JSON-LD."""
    body = [f"<p>{e(p)}</p>" for p in art.rendered]
    # an inline "Read more" block after the second paragraph, as WordPress themes do
    inline = (
        '<aside class="wp-block-read-more inline-related"><strong>Read more:</strong> '
        f'<a href="{related[0].path}">{e(related[0].headline)}</a></aside>'
    )
    body.insert(min(2, len(body)), inline)
    if art.kind == "copy":
        body[-1] = f'<p class="credit-line"><em>{e(art.rendered[-1])}</em></p>'
    paras = "\n\t\t\t".join(body)
    rel = "\n".join(
        f'\t\t\t<li class="related-post"><a href="{a.path}" rel="bookmark">{e(a.headline)}</a></li>'
        for a in related
    )
    post_id = 4000 + sum(map(ord, art.path)) % 5000
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(art.headline)} &#8211; The Daily Harbor</title>
<link rel="canonical" href="{e(art.url)}">
<link rel="alternate" type="application/atom+xml" title="The Daily Harbor &raquo; Feed" href="/dailyharbor/atom.xml">
<meta property="og:locale" content="en_GB">
<meta property="og:type" content="article">
<meta property="og:title" content="{e(art.headline)}">
<meta property="og:description" content="{e(art.description)}">
<meta property="og:url" content="{e(art.url)}">
<meta property="og:site_name" content="The Daily Harbor">
<meta property="article:published_time" content="{iso(art.dt)}">
<meta property="article:modified_time" content="{iso(art.dt)}">
<meta name="author" content="{e(art.author)}">
<link rel="stylesheet" id="harbor-style-css" href="/dailyharbor/style.css" media="all">
</head>
<body class="post-template-default single single-post postid-{post_id} single-format-standard">
<div id="page" class="site">
	<a class="skip-link screen-reader-text" href="#content">Skip to main content</a>
	<div class="breaking-news-bar"><span class="label">Breaking News</span> <a href="/dailyharbor/tag/port/">{e(TICKER["dailyharbor"])}</a></div>
	<header id="masthead" class="site-header">
		<p class="site-title"><a href="/dailyharbor/" rel="home">The Daily Harbor</a></p>
		<p class="site-description">News from Harwick and the coast</p>
		<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
			<li class="menu-item"><a href="/dailyharbor/">Home</a></li>
			<li class="menu-item"><a href="/dailyharbor/tag/port/">Port</a></li>
			<li class="menu-item"><a href="/dailyharbor/about/">About us</a></li>
		</ul></nav>
	</header>
	<div class="donate-strip"><strong>Support The Daily Harbor!</strong> Local news is not free to make. <a href="/dailyharbor/about/">Chip in from 3 kestras a month</a>.</div>
	<div id="content" class="site-content">
	<main id="primary" class="site-main">
		<article id="post-{post_id}" class="post-{post_id} post type-post status-publish">
			<header class="entry-header">
				<h1 class="entry-title">{e(art.headline)}</h1>
				<div class="entry-meta">
					<span class="byline">by <span class="author vcard">{e(art.author)}</span></span>
					<span class="posted-on"><time class="entry-date published" datetime="{iso(art.dt)}">{art.dt:%d/%m/%Y %H:%M}</time></span>
				</div>
			</header>
			<figure class="wp-block-image size-large">
				<div class="img-placeholder">16x9 Image</div>
				<figcaption class="wp-element-caption">{e(art.caption)} Photo: {e(art.credit)}</figcaption>
			</figure>
			<div class="entry-content">
			{paras}
			</div>
			<footer class="entry-footer">
				<div class="sharedaddy"><h3 class="sd-title">Share this:</h3>
				<a class="share-facebook" href="https://social.example/share?u={e(art.url)}">Share on Facebook</a>
				<a class="share-x" href="https://x.example/intent?url={e(art.url)}">Share on X</a>
				<a class="share-email" href="mailto:?subject={e(art.headline)}">Email this article</a></div>
				<div class="newsletter-box">Sign up for the Harbor Morning newsletter &ndash; the day's news from the coast at 7am.</div>
			</footer>
		</article>
		<section class="related-posts">
			<h2>Related Stories</h2>
			<ul>
{rel}
			</ul>
		</section>
		<p class="no-comments">Comments are closed.</p>
	</main>
	<aside id="secondary" class="widget-area">
		<section class="widget widget_text"><h2 class="widget-title">About us</h2>
		<div class="textwidget"><p>{e(site.about)}</p></div></section>
	</aside>
	</div>
	<footer id="colophon" class="site-footer"><div class="site-info">&copy; 2026 The Daily Harbor &middot; Proudly powered by a CMS</div></footer>
</div>
<div id="cookie-law-info-bar"><span>This website uses cookies. By continuing to browse you agree to our cookie policy.</span> <a role="button" class="cli_action_button">Accept</a></div>
</body>
</html>
"""


def page_northstar(art: Article, site: Site, related: list[Article]) -> str:
    """A React-style CMS: JSON-LD only (no article:published_time meta)."""
    paras = "\n".join(
        f'<p class="article-paragraph" data-type="text">{e(p)}</p>' for p in art.rendered
    )
    rel = "".join(
        f'<li class="card"><a href="{a.path}"><span class="card-headline">{e(a.headline)}'
        "</span></a></li>"
        for a in related
    )
    return f"""<!DOCTYPE html>
<html lang="{art.lang}" dir="ltr">
<head>
<meta charset="{art.charset}">
<title>{e(art.headline)} - The Northstar Ledger</title>
<link rel="canonical" href="{e(art.url)}">
<meta property="og:title" content="{e(art.headline)}">
<meta property="og:url" content="{e(art.url)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="The Northstar Ledger">
<meta name="twitter:card" content="summary_large_image">
{json_ld(art, site)}
</head>
<body>
<div id="fusion-app" class="layout-article">
<a href="#main-content" class="sr-only skip">Skip to main content</a>
<div class="alert-bar" role="region" aria-label="Breaking News"><span class="alert-label">Breaking News</span><span class="alert-text">{e(TICKER["northstar"])}</span></div>
<header class="masthead"><a href="/northstar/" class="brand">The Northstar Ledger</a>
<nav><a href="/northstar/">Home</a><a href="/northstar/about.html">About the Ledger</a></nav></header>
<main id="main-content">
<div class="article-layout">
<article class="article">
<div class="overline"><a href="/northstar/">{e(art.section.title())}</a></div>
<h1 class="headline" data-testid="headline">{e(art.headline)}</h1>
<div class="byline-block"><span class="byline">By {e(art.author)}</span></div>
<figure class="lead-art"><div class="placeholder-16x9">16x9 Image</div><figcaption><span class="caption-text">{e(art.caption)}</span> <span class="credit">Credit: {e(art.credit)}</span></figcaption></figure>
<div class="article-body">
{paras}
</div>
<div class="article-trailer"><a href="{related[0].path}">Read more: {e(related[0].headline)}</a></div>
<div class="share-bar" aria-label="Share this article"><span>Share this article</span> <a href="https://social.example/share?u={e(art.url)}">Facebook</a> <a href="https://x.example/intent?url={e(art.url)}">X</a></div>
</article>
<div class="donation-module"><h2>Support The Northstar Ledger!</h2><p>Independent reporting like this is paid for by readers. Give once or become a monthly supporter today.</p><a class="btn" href="/northstar/about.html">Donate</a></div>
<div class="newsletter-signup"><h3>Sign up for Ledger Daily</h3><p>The morning's essential news, in your inbox before 7.</p></div>
<section class="more-stories"><h2>More from the Ledger</h2><ul>{rel}</ul></section>
</div>
</main>
<footer class="site-footer"><p class="about-blurb">{e(site.about)}</p><p>© 2026 The Northstar Ledger</p></footer>
<div class="consent-modal"><h4>We value your privacy</h4><p>We and our partners use cookies to personalise content.</p><button>Agree</button></div>
</div>
</body>
</html>
"""


def page_valleyherald(art: Article, site: Site, related: list[Article]) -> str:
    """An old XHTML-era CMS: no JSON-LD, no date meta, only a visible date."""
    paras = "\n".join(f"<p>{e(p)}</p>" for p in art.rendered)
    rel = "\n".join(f'<li><a href="{a.path}">{e(a.headline)}</a></li>' for a in related)
    if art.charset == "utf-8":
        meta = '<meta charset="utf-8">'
    else:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={art.charset}">'
    dt = art.dt
    hour = dt.hour % 12 or 12
    visible = (
        f"{dt:%A}, {dt:%B} {dt.day}, {dt.year} {hour}:{dt:%M} {'AM' if dt.hour < 12 else 'PM'}"
    )
    section_name = VH_SECTIONS.get(art.section, art.section.title())
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html lang="en">
<head>
{meta}
<title>Valley Herald - {e(art.headline)}</title>
<link rel="canonical" href="{e(art.url)}">
<meta property="og:title" content="{e(art.headline)}">
<meta property="og:site_name" content="Valley Herald">
</head>
<body bgcolor="#ffffff">
<a href="#story" class="skip">Skip to main content</a>
<div id="breaking">Breaking News: {e(TICKER["valleyherald"])}</div>
<div id="wrapper">
<div id="masthead"><a href="/valleyherald/"><b>VALLEY HERALD</b></a> &middot; Orrin, Lesk Valley
<div id="nav"><a href="/valleyherald/world/">World &amp; Nation</a> | <a href="/valleyherald/local/">Local</a> | <a href="/valleyherald/business/">Business</a> | <a href="/valleyherald/tag/floods/">Floods</a> | <a href="/valleyherald/about/">About</a> | <a href="/valleyherald/login/">Log in</a></div></div>
<div id="content">
<div id="story">
<div class="sectionhead"><a href="/valleyherald/{art.section}/">{e(section_name)}</a></div>
<h1 class="storyhead">{e(art.headline)}</h1>
<div class="byline">By {e(art.author)}</div>
<div class="dateline">Posted: {visible}</div>
<div class="photo"><div class="ph">16x9 Image</div>
<div class="cutline">{e(art.caption)} ({e(art.credit)})</div></div>
<div class="storybody">
{paras}
</div>
<div class="readmore"><a href="{related[0].path}">Read more &raquo; {e(related[0].headline)}</a></div>
<div class="share">Share: Facebook | X | Email</div>
<div class="subscribe">Support local journalism: subscribe to the Valley Herald for 9.90 kestras a month.</div>
</div>
<div id="rail">
<div class="box"><b>Related Stories</b><ul>
{rel}
</ul></div>
<div class="box">Get Herald headlines by email every morning. <a href="/valleyherald/login/">Sign up</a></div>
<div class="box about">{e(site.about)}</div>
</div>
</div>
<div id="footer">Copyright 2026 Valley Herald. <span id="cookies">Cookies help us deliver our services. By using our services, you agree to our use of cookies.</span></div>
</div>
</body>
</html>
"""


TEMPLATES = {
    "wire": page_wire,
    "dailyharbor": page_dailyharbor,
    "northstar": page_northstar,
    "valleyherald": page_valleyherald,
}


# --------------------------------------------------------------------------- other pages


def simple_page(title: str, body: str, lang: str = "en") -> str:
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>{e(title)}</title></head>
<body>
<a href="#main">Skip to main content</a>
<main id="main">
<h1>{e(title)}</h1>
{body}
</main>
</body>
</html>
"""


def link_list(items: list[Article]) -> str:
    lis = "\n".join(
        f'<li><a href="{a.path}">{e(a.headline)}</a> <small>{a.dt:%b %d}</small></li>'
        for a in items
    )
    return f"<ul>\n{lis}\n</ul>"


def rss_feed(articles: list[Article]) -> str:
    items = []
    for a in sorted(articles, key=lambda x: x.published, reverse=True):
        items.append(f"""    <item>
      <title>{e(a.headline)}</title>
      <link>{e(a.url)}</link>
      <guid isPermaLink="true">{e(a.url)}</guid>
      <pubDate>{rfc822(a.dt)}</pubDate>
      <dc:creator>{e(a.author)}</dc:creator>
      <category>{e(a.section)}</category>
      <description>{e(a.description)}</description>
    </item>""")
    newest = max(a.dt for a in articles)
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Meridian Press Agency - Top stories</title>
    <link>{ORIGIN}/wire/</link>
    <description>The latest stories from the Meridian Press Agency wire.</description>
    <language>en</language>
    <lastBuildDate>{rfc822(newest)}</lastBuildDate>
    <atom:link href="{ORIGIN}/wire/feed.xml" rel="self" type="application/rss+xml"/>
{body}
  </channel>
</rss>
"""


def atom_feed(articles: list[Article]) -> str:
    entries = []
    for a in sorted(articles, key=lambda x: x.published, reverse=True):
        entries.append(f"""  <entry>
    <title type="html">{e(a.headline)}</title>
    <link rel="alternate" type="text/html" href="{e(a.url)}"/>
    <id>tag:dailyharbor.example,2026:{e(a.path)}</id>
    <published>{iso(a.dt)}</published>
    <updated>{iso(a.dt)}</updated>
    <author><name>{e(a.author)}</name></author>
    <summary type="html">{e(a.description)}</summary>
  </entry>""")
    newest = max(a.dt for a in articles)
    body = "\n".join(entries)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
  <title>The Daily Harbor</title>
  <subtitle>News from Harwick and the coast</subtitle>
  <link rel="alternate" type="text/html" href="{ORIGIN}/dailyharbor/"/>
  <link rel="self" type="application/atom+xml" href="{ORIGIN}/dailyharbor/atom.xml"/>
  <id>{ORIGIN}/dailyharbor/</id>
  <updated>{iso(newest)}</updated>
{body}
</feed>
"""


def news_sitemap(articles: list[Article]) -> str:
    urls = []
    for a in sorted(articles, key=lambda x: x.published, reverse=True):
        urls.append(f"""  <url>
    <loc>{e(a.url)}</loc>
    <news:news>
      <news:publication>
        <news:name>The Northstar Ledger</news:name>
        <news:language>{a.lang}</news:language>
      </news:publication>
      <news:publication_date>{iso(a.dt)}</news:publication_date>
      <news:title>{e(a.headline)}</news:title>
    </news:news>
  </url>""")
    body = "\n".join(urls)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{body}
</urlset>
"""


def sitemap_index(children: list[str], lastmod: datetime) -> str:
    items = "\n".join(
        f"  <sitemap>\n    <loc>{ORIGIN}{c}</loc>\n    <lastmod>{iso(lastmod)}</lastmod>\n"
        "  </sitemap>"
        for c in children
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{items}
</sitemapindex>
"""


ROBOTS = """# Fixture newsroom robots.txt: everything is allowed except private areas.
User-agent: *
Disallow: /*/private/

Sitemap: {origin}/northstar/sitemap.xml
"""

EMBARGOED = "/valleyherald/2026/11/21/private/embargoed-county-budget.html"

NON_ARTICLES = {
    "/index.html": "root index of the fixture newsroom",
    "/wire/index.html": "wire home page",
    "/wire/about.html": "about page",
    "/dailyharbor/index.html": "home page",
    "/dailyharbor/about/index.html": "about page",
    "/dailyharbor/tag/port/index.html": "tag page",
    "/northstar/index.html": "home page",
    "/northstar/about.html": "about page",
    "/valleyherald/index.html": "home page",
    "/valleyherald/world/index.html": "section page",
    "/valleyherald/local/index.html": "section page",
    "/valleyherald/business/index.html": "section page",
    "/valleyherald/about/index.html": "about page",
    "/valleyherald/tag/floods/index.html": "tag page",
    "/valleyherald/login/index.html": "login form",
    EMBARGOED: "article-like page disallowed by robots.txt (must never be fetched)",
}


def vh_section_page(key: str, arts: list[Article]) -> str:
    """Section front: article links plus links the follow regex must reject."""
    lis = "\n".join(
        f'<tr><td class="headline"><a href="{a.path}">{e(a.headline)}</a></td>'
        f'<td class="date">{a.dt:%m/%d/%Y}</td></tr>'
        for a in sorted(arts, key=lambda x: x.published, reverse=True)
    )
    if key == "local":
        lis += (
            f'\n<tr><td class="headline"><a href="{EMBARGOED}">County budget (embargoed '
            'draft)</a></td><td class="date">11/21/2026</td></tr>'
        )
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html lang="en">
<head><meta charset="utf-8"><title>Valley Herald - {e(VH_SECTIONS[key])}</title>
<link rel="canonical" href="{ORIGIN}/valleyherald/{key}/"></head>
<body>
<a href="#list" class="skip">Skip to main content</a>
<div id="breaking">Breaking News: {e(TICKER["valleyherald"])}</div>
<div id="masthead"><a href="/valleyherald/"><b>VALLEY HERALD</b></a>
<div id="nav"><a href="/valleyherald/world/">World &amp; Nation</a> | <a href="/valleyherald/local/">Local</a> | <a href="/valleyherald/business/">Business</a> | <a href="/valleyherald/tag/floods/">Floods</a> | <a href="/valleyherald/about/">About</a> | <a href="/valleyherald/login/">Log in</a></div></div>
<h1>{e(VH_SECTIONS[key])}</h1>
<table id="list">
{lis}
</table>
<p class="more"><a href="/valleyherald/tag/floods/">More flood coverage</a> &middot; <a href="/valleyherald/about/">About the Herald</a></p>
<div id="footer">Copyright 2026 Valley Herald. {e(SITES["valleyherald"].about)}</div>
</body>
</html>
"""


# --------------------------------------------------------------------------- build


def render(art: Article, articles: list[Article]) -> bytes:
    site = SITES[art.site]
    html = TEMPLATES[art.site](art, site, related_for(art, articles))
    codec = {"utf-8": "utf-8", "iso-8859-1": "latin-1", "windows-1251": "cp1251"}[art.charset]
    return html.encode(codec, errors="xmlcharrefreplace")


def _file_for(path: str) -> str:
    return path + "index.html" if path.endswith("/") else path


def build(out: Path) -> dict:
    """Write the whole site below ``out`` and return the manifest."""
    articles = collect()
    by_site: dict[str, list[Article]] = {k: [] for k in SITES}
    for a in articles:
        by_site[a.site].append(a)
    files: dict[str, bytes] = {}

    for a in articles:
        files[_file_for(a.path)] = render(a, articles)

    files["/wire/feed.xml"] = rss_feed(by_site["wire"]).encode()
    files["/dailyharbor/atom.xml"] = atom_feed(by_site["dailyharbor"]).encode()
    files["/northstar/sitemap-news.xml"] = news_sitemap(by_site["northstar"]).encode()
    newest_ns = max(a.dt for a in by_site["northstar"])
    files["/northstar/sitemap.xml"] = sitemap_index(
        ["/northstar/sitemap-news.xml"], newest_ns
    ).encode()
    files["/robots.txt"] = ROBOTS.format(origin=ORIGIN).encode()
    files["/dailyharbor/style.css"] = (
        b"body{font-family:Georgia,serif;margin:0}.site-header{background:#0b3954;color:#fff}\n"
        b".breaking-news-bar{background:#c81d25;color:#fff}.img-placeholder{aspect-ratio:16/9}\n"
    )

    # home, about, tag and section pages (none of them articles)
    for key, site in SITES.items():
        home = site.home + "index.html"
        files[home] = simple_page(
            site.name, f"<p>{e(site.about)}</p>\n{link_list(by_site[key])}"
        ).encode()
    files["/wire/about.html"] = simple_page(
        "About MPA", f"<p>{e(SITES['wire'].about)}</p>"
    ).encode()
    files["/northstar/about.html"] = simple_page(
        "About the Ledger", f"<p>{e(SITES['northstar'].about)}</p>"
    ).encode()
    files["/dailyharbor/about/index.html"] = simple_page(
        "About us", f"<p>{e(SITES['dailyharbor'].about)}</p>"
    ).encode()
    port = [a for a in by_site["dailyharbor"] if a.story in ("picket-line", "gull-island-ferry")]
    files["/dailyharbor/tag/port/index.html"] = simple_page("Tag: Port", link_list(port)).encode()
    vh = by_site["valleyherald"]
    for key in VH_SECTIONS:
        files[f"/valleyherald/{key}/index.html"] = vh_section_page(
            key, [a for a in vh if a.section == key]
        ).encode()
    floods = [a for a in vh if a.story in ("tamsel-floods", "orrin-robotics")]
    files["/valleyherald/tag/floods/index.html"] = simple_page(
        "Tag: floods", link_list(floods)
    ).encode()
    files["/valleyherald/about/index.html"] = simple_page(
        "About the Valley Herald", f"<p>{e(SITES['valleyherald'].about)}</p>"
    ).encode()
    files["/valleyherald/login/index.html"] = simple_page(
        "Log in",
        '<form method="post" action="/valleyherald/login/"><input name="user">'
        '<input name="password" type="password"><button>Log in</button></form>',
    ).encode()
    files[EMBARGOED] = simple_page(
        "EMBARGOED: County budget draft",
        "<p>Embargoed until Monday. This page is disallowed by robots.txt and must never "
        "be fetched by the crawler.</p>",
    ).encode()
    sites_list = "\n".join(f'<li><a href="{s.home}">{e(s.name)}</a></li>' for s in SITES.values())
    files["/index.html"] = simple_page(
        "wirewatch fixture newsroom",
        "<p>A fictional news world for the wirewatch demo and tests.</p>\n"
        f"<ul>\n{sites_list}\n</ul>",
    ).encode()

    manifest = make_manifest(articles, by_site)
    files["/MANIFEST.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode()

    if out.exists():
        shutil.rmtree(out)
    for rel, data in sorted(files.items()):
        target = out / rel.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return manifest


def make_manifest(articles: list[Article], by_site: dict[str, list[Article]]) -> dict:
    stories = sorted({a.story for a in articles})
    return {
        "about": "Ground truth for the wirewatch fixture newsroom. Paths are URL paths on "
        "the fixture server; absolute URLs in the files use the placeholder origin, which "
        "FixtureServer replaces with its base URL. Generated by demo/build_site.py.",
        "placeholder_origin": ORIGIN,
        "expected": {
            "articles": len(articles),
            "stories": len(stories),
            "wire_originals": sum(a.kind == "wire" for a in articles),
            "copies": sum(a.kind == "copy" for a in articles),
            "outlet_originals": sum(a.kind == "original" for a in articles),
            "articles_per_source": {SITES[k].source: len(v) for k, v in by_site.items()},
        },
        "sites": {
            k: {
                "name": s.name,
                "source": s.source,
                "wire": s.wire,
                "prefix": s.home,
                "boilerplate": list(s.boilerplate),
                "about_blurb": s.about,
            }
            for k, s in SITES.items()
        },
        "stories": {sid: sorted(a.path for a in articles if a.story == sid) for sid in stories},
        "articles": [
            {
                "path": a.path,
                "file": _file_for(a.path).lstrip("/"),
                "site": a.site,
                "source": SITES[a.site].source,
                "title": a.headline,
                "kind": a.kind,
                "copy_of": a.copy_of,
                "story": a.story,
                "author": a.author,
                "published": a.published,
                "lang": a.lang,
                "charset": a.charset,
                "date_in": {
                    "wire": "meta article:published_time, JSON-LD, <time>",
                    "dailyharbor": "meta article:published_time, <time>",
                    "northstar": "JSON-LD only",
                    "valleyherald": "visible text only",
                }[a.site],
                "published_precision": "day" if a.site == "valleyherald" else "minute",
                "paragraphs": a.paragraphs,
                "wire_credit": a.wire_credit,
                "notes": list(a.notes),
            }
            for a in articles
        ],
        "near_duplicates_that_are_distinct": [
            {
                "paths": [
                    next(
                        a.path for a in articles if a.story == "harwick-strike" and a.kind == "wire"
                    ),
                    next(a.path for a in articles if a.story == "picket-line"),
                ],
                "why": "same event (Harwick dock strike), one shared quote, different write-ups",
            }
        ],
        "spelling_variants": [
            {
                "story": "tamsel-floods",
                "variants": ["Mansur", "Mansour"],
                "why": "the Valley Herald transliterates the spokesman's name differently",
            }
        ],
        "non_articles": NON_ARTICLES,
        "robots_disallowed": [EMBARGOED],
        "discovery": {
            "meridian": "/wire/feed.xml (RSS 2.0)",
            "dailyharbor": "/dailyharbor/atom.xml (Atom 1.0)",
            "northstar": "/northstar/sitemap.xml (sitemap index) -> /northstar/sitemap-news.xml",
            "valleyherald": "section pages /valleyherald/{world,local,business}/, follow "
            "links matching /valleyherald/\\d{4}/\\d{2}/\\d{2}/",
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else site_dir()
    manifest = build(out)
    exp = manifest["expected"]
    print(
        f"wrote {out}: {exp['articles']} articles, {exp['stories']} stories, {exp['copies']} copies"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
