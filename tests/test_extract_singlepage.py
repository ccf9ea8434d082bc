"""Single-page boilerplate: structure rules, the second opinion, headlines, and the page set.

The page set (``tests/fixtures/singlepage``) is original HTML of many
templates, each page on a site of its own: nothing can be learned from
repetition, so what is removed is removed from the page alone.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import pytest
from lxml import html as lxml_html

from benchmarks.extraction import Page, blocks_left, prf
from tests.fixtures.singlepage.pages import TEMPLATES, build_pages
from wirewatch.crawler.commands.extract import record
from wirewatch.pipelines.extract import extract_article, extract_batch
from wirewatch.pipelines.extract.metadata import page_metadata
from wirewatch.pipelines.extract.opinion import (
    Line,
    merge,
    port_lines,
    readability_lines,
    readability_tap,
    text_blocks,
)
from wirewatch.pipelines.extract.structure import link_lists, names_boilerplate, prune_page

STORY = [
    f"Paragraph {i} of the story says what the council decided and why it matters to readers."
    for i in range(5)
]


def _tree(body: str) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(f"<html><body>{body}</body></html>")


def _element(tag: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(tag + "x</div>")


@pytest.mark.parametrize(
    "tag",
    [
        '<div class="related-posts">',
        '<div class="jp-relatedposts">',
        '<div class="sharedaddy sd-sharing-enabled">',
        '<div id="comments">',
        '<div class="newsletter-signup">',
        '<div class="site-footer__legal">',
        '<div class="author-bio">',
    ],
)
def test_names_that_say_boilerplate(tag: str) -> None:
    assert names_boilerplate(_element(tag))


@pytest.mark.parametrize(
    "tag",
    [
        # politico.eu lays its article out in "sidebar-grid" containers.
        '<div class="sidebar-grid__content article__content">',
        '<div class="sidebar-grid sidebar-grid--is-narrow">',
        '<div class="has-comments">',
        '<div class="entry-content">',
        '<div class="shared-history">',
    ],
)
def test_names_of_layout_content_or_state_are_not_boilerplate(tag: str) -> None:
    assert not names_boilerplate(_element(tag))


def test_prune_removes_named_blocks_and_link_lists_but_never_the_article() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    links = "".join(f'<li><a href="/{i}">Other story number {i}</a></li>' for i in range(4))
    tree = _tree(
        f'<div class="share-tools">{paragraphs}</div>'  # misnamed, but it is the article
        f"<ul>{links}</ul>"
        "<footer><p>© 2020 The Example Courier. All rights reserved.</p></footer>"
    )
    removed = prune_page(tree)
    assert [rule for rule, _ in removed] == ["named_boilerplate", "link_list"]
    text = tree.text_content()
    assert all(p in text for p in STORY)
    assert "Other story" not in text and "All rights reserved" not in text


def test_link_lists_inside_a_block_already_removed_are_not_measured_again() -> None:
    links = "".join(f'<a href="/{i}">Section link {i}</a>' for i in range(4))
    tree = _tree(f'<div class="menu">{"".join(f"<div>{links}</div>" for _ in range(3))}</div>')
    menu = tree.find(".//div")
    assert set(link_lists(tree)) == set(tree.iter("div"))  # the menu and its three columns
    assert list(link_lists(tree, settled={menu})) == [menu]


def extracts_its_story(template: str) -> bool:
    """Whether the single-page set's page of ``template`` comes out as its story."""
    page = next(page for page in build_pages() if page.template == template)
    return extract_article(page.html, page.url).text == page.body


def test_readability_lxml_is_asked_only_when_the_cheap_opinion_settles_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """trafilatura's port of readability gives the second opinion (a third of the cost);
    on an old table layout, once the menus are pruned, it picks the footer, and
    readability-lxml finds the story."""
    from wirewatch.pipelines.extract import core

    asked: list[str] = []

    def counted(tree: lxml_html.HtmlElement) -> list[Line]:
        asked.append("readability-lxml")
        return readability_lines(tree)

    monkeypatch.setattr(core, "readability_lines", counted)
    assert extracts_its_story("html5_semantic")
    assert asked == []
    assert extracts_its_story("table_1999")
    assert asked == ["readability-lxml"]


