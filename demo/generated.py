# ruff: noqa: E501  (HTML templates are clearer with long lines)
"""Deterministic, in-memory newsrooms of any size for benchmarks and scale tests.

``GeneratedNewsroom(10_000)`` is a :class:`~crawler.demo.server.SiteProvider`:
every page (articles, RSS feeds, sitemap indexes with 1,000 URLs per child,
paginated section fronts, robots.txt) is rendered on request from the seed,
so nothing touches the disk and a request costs O(1) memory. The only state
is a few compact integer arrays (site, story, time per article) built once,
which is also what makes the ground truth — which pages are copies of which
wire story — available without rendering anything.

Text comes from a vocabulary plus story-specific invented names, so distinct
stories share almost no word 5-grams while syndicated copies are the wire text
trimmed, re-datelined and given an editor's paragraph, as in real syndication.

Usage::

    room = GeneratedNewsroom(10_000, n_outlets=5, wire_share=0.3, seed=0)
    with FixtureServer(room) as srv:
        Path("sources.toml").write_text(room.sources_toml(srv.base_url))
        ...
        truth = room.truth()   # path -> story id

For incremental crawls, ``room.publish_fraction(0.9)`` (or ``set_clock``)
hides the newest articles; moving the clock on makes them appear while
every older page stays byte-identical (same ETag, so 304 on a warm run).
"""

from __future__ import annotations

import json
import math
import random
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from html import escape
from pathlib import Path

from demo import web_chrome
from wirewatch.crawler.demo.server import Resource

__all__ = ["GeneratedArticle", "GeneratedNewsroom", "write_sources_toml"]

SITEMAP_CHUNK = 1000
WIRE, COPY, ORIGINAL = 0, 1, 2
KIND_NAMES = ("wire", "copy", "original")
COPY_PATTERN = (2, 3, 1, 2)  # copies per wire story, cycled (mean 2)
SECTIONS = ("news", "business", "culture")
_EXTRA_PAGES = {"/about/": "About us", "/tag/weather/": "Tag: weather", "/login/": "Log in"}
DEFAULT_END = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Article pages as written (~5 kB), or with a real page's weight around them (~140 kB).
PAGE_WEIGHTS = ("light", "web")

WIRE_NAME = "Continental Wire Service"
OUTLETS = (
    ("courier", "The Coastline Courier"),
    ("sentinel", "Evening Sentinel"),
    ("ridgeway", "The Ridgeway Post"),
    ("gazette", "Lowland Gazette"),
    ("dispatch", "Metro Dispatch"),
    ("tribune", "Riverside Tribune"),
    ("observer", "The Upland Observer"),
    ("chronicle", "Saltmarsh Chronicle"),
    ("beacon", "The Northgate Beacon"),
    ("record", "County Record"),
)

# -- vocabulary --------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ONSETS = _words("b br c ch d dr f g gr h j k kl l m n p pr r s sh st t tr v w z")
_VOWELS = _words("a e i o u ai ea ou ie")
_CODAS = _words("n r l s t k m nd rt st ck ll x")
_FIRST = _words(
    "Ada Alma Anton Bela Boris Carla Dario Edith Elena Emil Fabian Greta Hana Hugo Ida Ines "
    "Jonas Karin Lars Lena Luca Marek Mila Nadia Nils Olga Oskar Petra Rafael Rosa Simon "
    "Tamar Teodor Ursula Vera Viktor Yara Zofia"
)
_ROLES = _words(
    "spokeswoman spokesman director chairwoman chairman minister mayor secretary "
    "treasurer inspector commissioner president manager governor coordinator"
)
_ORG_TYPES = _words(
    "Council Authority Agency Institute Union Association Ministry Board Commission "
    "Foundation Cooperative Trust Company Hospital University"
)
_PLACE_SUFFIX = _words("ford ton by holm vik stad mere wick dale burg mouth")
_NOUNS = _words(
    "road bridge school budget harbour plan report contract vote market hospital tunnel "
    "court ferry station factory farm river law tax fund strike project inquiry audit "
    "festival museum library airport railway pipeline reservoir forest election council "
    "tender licence permit survey census museum stadium clinic depot warehouse quay dam "
    "orchard vineyard mine refinery shipyard bakery theatre archive ordinance"
)
_PLURALS = _words(
    "residents workers officials farmers teachers drivers nurses students tenants "
    "shopkeepers fishermen engineers inspectors volunteers pensioners commuters "
    "investors voters doctors families builders auditors lawyers miners sailors"
)
_VERBS = _words(
    "approved rejected delayed announced expanded suspended reviewed criticised "
    "welcomed postponed reopened closed funded cancelled questioned defended "
    "doubled halved extended challenged confirmed denied revised inspected"
)
_ADJS = _words(
    "new old regional municipal northern southern coastal rural disputed delayed "
    "temporary permanent private public independent overdue costly modest ambitious "
    "controversial unexpected seasonal emergency provisional annual"
)
_DAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
_MONTHS = _words("January February March April May June July August September October")

