"""Page metadata: structured data first, then Open Graph and <meta>, then the document itself."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import html as lxml_html

from wirewatch.pipelines.extract import extract_article
from wirewatch.pipelines.extract.metadata import (
    canonical_url,
    clean_text,
    clean_value,
    document_title,
    page_metadata,
    parse_date,
    split_authors,
    strip_site_name,
)

URL = "https://www.gazette.example/news/ferry"


def meta_of(head: str, body: str = "", url: str = URL):
    document = f"<html><head>{head}</head><body>{body}</body></html>"
    return page_metadata(lxml_html.fromstring(document), url)


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


def test_json_ld_headline_wins_over_open_graph_and_h1() -> None:
    meta = meta_of(
        ld('{"@type": "NewsArticle", "headline": "From JSON-LD"}')
        + '<meta property="og:title" content="From OG">',
        "<h1>From the page</h1>",
    )
    assert meta.title == "From JSON-LD"


def test_open_graph_title_is_used_without_json_ld_and_loses_its_site_suffix() -> None:
    meta = meta_of(
        '<meta property="og:title" content="Ferry returns | Harbour Gazette">'
        '<meta property="og:site_name" content="Harbour Gazette">'
    )
    assert meta.title == "Ferry returns"


def test_news_article_object_wins_over_a_generic_web_page_in_a_graph() -> None:
    meta = meta_of(
        ld(
            '{"@graph": [{"@type": "WebPage", "name": "Home", "datePublished": "2001-01-01"},'
            ' {"@type": ["NewsArticle"], "headline": "Real one", '
            '"datePublished": "2025-03-04T07:30:00Z", '
            '"author": {"name": "By Ana Ribeiro and Tom Field"}}]}'
        )
    )
    assert meta.title == "Real one"
    assert meta.published == datetime(2025, 3, 4, 7, 30, tzinfo=UTC)
    assert meta.authors == ["Ana Ribeiro", "Tom Field"]


def test_broken_json_ld_is_skipped_and_meta_tags_still_count() -> None:
    meta = meta_of(
        ld('{"@type": "NewsArticle", "headline": ')
        + '<meta property="article:published_time" content="2025-03-04T08:00:00+01:00">'
        + '<meta name="author" content="Ana Ribeiro">'
    )
    assert meta.published == datetime(2025, 3, 4, 8, tzinfo=timezone(timedelta(hours=1)))
    assert meta.authors == ["Ana Ribeiro"]


def test_entities_escaped_twice_in_metadata_are_decoded() -> None:
    meta = meta_of(
        '<meta property="og:title" '
        'content="Mexico to fight &amp;#8216;illogical&amp;#8217; tariffs">'
    )
    assert meta.title == "Mexico to fight ‘illogical’ tariffs"


def test_canonical_url_is_absolute_and_loses_tracking_parameters() -> None:
    meta = meta_of('<link rel="canonical" href="/news/ferry?utm_source=rss&id=7">')
    assert meta.canonical_url == "https://www.gazette.example/news/ferry?id=7"
    assert canonical_url(None, URL) == URL
    assert canonical_url("javascript:void(0)", URL) == URL


def test_language_section_summary_and_image() -> None:
    meta = meta_of(
        ld(
            '{"@type": "NewsArticle", "articleSection": ["Local", "Transport"], '
            '"image": [{"url": "/img/a.jpg"}], "description": "A ferry."}'
        ),
    )
    assert (meta.section, meta.summary, meta.top_image) == (
        "Local",
        "A ferry.",
        "https://www.gazette.example/img/a.jpg",
    )
    assert meta_of("", url=URL).language is None
    tree = lxml_html.fromstring('<html lang="pt-BR"><head></head><body></body></html>')
    assert page_metadata(tree, URL).language == "pt"


def test_document_title_skips_a_logo_h1_that_names_the_site() -> None:
    tree = lxml_html.fromstring(
        "<html><head><title>Global Voices Online » Iran: To Vote or not to Vote</title></head>"
        "<body><h1>Global Voices Online</h1></body></html>"
    )
    assert document_title(tree, None, "globalvoicesonline.org") == "Iran: To Vote or not to Vote"


@pytest.mark.parametrize(
    ("title", "site", "host", "expected"),
    [
        ("Fed lifts rates | Reuters", None, "www.reuters.com", "Fed lifts rates"),
        ("Ferry returns - Harbour Gazette", "Harbour Gazette", None, "Ferry returns"),
        (
            "Tony Blair: Why there has to be compromise",
            None,
            "standard.co.uk",
            "Tony Blair: Why there has to be compromise",
        ),
        (
            "Left - right - centre: the vote explained",
            None,
            "gazette.example",
            "Left - right - centre: the vote explained",
        ),
    ],
)
def test_strip_site_name(title: str, site: str | None, host: str | None, expected: str) -> None:
    assert strip_site_name(title, site, host) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T07:30:00Z", datetime(2025, 3, 4, 7, 30, tzinfo=UTC)),
        ("2025-03-04", datetime(2025, 3, 4, tzinfo=UTC)),
        ("Wed, 10 Jun 2009 17:22:14 +0000", datetime(2009, 6, 10, 17, 22, 14, tzinfo=UTC)),
        ("2024-04-26T15:24:04.336Z", datetime(2024, 4, 26, 15, 24, 4, 336000, tzinfo=UTC)),
        ("yesterday", None),
        ("0001-01-01", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_split_authors() -> None:
    assert split_authors("By Ana Ribeiro, Tom Field and Lee Wu") == [
        "Ana Ribeiro",
        "Tom Field",
        "Lee Wu",
    ]
    assert split_authors("Ana Ribeiro; https://x.example/ana") == ["Ana Ribeiro"]


def test_when_structured_headlines_disagree_the_one_shown_as_h1_wins() -> None:
    meta = meta_of(
        ld('{"@type": "NewsArticle", "headline": "Starmer suggests he will continue"}')
        + '<meta property="og:title" content="Starmer defiant over gifts">',
        "<h1>Starmer defiant over gifts</h1>",
    )
    assert meta.title == "Starmer defiant over gifts"


def test_without_structured_data_a_lone_h1_beats_the_title_tag() -> None:
    meta = meta_of(
        "<title>Dylann Roof Convicted : The Two-Way : NPR</title>",
        "<h1>Jury Finds Dylann Roof Guilty</h1>",
    )
    assert meta.title == "Jury Finds Dylann Roof Guilty"


def test_without_structured_authors_the_visible_byline_is_read() -> None:
    meta = meta_of("", '<div class="byline">By Ana Ribeiro and Tom Field</div><p>Story.</p>')
    assert meta.authors == ["Ana Ribeiro", "Tom Field"]


# What a reader must never see in a title or summary: an entity or a tag.
MARKUP = re.compile(r"&[a-z]+;|&#\d+;|&#x[0-9a-f]+;|<[a-z]", re.IGNORECASE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Minister says &quot;no talks&quot;", 'Minister says "no talks"'),
        ("Minister says &amp;quot;no talks&amp;quot;", 'Minister says "no talks"'),
        ("Mayor&amp;amp;#39;s office", "Mayor's office"),
        ("Kyiv&#39;s mayor &#8216;will not resign&#8217;", "Kyiv's mayor ‘will not resign’"),
        ("Rock &amp; roll hall", "Rock & roll hall"),
        ("<p>Ferry returns.</p><p>Harbour reopens.</p>", "Ferry returns. Harbour reopens."),
        ("Talks <b>resume</b> in <a href='/x'>Doha</a>", "Talks resume in Doha"),
        ("&lt;p&gt;Escaped markup&lt;/p&gt;", "Escaped markup"),
        ("Line one<br/>line two", "Line one line two"),
        ('A teaser cut off at <a href="https://news.exa', "A teaser cut off at"),
        ("Inflation &lt;2% in May", "Inflation <2% in May"),
        ("AT&T and Q&A", "AT&T and Q&A"),
        ("  Spaced\u00a0out\n\ttext\u200b  ", "Spaced out text"),
        ("<p> </p>", None),
        (None, None),
    ],
)
def test_clean_text_decodes_entities_until_stable_and_drops_tags(
    raw: str | None, expected: str | None
) -> None:
    assert clean_text(raw) == expected


def test_entity_decoding_is_bounded() -> None:
    assert clean_text("&amp;amp;amp;amp;") == "&amp;"  # three rounds, then it stops


def test_urls_lose_only_escaped_ampersands() -> None:
    assert clean_value(" https://x.example/a.jpg?w=720&#038;h=379 ") == (
        "https://x.example/a.jpg?w=720&h=379"
    )
    assert clean_value("https://x.example/?a=1&amp;amp;copy=2") == "https://x.example/?a=1&copy=2"


def test_every_displayed_metadata_field_is_clean() -> None:
    meta = meta_of(
        ld(
            '{"@type": "NewsArticle", "headline": "Minister says &quot;no talks&quot;", '
            '"description": "&lt;p&gt;The minister&amp;#39;s office &lt;b&gt;denied&lt;/b&gt;'
            ' reports.&lt;/p&gt;", "articleSection": "World &amp;amp; Politics", '
            '"author": [{"@type": "Person", "name": "Se&#225;n O&#39;Neill"}], '
            '"image": "https://img.example/p.jpg?w=1&amp;h=2", '
            '"publisher": {"@type": "Organization", "name": "Harbour &amp; Bay News"}}'
        )
    )
    assert meta.title == 'Minister says "no talks"'
    assert meta.summary == "The minister's office denied reports."
    assert meta.section == "World & Politics"
    assert meta.authors == ["Seán O'Neill"]
    assert meta.site_name == "Harbour & Bay News"
    assert meta.top_image == "https://img.example/p.jpg?w=1&h=2"


def test_open_graph_and_title_tag_text_is_clean() -> None:
    meta = meta_of(
        '<meta property="og:title" content="Ports &amp;amp; harbours reopen">'
        '<meta property="og:description" content="&lt;p&gt;Ferries sail again.&lt;/p&gt;">'
        '<meta name="author" content="Ana Ribeiro &amp;amp; Tom Field">'
    )
    assert (meta.title, meta.summary) == ("Ports & harbours reopen", "Ferries sail again.")
    assert meta.authors == ["Ana Ribeiro", "Tom Field"]
    meta = meta_of("<title>Bread &amp;amp; butter: prices rise</title>")
    assert meta.title == "Bread & butter: prices rise"


def test_real_pages_titles_and_summaries_carry_no_markup(shared_dir: Path) -> None:
    """Every real page (one of them had ``<p>`` in its description, another ``&quot;``)."""
    real = shared_dir / "fixtures" / "real"
    manifest = json.loads((real / "manifest.json").read_text(encoding="utf-8"))
    found = []
    for page in manifest["pages"]:
        result = extract_article((real / page["file"]).read_bytes(), page["url"])
        for field_name in ("title", "summary"):
            value = getattr(result, field_name)
            if value and MARKUP.search(value):
                found.append((page["file"], field_name, value[:80]))
    assert found == []
