"""extract_article: a clean article and its metadata, and a clear result for bad input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wirewatch.pipelines.extract import extract_article
from wirewatch.pipelines.extract.core import content_hash, decode_html, normalise_text

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
URL = "https://www.gazette.example/news/2025/03/ferry-line"
PARAGRAPH = (
    "The harbour authority said on Tuesday that a ferry line would link the two islands "
    "again from the spring, ten years after the last boat was withdrawn. "
)


def paragraphs(n: int) -> str:
    """n different story paragraphs (extractors fold identical ones)."""
    return "".join(f"<p>{PARAGRAPH} It was the council's meeting number {i}.</p>" for i in range(n))


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>"


@pytest.fixture(scope="module")
def article() -> bytes:
    return (FIXTURES / "article.html").read_bytes()


def test_article_text_keeps_the_story_and_drops_captions_prompts_and_credits(
    article: bytes,
) -> None:
    result = extract_article(article, URL)
    assert result.reason is None
    assert result.text.splitlines()[0].startswith("PORT ELLEN (AP) — The harbour authority")
    assert len(result.text.splitlines()) == 3
    for junk in (
        "Skip to",
        "Breaking News",
        "Photo:",
        "Read more",
        "Support The",
        "reporting by",
        "Copyright",
        "Ferry line to link the islands again",
    ):
        assert junk not in result.text


def test_metadata_comes_from_structured_data_first(article: bytes) -> None:
    result = extract_article(article, URL)
    assert result.title == "Ferry line to link the islands again"  # JSON-LD headline
    assert result.published == datetime(2025, 3, 4, 7, 30, tzinfo=timezone(timedelta(hours=1)))
    assert result.authors == ["Ana Ribeiro", "Tom Field"]
    assert result.language == "en"
    assert result.section == "Local"
    assert result.summary == "A ferry will link the two islands from spring."
    assert result.top_image == "https://gazette.example/img/ferry-large.jpg"
    assert result.canonical_url == "https://www.gazette.example/news/2025/03/ferry-line"


def test_wire_credit_and_dateline_come_from_the_story_opening(article: bytes) -> None:
    result = extract_article(article, URL)
    assert (result.wire_credit, result.dateline) == ("AP", "PORT ELLEN")


def test_content_hash_is_sha256_of_the_normalised_text(article: bytes) -> None:
    result = extract_article(article, URL)
    assert result.content_hash == content_hash(result.text)
    assert content_hash("a  b\n\n c ") == content_hash("a b\nc")
    assert normalise_text("  a \u00a0 b \n\n\n c") == "a b\nc"


def test_an_index_page_is_not_an_article() -> None:
    result = extract_article(
        (FIXTURES / "index.html").read_bytes(), "https://gazette.example/local"
    )
    assert (result.reason, result.text) == ("not_article", "")


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (b"", "not_article"),
        (b"  \n\t ", "not_article"),
        (bytes(range(256)) * 64, "not_html"),
        (page("<p>Too short to be a story.</p>").encode(), "not_article"),
        (b"<html><body>" + b"<p>word </p>" * 800_000 + b"</body></html>", "too_large"),
    ],
    ids=["empty", "whitespace", "binary", "teaser", "enormous"],
)
def test_bad_input_gives_empty_text_and_a_reason(html: bytes, reason: str) -> None:
    result = extract_article(html, URL)
    assert (result.text, result.reason) == ("", reason)
    assert result.detail


def test_pathological_nesting_gives_a_result_not_an_exception() -> None:
    html = "<html><body>" + "<div>" * 50_000 + PARAGRAPH * 3 + "</div>" * 50_000 + "</body></html>"
    result = extract_article(html.encode(), URL)
    assert result.reason is None or result.text == ""


def test_truncated_page_still_yields_what_arrived() -> None:
    html = page(f"<p>{PARAGRAPH * 2}</p><p>{PARAGRAPH * 2}</p><p>{PARAGRAPH}")
    result = extract_article(html[: len(html) - 40].encode(), URL)
    assert result.reason is None
    assert result.text.startswith("The harbour authority said")


def test_page_in_a_declared_single_byte_charset_is_decoded() -> None:
    html = page(f"<p>{PARAGRAPH * 2} The café reopened.</p>", '<meta charset="iso-8859-1">')
    result = extract_article(html.encode("latin-1"), URL)
    assert "The café reopened." in result.text


def test_utf8_page_labelled_latin1_is_read_as_utf8() -> None:
    html = page(f"<p>{PARAGRAPH * 2} Zürich and Kraków agreed.</p>")
    result = extract_article(html.encode("utf-8"), URL, encoding="iso-8859-1")
    assert "Zürich and Kraków agreed." in result.text


def test_windows_1252_page_labelled_utf8_is_not_mangled() -> None:
    assert decode_html("The café’s owner".encode("cp1252"), "utf-8") == "The café’s owner"


def test_undecodable_bytes_never_raise() -> None:
    assert isinstance(decode_html(b"\x81\x8d\x8f\x90\x9d" * 10, "utf-8"), str)


ARTICLE_HEAD = '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'


def test_relaxed_extraction_recovers_text_the_precise_pass_drops() -> None:
    # Story paragraphs inside an <aside>: trafilatura's default pass keeps nothing.
    html = page(f"<aside>{paragraphs(2)}</aside>")
    result = extract_article(html, URL)
    assert result.reason is None
    assert result.text.count("The harbour authority said") == 2


def test_baseline_fallback_recovers_a_declared_article() -> None:
    # Story paragraphs in a block trafilatura takes for reader comments.
    comments = paragraphs(3)
    html = (
        f"<html><head>{ARTICLE_HEAD}</head><body><div id='comments'>{comments}</div></body></html>"
    )
    result = extract_article(html, URL)
    assert result.reason is None
    assert result.text.count("The harbour authority said") == 3


def test_baseline_fallback_is_not_used_for_a_page_that_is_not_declared_an_article() -> None:
    comments = paragraphs(3)
    html = f"<html><body><div id='comments'>{comments}</div></body></html>"
    assert extract_article(html, URL).reason == "not_article"


def test_a_single_article_element_declares_an_article_for_the_fallback() -> None:
    comments = paragraphs(3)
    html = f"<html><body><article><div id='comments'>{comments}</div></article></body></html>"
    result = extract_article(html, URL)
    assert result.reason is None
    assert result.text.count("The harbour authority said") == 3


def test_one_sentence_paragraphs_are_prose_not_a_list_of_headlines() -> None:
    sentences = [
        "The harbour authority met on Tuesday night.",
        "Ferries will run twice a day from March onwards.",
        "The mayor said the islands would not be cut off again.",
        "Fuel costs were the main point of the long debate.",
        "Crew rotas will be agreed with the union next week.",
        "The old timetable left the islands without a boat for days.",
        "Fishermen welcomed the decision at the quay this morning.",
    ]
    body = "".join(f"<p>{s}</p>" for s in sentences)
    html = f"<html><head><title>Ferries</title></head><body><div>{body}</div></body></html>"
    result = extract_article(html, URL)
    assert result.reason is None, result.detail
    assert "Fishermen welcomed the decision" in result.text


def test_the_language_comes_from_the_text_when_the_page_states_none() -> None:
    text = (
        "Der Hafenrat hat am Dienstagabend nach einer langen Debatte über die Treibstoffkosten "
        "den Winterfahrplan für die Fähren beschlossen. Die Inseln sollen in diesem Jahr nicht "
        "wieder tagelang ohne Verbindung zum Festland bleiben, sagte die Bürgermeisterin. "
        "Die Fischer begrüßten die Entscheidung am Morgen am Kai, die Gewerkschaft will die "
        "Dienstpläne der Besatzungen in der nächsten Woche mit der Reederei besprechen."
    )
    html = f"<html><body><article><p>{text}</p><p>{text}</p></article></body></html>"
    result = extract_article(html, URL)
    assert result.reason is None
    assert result.language == "de"


def test_trafilaturas_options_are_made_once_and_each_page_gets_its_own_url() -> None:
    """The options are built once a process (trafilatura would read its config for every
    page); each page's copy carries that page's URL, and none leaks into the next."""
    from wirewatch.pipelines.extract import core

    first = core._options("https://example.org/a", favor_recall=False)
    second = core._options("https://example.org/b", favor_recall=False)
    assert (first.url, first.source) == ("https://example.org/a", "https://example.org/a")
    assert (second.url, second.source) == ("https://example.org/b", "https://example.org/b")
    assert core._extractor(False).url is None
    assert core._extractor(False) is core._extractor(False)
    assert first.comments is False and first.tables is True and first.focus == "balanced"
    assert core._options(None, favor_recall=True).focus == "recall"


def test_a_page_with_a_form_is_read_through_plain_html_elements_chosen_in_c() -> None:
    """lxml.html's Python lookup of each element's class cost ~0.3 ms a page (issue 21):
    the extractor's parser gives every element ``HtmlElement`` without it, form fields
    included, and the article around a form is extracted as before."""
    from lxml import html as lxml_html

    from wirewatch.pipelines.extract.core import _parse

    form = (
        "<form action='/search'><label>Search <input name='q' value='ferry'></label>"
        "<select name='s'><option>News</option></select><textarea>x</textarea></form>"
    )
    tree = _parse(page(paragraphs(4) + form))
    assert tree is not None
    assert {type(tree.find(f".//{tag}")) for tag in ("form", "input", "select", "label")} == {
        lxml_html.HtmlElement
    }
    result = extract_article(page(paragraphs(4) + form).encode(), URL)
    assert result.reason is None
    assert "ferry line would link the two islands" in result.text
    assert "Search" not in result.text.split()