def test_the_port_of_readability_runs_once_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura compares its extraction with its own port of readability; that pass
    is the second opinion, not a second run of the port over the same page."""
    from trafilatura.readability_lxml import Document

    summaries: list[str] = []
    summary = Document.summary

    def counted(self: Document) -> str:
        summaries.append("port")
        return summary(self)

    monkeypatch.setattr(Document, "summary", counted)
    assert extracts_its_story("html5_semantic")
    assert summaries == ["port"]


def test_trafilaturas_readability_pass_reads_as_the_port_reads_the_page() -> None:
    """The tapped pass gives the lines ``port_lines`` gives on the page's reading copy:
    the opinion is the same, only made once."""
    import trafilatura

    for page in build_pages()[:: len(TEMPLATES)]:
        tree = lxml_html.fromstring(page.html)
        expected = port_lines(tree)
        with readability_tap() as tapped:
            trafilatura.bare_extraction(tree, url=page.url, with_metadata=False)
        assert tapped == [expected], page.template


def test_trafilatura_leaves_the_pruned_page_as_it_was_for_the_readability_passes() -> None:
    """``extract_page`` hands trafilatura the pruned tree and later lets the readability
    passes read that same tree, copying it only when they run: trafilatura must extract
    from a copy of its own (a release that works on the tree it is given would feed the
    second opinion a page trafilatura had already taken apart)."""
    from lxml import etree

    from wirewatch.pipelines.extract import core

    for page in build_pages()[:: len(TEMPLATES) // 4]:
        tree = lxml_html.fromstring(page.html)
        prune_page(tree)
        before = etree.tostring(tree)
        with readability_tap():
            assert core._trafilatura_text(tree, page.url, pruned=True)
        assert etree.tostring(tree) == before, page.template


def test_without_trafilaturas_comparison_the_port_gives_the_opinion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing tapped (trafilatura returned before comparing, or a release that no longer
    calls ``try_readability``): the port reads the page itself, and the text is the same."""
    from contextlib import contextmanager

    from wirewatch.pipelines.extract import core

    @contextmanager
    def nothing_tapped() -> Iterator[list[list[Line]]]:
        yield []

    ported: list[int] = []

    def counted(tree: lxml_html.HtmlElement) -> list[Line]:
        ported.append(1)
        return port_lines(tree)

    pages = build_pages()[:: len(TEMPLATES)]
    tapped = [extract_article(page.html, page.url).text for page in pages]
    monkeypatch.setattr(core, "readability_tap", nothing_tapped)
    monkeypatch.setattr(core, "port_lines", counted)
    assert [extract_article(page.html, page.url).text for page in pages] == tapped
    assert len(ported) == len(pages)


def test_a_layout_table_becomes_page_regions() -> None:
    prose = "<br><br>".join(STORY)
    tree = _tree(f"<table><tr><td>Home News</td><td>{prose}</td></tr></table>")
    prune_page(tree)
    assert tree.find(".//table") is None and tree.find(".//td") is None
    data = _tree("<table><tr><td>Goals</td><td>3</td></tr></table>")
    prune_page(data)
    assert data.find(".//table") is not None


def test_text_blocks_split_at_line_breaks_and_keep_loose_text() -> None:
    root = lxml_html.fragment_fromstring(
        "<div>Loose text of a translation.<p>A paragraph.</p><font>One<br><br>Two</font></div>"
    )
    assert [line.text for line in text_blocks(root)] == [
        "Loose text of a translation.",
        "A paragraph.",
        "One",
        "Two",
    ]


def _junk(line: str) -> bool:
    return False


def test_merge_fills_a_gap_with_prose_only_the_second_opinion_has() -> None:
    missed = "The translation of the quote says the press must stay free, the blogger wrote."
    second = [Line("p", STORY[0]), Line("p", STORY[1]), Line("div", missed), Line("p", STORY[2])]
    lines, changes = merge(STORY[:3], second, _junk)
    assert lines == [STORY[0], STORY[1], missed, STORY[2]]
    assert changes == [("gap_fill", missed)]