_SLOT_WORDS = {
    "R": _ROLES,
    "Ns": _PLURALS,
    "V": _VERBS,
    "A": _ADJS,
    "D": _DAYS,
    "M": _MONTHS,
}
_AN = re.compile(r"\b([Aa]) ([aeiouAEIOU])")

# Templates keep fixed runs of words short so that word 5-grams almost always
# include a story-specific slot: distinct stories must not look like copies.
_TEMPLATES = (
    "{P}, the {R} of the {O}, said the {A} {N} in {L} had been {V} on {D}.",
    "{Ns} in {L} {V} the {N} after {num} {Ns2} {V2} it.",
    "According to the {O}, {num} {Ns} have {V} the {A} {N} since {M}.",
    "“{A2} {Ns} deserve a {A} {N},” {P} told the {O}.",
    "The {N} at {L} was {V} by {P} in {M}, costing {num} kestras.",
    "{P2} of the {O2} {V} the {N} figures and urged a {A} review.",
    "Critics in {L2} said {Ns} were never asked about the {N}.",
    "By {D}, {num} {Ns} had {V} a petition against the {A} {N} near {L}.",
    "{P} expects the {O} to publish a {A} {N} before {M}.",
    "Work on the {N} in {L2} is {V} until {num} {Ns} are rehoused.",
    "The {O2} {V} {num} {Ns} and {V2} another {A} {N}.",
    "{Ns} and {Ns2} from {L} {V} the {O} over the {N}.",
)


class _Rng(random.Random):
    """``random.Random`` with a faster ``pick`` (``choice`` dominates page time)."""

    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.random() * len(seq))]


