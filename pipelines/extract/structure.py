"""Single-page boilerplate removal from the page's structure, before text extraction.

A site seen once gives no repetition to learn from, but its markup still
says what a block is: a ``<footer>``, an element whose class names say
``related``, ``newsletter``, ``comments`` or ``share``, a list whose every
item is a link to another story, a table used for page layout.  Each rule is
a small pure function over an lxml tree, named so the ``dropped`` list can
say which one removed a block.  No rule may remove the article itself: an
element holding a large share of the page's paragraph text, or the element
the page marks as its article body, is never removed, whatever its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator
from functools import lru_cache
from typing import cast

from lxml import etree
from lxml import html as lxml_html

# Words of class/id names (split on - _ and case) that name a non-article block.
BOILERPLATE_NAMES = frozenset(
    {
        "footer", "ftr", "foot", "colophon", "nav", "navbar", "navigation", "menu", "breadcrumb",
        "breadcrumbs", "sidebar", "aside", "widget", "related", "relatedposts", "recommended",
        "recommendations", "newsletter", "newsletters", "signup", "subscribe", "subscription",
        "comments", "comment", "commentlist", "disqus", "respond", "share", "sharing",
        "sharedaddy", "social", "follow", "copyright", "legal", "bio", "promo", "trending",
        "popular", "mostread", "tags", "tools", "pager", "ad", "ads", "advert", "advertisement",
        "outbrain", "taboola", "masthead", "byline", "dateline",
    }
)  # fmt: skip
# Last words of names that say "the layout around" or "the content of", not what a block is.
LAYOUT_WORDS = frozenset(
    {"grid", "layout", "container", "row", "col", "column", "content", "body", "main", "text",
     "article", "inner", "holder"}
)  # fmt: skip
# First words of names that describe a state, not a block ("has-sidebar").
STATE_WORDS = frozenset({"has", "is", "no", "with", "without", "show", "hide", "js"})
# Tags whose role in the page is never the article text.
BOILERPLATE_TAGS = ("footer", "nav", "aside", "form")
BOILERPLATE_ROLES = frozenset({"contentinfo", "navigation", "complementary", "banner", "search"})
# A block holding this share of the page's paragraph text is the article, whatever its name.
ARTICLE_SHARE = 0.4
# A list whose items are links: at least this many items, this share of its text in links.
LINK_LIST_ITEMS = 3
LINK_LIST_SHARE = 0.8
# A table cell with this many words of text, or block content, makes its table a layout.
LAYOUT_CELL_WORDS = 50
_BLOCK_TAGS = ("p", "div", "table", "ul", "ol", "h1", "h2", "h3", "blockquote")
# What a box of links holds besides links: its heading, and the boxes of its items.
_LINK_BOX_ITEMS = frozenset({"a", "div", "li", "h2", "h3", "h4", "h5", "b", "strong", "span"})
# Elements that hold captions, credits and prompts rather than article text.  Each
# is capped in size so a mislabelled container of the whole story is never pruned.
PROMPT_TAGS = ("div", "p", "span", "section", "ul")
PROMPT_CLASS_PARTS = (
    "caption", "credit", "newsletter", "social-share", "share-bar", "sharing", "related",
    "subscribe", "promo",
)  # fmt: skip
PROMPT_MAX_CHARS = 800
# The same as XPath, for trafilatura's prune_xpath (its relaxed pass reads the whole page,
# not the pruned one).
PRUNE_XPATH = [
    "//figcaption",
    "//*["
    + " or ".join(f"self::{tag}" for tag in PROMPT_TAGS)
    + "]["
    + " or ".join(f"contains(@class, '{part}')" for part in PROMPT_CLASS_PARTS)
    + f"][string-length(normalize-space(.)) < {PROMPT_MAX_CHARS}]",
]
_XML_SPACE = re.compile(r"[ \t\r\n]+")
_NAME_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
# The element a page marks as its article text (also asked by core.declares_article).
ARTICLE_BODY = etree.XPath("//*[@itemprop='articleBody']")
_NAMED = etree.XPath(
    "//body//*[@class or @id or @role or self::footer or self::nav or self::aside or self::form]"
)
# A box of links holds its links this deep at most (ul > li > h3 > a).
_LINK_BOX_DEPTH = 3
_LINK_BOX_TAGS = frozenset({"ul", "ol", "div", "p", "font", "span", "td", "section"})


def names_boilerplate(element: lxml_html.HtmlElement) -> bool:
    """One of the element's class names (or its id) names a non-article block.

    A name is read as words ("related-posts" → related, posts); it does not
    count when its last word is a layout or content word ("sidebar-grid",
    "article__content": the grid and the content, not the sidebar) or its
    first a state ("has-comments", "no-sidebar"); BEM modifiers ("--is-narrow")
    are left out.
    """
    return _names_say_boilerplate(element.get("class") or "", element.get("id") or "")


@lru_cache(maxsize=4096)
def _names_say_boilerplate(classes: str, identifier: str) -> bool:
    for name in [*classes.split(), identifier]:
        block = name.split("--")[0]  # a BEM modifier says how it looks, not what it is
        words = [word.lower() for word in _NAME_SPLIT.split(block) if word]
        if not words or words[0] in STATE_WORDS or words[-1] in LAYOUT_WORDS:
            continue
        if BOILERPLATE_NAMES.intersection(words):
            return True
    return False


def _words(element: lxml_html.HtmlElement) -> int:
    return len(element.text_content().split())


class _Article:
    """What removing an element would take from the article, worked out once a page.

    The measure of "a large share of the article" is words in ``<p>``
    elements: ``words[e]`` holds those under every element that has any (each
    paragraph's words added to it and its ancestors), so the hundreds of
    candidates a page has are judged without reading their text again.
    """

    def __init__(self, tree: lxml_html.HtmlElement):
        self.words: dict[lxml_html.HtmlElement, int] = {}
        self.total = 0  # the page's
        for p in tree.iter("p"):
            count = len((p.text_content() or "").split())
            self.total += count
            for node in (p, *p.iterancestors()):
                self.words[node] = self.words.get(node, 0) + count
        self.protected = set(self._main_blocks(tree))
        self.around = {a for block in self.protected for a in block.iterancestors()}

    def _main_blocks(self, tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
        """What the page marks as its article: ``articleBody``, its largest ``<article>``."""
        marked = cast("list[lxml_html.HtmlElement]", ARTICLE_BODY(tree))  # elements only
        words = self.words.get
        articles = sorted(tree.iter("article"), key=lambda a: words(a, 0), reverse=True)
        return marked + articles[:1] + list(tree.iter("main"))

    def held_by(self, element: lxml_html.HtmlElement) -> bool:
        """Removing this element would remove the article (or most of it)."""
        if element.tag in ("body", "html") or element in self.protected or element in self.around:
            return True
        return self.total > 0 and self.words.get(element, 0) >= ARTICLE_SHARE * self.total


def named_boilerplate(
    tree: lxml_html.HtmlElement, settled: Container[lxml_html.HtmlElement] = ()
) -> Iterator[lxml_html.HtmlElement]:
    """Elements the page itself names as not-article: footer/nav/aside tags, roles, class names."""
    for element in _NAMED(tree):
        if (
            element.tag in BOILERPLATE_TAGS
            or (element.get("role") or "").lower() in BOILERPLATE_ROLES
            or _names_say_boilerplate(element.get("class") or "", element.get("id") or "")
        ):
            yield element


def link_lists(
    tree: lxml_html.HtmlElement, settled: Container[lxml_html.HtmlElement] = ()
) -> Iterator[lxml_html.HtmlElement]:
    """Lists of links to other stories: most of the text in links, item after item.

    A ``ul``/``ol``, or any block whose children are links, short headings and
    boxes of links (line breaks between them): the shape of "related", "most
    read" and "latest headlines" boxes on any site, old or new.  Boxes inside a
    ``settled`` element (one already to be removed) are not measured: reading
    the text of every column of a mega-menu again was most of this on a real
    page's weight (issue 21).
    """
    links: dict[lxml_html.HtmlElement, int] = {}
    for link in tree.iter("a"):
        for level, ancestor in enumerate(link.iterancestors()):
            if level == _LINK_BOX_DEPTH:
                break
            links[ancestor] = links.get(ancestor, 0) + 1
    boxes = (e for e, n in links.items() if n >= LINK_LIST_ITEMS and e.tag in _LINK_BOX_TAGS)
    for element in boxes:
        if settled and any(ancestor in settled for ancestor in element.iterancestors()):
            continue
        items = [child for child in element if isinstance(child.tag, str) and child.tag != "br"]
        if element.tag in ("ul", "ol"):
            if len(items) < LINK_LIST_ITEMS:
                continue
        elif any(item.tag not in _LINK_BOX_ITEMS for item in items):
            continue
        text = len(element.text_content().split())
        linked = len(" ".join(element.xpath(".//a//text()")).split())
        if text and linked >= LINK_LIST_SHARE * text and all(_words(i) <= 25 for i in items):
            yield element


def captions_and_prompts(
    tree: lxml_html.HtmlElement, settled: Container[lxml_html.HtmlElement] = ()
) -> Iterator[lxml_html.HtmlElement]:
    """Photo captions and credits, and small boxes named as prompts: what ``PRUNE_XPATH``
    selects, found in one pass in Python (the XPath's ten ``contains()`` on every element
    took twice as long)."""
    yield from tree.iter("figcaption")
    for element in tree.iter(*PROMPT_TAGS):
        names = element.get("class")
        if names and any(part in names for part in PROMPT_CLASS_PARTS):
            # XPath's string-length(normalize-space(.)): XML white space only, not U+00A0.
            text = _XML_SPACE.sub(" ", element.text_content()).strip(" ")
            if len(text) < PROMPT_MAX_CHARS:
                yield element


def layout_tables(tree: lxml_html.HtmlElement) -> Iterator[lxml_html.HtmlElement]:
    """Tables that lay out a page (a cell holding prose or blocks), not tables of data."""
    for table in tree.iter("table"):
        for cell in table.iter("td", "th"):
            if _words(cell) >= LAYOUT_CELL_WORDS and (
                cell.find(".//br") is not None
                or next(cell.iterdescendants(*_BLOCK_TAGS), None) is not None
                or _words(cell) >= 2 * LAYOUT_CELL_WORDS
            ):
                yield table
                break


def unwrap_table(table: lxml_html.HtmlElement) -> None:
    """Turn a layout table into ``div``s so its cells read as page regions, not table rows."""
    for element in table.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th"):
        element.tag = "div"
        for attribute in ("width", "colspan", "rowspan", "valign", "align", "bgcolor"):
            element.attrib.pop(attribute, None)


def _remove(element: lxml_html.HtmlElement) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _snippet(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())[:200]


# A rule: (tree, elements already to be removed) -> elements to remove; it may skip
# what lies inside the latter, which are removed whole.
Finder = Callable[
    [lxml_html.HtmlElement, Container[lxml_html.HtmlElement]], Iterator[lxml_html.HtmlElement]
]
RULES: tuple[tuple[str, Finder], ...] = (
    ("named_boilerplate", named_boilerplate),
    ("link_list", link_lists),
    ("caption_or_prompt", captions_and_prompts),
)


def prune_page(tree: lxml_html.HtmlElement) -> list[tuple[str, str]]:
    """Unwrap layout tables and remove boilerplate blocks, in place; (rule, text) of each removed.

    Elements are judged on the page as it was (the article's share is taken
    once), and the outermost of nested candidates is removed.
    """
    for table in list(layout_tables(tree)):
        unwrap_table(table)
    article = _Article(tree)
    removed: list[tuple[str, str]] = []
    doomed: dict[lxml_html.HtmlElement, str] = {}
    for name, rule in RULES:
        for element in rule(tree, doomed):
            if element not in doomed and not article.held_by(element):
                doomed[element] = name
    for element, name in doomed.items():
        if any(ancestor in doomed for ancestor in element.iterancestors()):
            continue
        text = _snippet(element)
        _remove(element)
        if text:
            removed.append((name, text))
    return removed