@pytest.mark.parametrize(
    "longer",
    [
        "Paragraph 2 of the story says what the council decided and why, in a longer "
        "paragraph that goes on about the vote, the budget and the next meeting in spring.",
        # a phrase said twice: the joined line counts some of its 4-grams twice
        "Paragraph 2 of the story says the council said no, the council said no again, "
        "the council said no a third time, and the budget waits for the next meeting.",
    ],
    ids=["each-gram-once", "repeated-phrase"],
)
def test_a_gap_goes_after_the_line_holding_most_of_what_precedes_it(longer: str) -> None:
    missed = "The translation of the quote says the press must stay free, the blogger wrote."
    primary = [STORY[0], STORY[1], longer, STORY[3]]
    # readability reads paragraphs 1 and 2 as one block; the gap follows that block
    joined = Line("p", f"{STORY[1]} {longer}")
    second = [Line("p", STORY[0]), joined, Line("div", missed), Line("p", STORY[3])]
    lines, changes = merge(primary, second, _junk)
    assert lines == [STORY[0], STORY[1], longer, missed, STORY[3]]
    assert changes == [("gap_fill", missed)]


def test_merge_adds_no_list_items_and_nothing_outside_the_agreed_span() -> None:
    feature = "Unlimited online access to the paper and fifteen other news sites with one account."
    after = "Readers also liked this long paragraph about something else entirely, it seems."
    second = [Line("p", STORY[0]), Line("li", feature), Line("p", STORY[1]), Line("p", after)]
    lines, changes = merge(STORY[:2], second, _junk)
    assert lines == STORY[:2]
    assert changes == []


def test_merge_drops_a_stray_label_outside_what_both_extractors_agree_on() -> None:
    primary = ["World", *STORY, "Share on Facebook"]
    second = [Line("p", p) for p in STORY]
    lines, changes = merge(primary, second, _junk)
    assert lines == STORY
    assert changes == [("outside_agreement", "World"), ("outside_agreement", "Share on Facebook")]


def test_merge_keeps_trafilatura_when_readability_found_another_block() -> None:
    second = [Line("p", "A sidebar about something else, with a few sentences of its own.")]
    assert merge(STORY, second, _junk) == (STORY, [])


def test_merge_takes_a_short_line_as_agreed_only_when_the_other_text_holds_it_whole() -> None:
    second = [Line("p", p) for p in STORY]
    lines, changes = merge(["Paragraph 0 of", *STORY, "Share this"], second, _junk)
    assert lines == ["Paragraph 0 of", *STORY]
    assert changes == [("outside_agreement", "Share this")]


def test_a_line_without_words_is_not_agreed_on_though_both_extractors_give_it() -> None:
    second = [Line("p", "* * *"), *(Line("p", p) for p in STORY)]
    lines, changes = merge(["* * *", *STORY], second, _junk)
    assert lines == STORY
    assert changes == [("outside_agreement", "* * *")]