def _name(rng: _Rng, syllables: int) -> str:
    parts = [rng.pick(_ONSETS) + rng.pick(_VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.pick(_CODAS)).capitalize()


@dataclass(frozen=True, slots=True)
class GeneratedArticle:
    """Ground truth for one article page."""

    id: int
    path: str
    site: str
    kind: str  # wire | copy | original
    story: str  # expected unique story id
    copy_of: str | None  # path of the wire original for copies
    title: str
    published: datetime


@dataclass(frozen=True, slots=True)
class _Cast:
    """The invented names of one story; cheap, so titles need no paragraphs."""

    people: tuple[str, ...]
    places: tuple[str, ...]
    orgs: tuple[str, ...]
    nouns: tuple[str, ...]
    headline: str
    reporter: str


@lru_cache(maxsize=65536)
def _lead(seed: int, story: int) -> tuple[str, str, str, str]:
    """Headline, main place, main organisation and topic noun: all a title needs."""
    rng = _Rng(f"{seed}:lead:{story}")
    pick = rng.pick
    place = _name(rng, 2) + pick(_PLACE_SUFFIX)
    org = f"{_name(rng, 2)} {pick(_ORG_TYPES)}"
    noun = pick(_NOUNS)
    headline = f"{place} {noun} {pick(_VERBS)} as {pick(_PLURALS)} {pick(_VERBS)} {org} plan"
    return headline, place, org, noun


@lru_cache(maxsize=4096)
def _cast(seed: int, story: int) -> _Cast:
    headline, place, org, noun = _lead(seed, story)
    rng = _Rng(f"{seed}:cast:{story}")
    pick = rng.pick
    people = tuple(f"{pick(_FIRST)} {_name(rng, 2)}" for _ in range(4))
    places = (place, *(_name(rng, 2) + pick(_PLACE_SUFFIX) for _ in range(2)))
    orgs = (org, *(f"{_name(rng, 2)} {pick(_ORG_TYPES)}" for _ in range(2)))
    nouns = (noun, *rng.sample([n for n in _NOUNS if n != noun], 3))
    reporter = f"{pick(_FIRST)} {_name(rng, 2)}"
    return _Cast(people, places, orgs, nouns, headline, reporter)


class _Slots(dict):
    """Fills template slots lazily, so only the slots a template uses cost RNG calls."""

    def __init__(self, rng: _Rng, cast: _Cast) -> None:
        super().__init__()
        self.rng = rng
        self.cast = cast

    def __missing__(self, key: str) -> str:
        pick, cast = self.rng.pick, self.cast
        base = key.rstrip("2")
        if base == "P":
            value = pick(cast.people)
        elif base == "O":
            value = pick(cast.orgs)
        elif base == "L":
            value = pick(cast.places)
        elif base == "N":
            value = pick(cast.nouns) if self.rng.random() < 0.6 else pick(_NOUNS)
        elif base == "num":
            value = str(3 + int(self.rng.random() * 3997))
        else:
            value = pick(_SLOT_WORDS[base])
            if key == "A2":
                value = value.capitalize()
        self[key] = value
        return value


@lru_cache(maxsize=1024)
def _paragraphs(seed: int, story: int) -> tuple[str, ...]:
    """The full text of a story (copies trim and edit this)."""
    cast = _cast(seed, story)
    rng = _Rng(f"{seed}:text:{story}")

    def sentence() -> str:
        text = _AN.sub(r"\1n \2", rng.pick(_TEMPLATES).format_map(_Slots(rng, cast)))
        return text[0].upper() + text[1:]

    return tuple(
        " ".join(sentence() for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(5, 8))
    )


class GeneratedNewsroom:
    """A wire service plus ``n_outlets`` outlets with ``n_articles`` article pages.

    ``wire_share`` is the fraction of article pages that belong to wire
    stories (the wire originals plus their syndicated copies); the rest are
    outlet originals. Each wire story is republished by 1-3 outlets.
    """

    def __init__(
        self,
        n_articles: int,
        n_outlets: int = 5,
        wire_share: float = 0.3,
        seed: int = 0,
        *,
        end: datetime = DEFAULT_END,
        span_days: float = 30.0,
        feed_items: int = 100,
        section_page_size: int = 50,
        page_weight: str = "light",
    ) -> None:
        if n_articles < 1 or n_outlets < 1 or not 0.0 <= wire_share <= 1.0:
            raise ValueError("need n_articles >= 1, n_outlets >= 1, 0 <= wire_share <= 1")
        if page_weight not in PAGE_WEIGHTS:
            raise ValueError(f"page_weight is one of {', '.join(PAGE_WEIGHTS)}")
        # "web": article pages carry what real ones do around the text (demo/web_chrome.py).
        self.page_weight = page_weight
        self.n_articles = n_articles
        self.n_outlets = n_outlets
        self.wire_share = wire_share
        self.seed = seed
        self.feed_items = feed_items
        self.section_page_size = section_page_size
        self.sites = ["wire"] + [
            OUTLETS[i][0] if i < len(OUTLETS) else f"outlet{i + 1}" for i in range(n_outlets)
        ]
        self.site_names = [WIRE_NAME] + [
            OUTLETS[i][1] if i < len(OUTLETS) else f"Outlet {i + 1} News" for i in range(n_outlets)
        ]
        self._site_index = {s: i for i, s in enumerate(self.sites)}
        self._build(end.timestamp(), span_days * 86400.0)

    # ------------------------------------------------------------------ layout
    def _build(self, end: float, span: float) -> None:
        n = self.n_articles
        rng = _Rng(f"{self.seed}:layout")
        site = array("b")
        kind = array("b")
        story = array("l")
        copy_of = array("l")
        ts = array("d")
        start = end - span
        step = span / max(1, n)
        wire_pages = 0
        s = 0  # story counter
        wire_stories = 0

        def add(site_no: int, kind_no: int, copy: int, when: float) -> None:
            site.append(site_no)
            kind.append(kind_no)
            story.append(s)
            copy_of.append(copy)
            ts.append(when)

        while len(site) < n:
            total = len(site)
            t = start + total * step
            if self.wire_share > 0 and (total == 0 or wire_pages / total < self.wire_share):
                k = min(COPY_PATTERN[wire_stories % len(COPY_PATTERN)], self.n_outlets)
                add(0, WIRE, -1, t)
                for j, outlet in enumerate(rng.sample(range(1, self.n_outlets + 1), k)):
                    if len(site) >= n:
                        break
                    add(outlet, COPY, total, t + 600 * (j + 1) + rng.randrange(600))
                wire_pages += len(site) - total
                wire_stories += 1
            else:
                add(1 + s % self.n_outlets, ORIGINAL, -1, t)
            s += 1
        self._site, self._kind, self._story = site, kind, story
        self._copy_of, self._ts = copy_of, ts
        self.n_stories = s
        self.n_wire = kind.count(WIRE)
        self.n_copies = kind.count(COPY)
        self.n_originals = kind.count(ORIGINAL)
        # per-site article ids in publication order, and per (site, section)
        per_site: list[array] = [array("l") for _ in self.sites]
        per_section: dict[tuple[int, int], array] = {}
        order = sorted(range(n), key=ts.__getitem__)
        for i in order:
            per_site[site[i]].append(i)
            per_section.setdefault((site[i], i % len(SECTIONS)), array("l")).append(i)
        self._per_site = per_site
        self._per_section = per_section
        self._order = array("l", order)
        self._cutoff = math.inf
        self._pos_in_site = array("l", [0]) * n
        for ids in per_site:
            for pos, i in enumerate(ids):
                self._pos_in_site[i] = pos

    # ------------------------------------------------------------------ ground truth
    def story_id(self, i: int) -> str:
        return f"s{self._story[i]:06d}"

    def path(self, i: int) -> str:
        """URL path of article ``i`` (the slug comes from the story headline)."""
        if not 0 <= i < self.n_articles:
            raise IndexError(i)
        day = datetime.fromtimestamp(self._ts[i], UTC)
        words = self._slug_words(i)
        site = self.sites[self._site[i]]
        if self._site[i] == 0:
            return f"/wire/news/{day:%Y%m%d}-{i:07d}-{words}.html"
        return f"/{site}/{day:%Y/%m/%d}/{i:07d}-{words}.html"

    def _slug_words(self, i: int) -> str:
        h = ((i + 1) * 0x9E3779B97F4A7C15 + self.seed * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFF
        n = len(_NOUNS)
        return f"{_NOUNS[h % n]}-{_NOUNS[(h // n) % n]}-{_NOUNS[(h // n // n) % n]}"

    def article(self, i: int) -> GeneratedArticle:
        """Ground truth for article ``i`` (cheap: no page rendering)."""
        k = self._kind[i]
        title = self._title(i)
        return GeneratedArticle(
            id=i,
            path=self.path(i),
            site=self.sites[self._site[i]],
            kind=KIND_NAMES[k],
            story=self.story_id(i),
            copy_of=self.path(self._copy_of[i]) if k == COPY else None,
            title=title,
            published=datetime.fromtimestamp(self._ts[i], UTC),
        )

    def articles(self) -> Iterator[GeneratedArticle]:
        """Every published article (see :meth:`set_clock`), in id order."""
        for i in range(self.n_articles):
            if self._ts[i] <= self._cutoff:
                yield self.article(i)

    def truth(self) -> dict[str, str]:
        """Article path -> expected story id, for every published article page."""
        return {self.path(i): self.story_id(i) for i in self._published_ids()}

    def stats(self) -> dict[str, int]:
        """Counts of published articles, with the keys of the static MANIFEST's ``expected``."""
        ids = self._published_ids()
        kinds = [self._kind[i] for i in ids]
        return {
            "articles": len(ids),
            "stories": len({self._story[i] for i in ids}),
            "wire_originals": kinds.count(WIRE),
            "copies": kinds.count(COPY),
            "outlet_originals": kinds.count(ORIGINAL),
        }

    def articles_per_source(self) -> dict[str, int]:
        """Published article pages per source name of :meth:`sources_toml` (``gen-<site>``)."""
        return {
            f"gen-{slug}": len(self._listed(ids))
            for slug, ids in zip(self.sites, self._per_site, strict=True)
        }

    # ------------------------------------------------------------------ clock
    def set_clock(self, when: datetime | float | None) -> None:
        """Publish only what appeared up to ``when`` (``None``: everything).

        Moving the clock forward between two crawls makes new articles appear
        in feeds, sitemaps and section pages while old pages stay byte-identical,
        which is what an incremental (warm) crawl test needs.
        """
        if when is None:
            self._cutoff = math.inf
        else:
            self._cutoff = when.timestamp() if isinstance(when, datetime) else float(when)

    def publish_fraction(self, fraction: float) -> datetime:
        """Set the clock so that the oldest ``fraction`` of articles is published."""
        count = max(1, min(self.n_articles, round(fraction * self.n_articles)))
        when = self._ts[self._order[count - 1]]
        self._cutoff = when
        return datetime.fromtimestamp(when, UTC)

    def _listed(self, ids: array) -> array:
        """The published prefix of a publication-ordered id list."""
        if self._cutoff == math.inf:
            return ids
        return ids[: bisect_right(ids, self._cutoff, key=self._ts.__getitem__)]

    def _published_ids(self) -> list[int]:
        return sorted(self._listed(self._order))

    # ------------------------------------------------------------------ text
    def _copy_edit(self, i: int) -> tuple[str, int, bool]:
        """How the outlet edited copy ``i``: headline prefix, trim, dateline."""
        rng = _Rng(f"{self.seed}:copy:{i}")
        prefix = rng.pick(("Update", "Report", "Explainer", "Latest"))
        return prefix, rng.randint(0, 2), rng.random() < 0.5

    def _title(self, i: int) -> str:
        headline = _lead(self.seed, self._story[i])[0]
        if self._kind[i] == COPY:
            return f"{self._copy_edit(i)[0]}: {headline}"
        return headline

    def _body(self, i: int) -> tuple[list[str], str, str]:
        """Paragraphs, byline and title of article ``i``."""
        story = self._story[i]
        cast = _cast(self.seed, story)
        text = _paragraphs(self.seed, story)
        k = self._kind[i]
        place = cast.places[0]
        if k != COPY:
            dateline = f"{place.upper()} ({'CWS' if k == WIRE else 'staff'}) —"
            author = cast.reporter if k == WIRE else self._staff(i)
            return [f"{dateline} {text[0]}", *text[1:]], author, cast.headline
        prefix, trim, dateline = self._copy_edit(i)
        keep = max(3, len(text) - trim)
        outlet = self.site_names[self._site[i]]
        lede = f"{place.upper()} — {text[0]}" if dateline else text[0]
        paras = [lede, *text[1:keep]]
        paras.append(self._editor_note(i, outlet, cast))
        paras.append(f"With reporting by {WIRE_NAME}.")
        return paras, self._staff(i), f"{prefix}: {cast.headline}"

    def _editor_note(self, i: int, outlet: str, cast: _Cast) -> str:
        """The outlet's own paragraph on a copy: differs per copy, like real notes."""
        rng = _Rng(f"{self.seed}:note:{i}")
        who = rng.pick(cast.people)
        where = rng.pick(cast.places)
        return rng.pick(
            (
                f"{outlet} asked {who} for comment on {rng.pick(_DAYS)}; this report will "
                f"be updated.",
                f"Readers in {where} can send tips about the {cast.nouns[0]} to our newsdesk.",
                f"{outlet} first reported on the {cast.nouns[1]} in {where} in "
                f"{rng.pick(_MONTHS)}.",
                f"Editor's note: {who} is a former {rng.pick(_ROLES)} of {cast.orgs[1]}.",
            )
        )

    def _staff(self, i: int) -> str:
        rng = _Rng(f"{self.seed}:byline:{i}")
        return f"{rng.pick(_FIRST)} {_name(rng, 2)}"

    # ------------------------------------------------------------------ provider
    _ARTICLE = re.compile(r"^/([a-z0-9]+)/(?:news/\d{8}-|\d{4}/\d{2}/\d{2}/)(\d{7})-[a-z-]+\.html$")
    _SITEMAP = re.compile(r"^/([a-z0-9]+)/sitemap-(\d+)\.xml$")
    _SECTION = re.compile(r"^/([a-z0-9]+)/section/([a-z]+)/(?:page/(\d+)/)?$")

    def get(self, path: str, base_url: str) -> Resource | None:
        """Render the page at ``path`` (``None`` means 404)."""
        base = base_url.rstrip("/")
        m = self._ARTICLE.match(path)
        if m:
            i = int(m.group(2))
            if i >= self.n_articles or self._ts[i] > self._cutoff or self.path(i) != path:
                return None
            return Resource(self._article_page(i, base), "text/html; charset=utf-8", self._ts[i])
        if path == "/robots.txt":
            body = f"User-agent: *\nDisallow: /*/private/\n\nSitemap: {base}/wire/sitemap.xml\n"
            return Resource(body.encode(), "text/plain; charset=utf-8", self._ts[0])
        if path in ("/", "/index.html"):
            return self._html(self._home(base), self._newest(None))
        parts = path.strip("/").split("/")
        site = self._site_index.get(parts[0])
        if site is None:
            return None
        rest = path[len(parts[0]) + 1 :]
        if rest in ("/", "/index.html"):
            return self._section_resource(site, None, 1, base)
        if rest == "/feed.xml":
            return Resource(self._rss(site, base), "application/xml", self._newest(site))
        if rest == "/sitemap.xml":
            return Resource(self._sitemap_index(site, base), "application/xml", self._newest(site))
        m = self._SITEMAP.match(path)
        if m:
            body = self._sitemap(site, int(m.group(2)), base)
            return Resource(body, "application/xml", self._newest(site)) if body else None
        m = self._SECTION.match(path)
        if m and m.group(2) in SECTIONS:
            return self._section_resource(
                site, SECTIONS.index(m.group(2)), int(m.group(3) or 1), base
            )
        if rest in _EXTRA_PAGES:
            title = f"{self.site_names[site]} - {_EXTRA_PAGES[rest]}"
            html = (
                f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
                f"</title></head><body><h1>{escape(title)}</h1><p>Not an article.</p></body></html>"
            )
            return self._html(html, self._ts[0])
        return None

    def _newest(self, site: int | None) -> float:
        if site is None:
            return max(self._ts)
        ids = self._listed(self._per_site[site])
        return self._ts[ids[-1]] if ids else self._ts[0]

    def _html(self, html: str, modified: float) -> Resource:
        return Resource(html.encode("utf-8"), "text/html; charset=utf-8", modified)

    # ------------------------------------------------------------------ pages
    def _article_page(self, i: int, base: str) -> bytes:
        site = self._site[i]
        name = self.site_names[site]
        slug = self.sites[site]
        paras, author, title = self._body(i)
        when = datetime.fromtimestamp(self._ts[i], UTC)
        iso = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        url = base + self.path(i)
        ids = self._per_site[site]
        pos = self._pos_in_site[i]
        # older stories only: a page never links to something not yet published
        neighbours = [ids[p] for p in (pos - 1, pos - 2, pos - 3) if p >= 0]
        related = "".join(
            f'<li><a href="{self.path(j)}">{escape(self._title(j))}</a></li>' for j in neighbours
        )
        read_more = (
            f'<p class="trailer"><a href="{self.path(neighbours[0])}">Read more: '
            f"{escape(self._title(neighbours[0]))}</a></p>"
            if neighbours
            else ""
        )
        variant = site % 3  # three CMS families, like real outlets
        meta = [
            f'<link rel="canonical" href="{url}">',
            f'<meta property="og:title" content="{escape(title)}">',
            f'<meta property="og:url" content="{url}">',
            f'<meta property="og:site_name" content="{escape(name)}">',
        ]
        if variant == 0:
            meta.append(f'<meta property="article:published_time" content="{iso}">')
        if variant in (0, 1):
            ld = {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": title,
                "datePublished": iso,
                "author": {"@type": "Person", "name": author},
                "publisher": {"@type": "Organization", "name": name},
            }
            meta.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
        visible = when.strftime("%B %d, %Y %H:%M UTC")
        body = "\n".join(f"<p>{escape(p)}</p>" for p in paras)
        head = "\n".join(meta)
        if variant == 1:
            main = (
                f'<article class="story"><h1 class="headline">{escape(title)}</h1>\n'
                f'<div class="byline">By {escape(author)}</div>\n'
                f'<figure><div class="placeholder">16x9 Image</div><figcaption>File photo. '
                f'<span class="credit">Credit: {escape(name)}</span></figcaption></figure>\n'
                f'<div class="article-body">\n{body}\n</div>\n{read_more}</article>'
            )
        else:
            main = (
                f'<article><header><h1 class="entry-title">{escape(title)}</h1>\n'
                f'<p class="meta">By <span class="author">{escape(author)}</span> · '
                f'<time datetime="{iso}">{visible}</time></p></header>\n'
                f'<figure><div class="img-placeholder">16x9 Image</div><figcaption>Archive '
                f"picture. Photo: {escape(name)}</figcaption></figure>\n"
                f'<div class="entry-content">\n{body}\n</div>\n{read_more}</article>'
            )
            if variant == 2:  # the "visible date only" family: no <time> element
                main = main.replace(f'<time datetime="{iso}">{visible}</time>', visible)
        chrome = {"head": "", "top": "", "rail": "", "end": ""}
        if self.page_weight == "web":
            older = [ids[p] for p in range(pos - 1, pos - 11, -1) if p >= 0]
            chrome = {
                "head": web_chrome.head_extras(slug),
                "top": web_chrome.masthead(slug, name),
                "rail": web_chrome.rail(slug, [(self.path(j), self._title(j)) for j in older]),
                "end": web_chrome.footer(slug, name)
                + web_chrome.hydration_state(slug, url, title, paras),
            }
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} | {escape(name)}</title>
{head}
{chrome["head"]}</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
{chrome["top"]}<div class="ticker"><strong>Breaking News</strong> Storm warning for the coast tonight</div>
<header><a href="/{slug}/">{escape(name)}</a> <nav><a href="/{slug}/section/news/">News</a> <a href="/{slug}/section/business/">Business</a> <a href="/{slug}/section/culture/">Culture</a></nav></header>
<div class="donate"><strong>Support {escape(name)}!</strong> Independent journalism needs readers like you.</div>
<main id="main">
{main}
<div class="share">Share this article: Facebook · X · Email</div>
<aside class="newsletter">Sign up for our morning newsletter.</aside>
<section class="related"><h2>Related Stories</h2><ul>{related}</ul></section>
</main>
{chrome["rail"]}<footer><p class="about">{escape(name)} is an independent news organisation serving its readers since 1900.</p></footer>
<div class="cookie-notice">We use cookies to improve your experience. <button>Accept</button></div>
{chrome["end"]}</body>
</html>
""".encode()

    def _home(self, base: str) -> str:
        links = "".join(
            f'<li><a href="/{s}/">{escape(n)}</a></li>'
            for s, n in zip(self.sites, self.site_names, strict=True)
        )
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Generated '
            f"newsroom</title></head><body><h1>Generated newsroom</h1><ul>{links}</ul></body>"
            "</html>"
        )

    def _section_resource(
        self, site: int, section: int | None, page: int, base: str
    ) -> Resource | None:
        """Section front ``page`` (newest first); page 1 of ``None`` is the site home."""
        ids = self._per_site[site] if section is None else self._per_section.get((site, section))
        ids = self._listed(ids) if ids is not None else array("l")
        size = self.section_page_size
        pages = max(1, -(-len(ids) // size))
        if page < 1 or page > pages:
            return None
        hi = len(ids) - (page - 1) * size
        chunk = [ids[j] for j in range(hi - 1, max(hi - size, 0) - 1, -1)]
        name = self.site_names[site]
        slug = self.sites[site]
        title = name if section is None else f"{name} - {SECTIONS[section].title()}"
        items = "\n".join(
            f'<li><a href="{self.path(j)}">{escape(self._title(j))}</a></li>' for j in chunk
        )
        nav = (
            f'<a href="/{slug}/section/{SECTIONS[section]}/page/{page + 1}/">Older stories</a>'
            if section is not None and page < pages
            else ""
        )
        html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>
<body><a href="#main">Skip to main content</a>
<header><a href="/{slug}/">{escape(name)}</a> <a href="/{slug}/about/">About us</a> <a href="/{slug}/tag/weather/">Weather</a> <a href="/{slug}/login/">Log in</a></header>
<main id="main"><h1>{escape(title)}</h1>
<ul>
{items}
</ul>
<p class="pager">{nav}</p></main></body></html>
"""
        modified = self._ts[chunk[0]] if chunk else self._ts[0]
        return self._html(html, modified)

    def _rss(self, site: int, base: str) -> bytes:
        ids = self._listed(self._per_site[site])
        latest = [ids[j] for j in range(len(ids) - 1, max(len(ids) - self.feed_items, 0) - 1, -1)]
        items = []
        for i in latest:
            when = format_datetime(datetime.fromtimestamp(self._ts[i], UTC), usegmt=True)
            url = base + self.path(i)
            items.append(
                f"<item><title>{escape(self._title(i))}</title><link>{url}</link>"
                f'<guid isPermaLink="true">{url}</guid><pubDate>{when}</pubDate></item>'
            )
        slug = self.sites[site]
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(self.site_names[site])}</title><link>{base}/{slug}/</link>"
            f"<description>Latest from {escape(self.site_names[site])}</description>\n"
            + "\n".join(items)
            + "\n</channel></rss>\n"
        ).encode()

    def _sitemap_index(self, site: int, base: str) -> bytes:
        """One child per 1,000 articles, with ``lastmod`` so unchanged children can be skipped."""
        ids = self._listed(self._per_site[site])
        slug = self.sites[site]
        children = []
        for k in range(max(1, -(-len(ids) // SITEMAP_CHUNK))):
            chunk = ids[k * SITEMAP_CHUNK : (k + 1) * SITEMAP_CHUNK]
            newest = max((self._ts[i] for i in chunk), default=self._ts[0])
            lastmod = datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            children.append(
                f"<sitemap><loc>{base}/{slug}/sitemap-{k + 1}.xml</loc>"
                f"<lastmod>{lastmod}</lastmod></sitemap>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(children)
            + "\n</sitemapindex>\n"
        ).encode()

    def _sitemap(self, site: int, k: int, base: str) -> bytes | None:
        ids = self._listed(self._per_site[site])
        lo = (k - 1) * SITEMAP_CHUNK
        if k < 1 or (lo >= len(ids) and not (k == 1 and not ids)):
            return None
        name = escape(self.site_names[site])
        urls = []
        for j in range(lo, min(lo + SITEMAP_CHUNK, len(ids))):
            i = ids[j]
            when = datetime.fromtimestamp(self._ts[i], UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            urls.append(
                f"<url><loc>{base}{self.path(i)}</loc><news:news><news:publication>"
                f"<news:name>{name}</news:name><news:language>en</news:language>"
                f"</news:publication><news:publication_date>{when}</news:publication_date>"
                f"<news:title>{escape(self._title(i))}</news:title></news:news></url>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "\n".join(urls)
            + "\n</urlset>\n"
        ).encode()

    # ------------------------------------------------------------------ sources
    def sources_toml(self, base: str = "{base}", discovery: str = "sitemap") -> str:
        """Sources config for this newsroom.

        ``discovery="sitemap"`` (every site via its sitemap index) reaches every
        article. ``"mixed"`` rotates outlets through feed / sitemap / section
        kinds, like a real configuration; feeds then only carry the newest
        ``feed_items`` articles and section sources only see the first page.
        """
        if discovery not in ("sitemap", "mixed"):
            raise ValueError("discovery must be 'sitemap' or 'mixed'")
        base = base.rstrip("/")
        out = [f"# Generated newsroom: {self.n_articles} articles, seed {self.seed}.\n"]
        for idx, slug in enumerate(self.sites):
            kind = "sitemap"
            if discovery == "mixed":
                kind = ("feed", "sitemap", "section")[idx % 3]
            out.append("[[source]]")
            out.append(f'name = "{"gen-" + slug}"')
            out.append(f'kind = "{kind}"')
            if kind == "feed":
                out.append(f'url = "{base}/{slug}/feed.xml"')
            elif kind == "sitemap":
                out.append(f'url = "{base}/{slug}/sitemap.xml"')
            else:
                urls = ", ".join(f'"{base}/{slug}/section/{s}/"' for s in SECTIONS)
                out.append(f"urls = [{urls}]")
                out.append(f'follow = "/{slug}/\\\\d{{4}}/\\\\d{{2}}/\\\\d{{2}}/"')
            out.append('schedule = "*/15 * * * *"')
            out.append(f"wire = {'true' if idx == 0 else 'false'}")
            out.append("")
        return "\n".join(out)


def write_sources_toml(
    room: GeneratedNewsroom, path: str | Path, base: str = "{base}", discovery: str = "sitemap"
) -> Path:
    """Write ``room.sources_toml(base, discovery)`` to ``path``."""
    target = Path(path)
    target.write_text(room.sources_toml(base, discovery), encoding="utf-8")
    return target