def test_lines_both_extractors_give_as_they_are_are_agreed_on_without_counting_4_grams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The usual page: trafilatura and readability give the same lines.  Counting each
    line's 4-grams was most of the merge's cost (issue 21); they are counted only for a
    line the other extractor gives differently."""
    from wirewatch.pipelines.extract import opinion

    counted: list[list[str]] = []
    grams = opinion._grams

    def counting(found: list[str], n: int = 4) -> opinion.Grams:
        counted.append(found)
        return grams(found, n)

    monkeypatch.setattr(opinion, "_grams", counting)
    second = [Line("p", p) for p in STORY]
    assert merge(STORY, second, _junk) == (STORY, [])
    assert counted == []

    rewrapped = [*STORY[:4], STORY[4].replace(" says ", "  says ")]
    assert merge(rewrapped, second, _junk) == (rewrapped, [])
    assert counted  # the line given differently was compared by its 4-grams


def test_readability_reads_the_tree_without_changing_it() -> None:
    """The second opinion runs before trafilatura on the same tree: it must leave it as it was."""
    tree = _tree(
        "<div hidden>Hidden teaser.</div><div style='display:none'>Invisible.</div>"
        "<script>var a = 1;</script><!-- a comment -->" + "".join(f"<p>{p}</p>" for p in STORY)
    )
    before = lxml_html.tostring(tree)
    lines = readability_lines(tree)
    assert [line.text for line in lines] == STORY
    assert lxml_html.tostring(tree) == before


def test_headline_wrapped_in_a_section_label_is_the_h1_and_candidates_are_listed() -> None:
    tree = lxml_html.fromstring(
        "<html><head><title>Ferry cut to two crossings | The Courier</title>"
        '<meta property="og:title" content="Local: Ferry cut to two crossings">'
        "</head><body><h1>Ferry cut to two crossings</h1></body></html>"
    )
    meta = page_metadata(tree, "https://www.thecourier.example/a.html")
    assert meta.title == "Ferry cut to two crossings"
    assert [where for where, _ in meta.title_candidates] == ["og:title", "h1", "title"]


def test_blog_platform_title_loses_the_blog_name() -> None:
    tree = lxml_html.fromstring(
        "<html><head><title>The Varn Dispatch: Ferry cut to two crossings</title></head>"
        "<body><h1>The Varn Dispatch</h1></body></html>"
    )
    meta = page_metadata(tree, "https://www.varndispatch.example/2011/ferry.html")
    assert meta.title == "Ferry cut to two crossings"


def test_extract_json_shows_the_disagreeing_headlines() -> None:
    page = (
        "<html><head><title>Ferry cut | The Courier</title>"
        '<meta property="og:title" content="Local: Ferry cut to two crossings a day">'
        "</head><body><article><h1>Ferry cut to two crossings a day</h1>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</article></body></html>"
    )
    result = extract_article(page, "https://www.thecourier.example/a.html")
    out = record(None, "https://www.thecourier.example/a.html", result)
    assert out["title"] == "Ferry cut to two crossings a day"
    assert {c["source"] for c in out["title_candidates"]} == {"og:title", "h1", "title"}


def test_agreeing_headlines_add_no_candidates() -> None:
    page = (
        "<html><head><title>Ferry cut to two crossings a day</title></head><body><article>"
        "<h1>Ferry cut to two crossings a day</h1>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</article></body></html>"
    )
    out = record(None, None, extract_article(page, None))
    assert "title_candidates" not in out


@pytest.fixture(scope="module")
def single_set() -> list[tuple[Page, str, str | None]]:
    built = build_pages()
    results = extract_batch([(p.html, p.url) for p in built])
    return [
        (
            Page(p.template, p.url, p.html.encode(), body=p.body, boilerplate=p.boilerplate),
            r.text,
            r.title,
        )
        for p, r in zip(built, results, strict=True)
    ]


def test_the_set_covers_every_template_and_every_page_is_its_own_site() -> None:
    pages = build_pages()
    assert {p.template for p in pages} == set(TEMPLATES)
    assert len({p.url.split("/")[2] for p in pages}) == len(pages)
    assert all(p.boilerplate for p in pages)


def test_single_pages_come_out_clean(single_set: list[tuple[Page, str, str | None]]) -> None:
    f1 = statistics.mean(prf(text, page.body)[2] for page, text, _ in single_set)
    left = [page.url for page, text, _ in single_set if blocks_left(text, page)]
    # Measured: F1 0.996, 3 of 104 pages with boilerplate left (benchmarks/extraction.py).
    assert f1 >= 0.98
    assert len(left) <= 10, left
    for template in TEMPLATES:
        scores = [prf(t, p.body)[2] for p, t, _ in single_set if p.source == template]
        assert statistics.mean(scores) >= 0.95, template


def test_single_pages_have_the_headline_a_reader_sees(
    single_set: list[tuple[Page, str, str | None]],
) -> None:
    built = {p.url: p.title for p in build_pages()}
    wrong = [(page.url, title) for page, _, title in single_set if title != built[page.url]]
    assert not wrong, wrong[:5]
