"""The alert query language: what parses to what, and how malformed queries are reported."""

from __future__ import annotations

import pytest

from wirewatch.pipelines.alerts.query import (
    And,
    Filter,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Word,
    format_query,
    leaves,
    parse,
)
from wirewatch.pipelines.errors import UsageError


def strip_positions(node):
    """The tree without source positions, for comparing shapes."""
    if isinstance(node, And | Or):
        return type(node)(tuple(strip_positions(c) for c in node.children))
    if isinstance(node, Not):
        return Not(strip_positions(node.child))
    if isinstance(node, Word):
        return Word(node.text, node.field, node.prefix, node.exact)
    if isinstance(node, Phrase):
        return Phrase(node.words, node.field, node.exact)
    return Filter(node.field, node.value)


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("Mansur", Word("mansur")),
        ("MANSÛR", Word("mansur")),
        ('"Mansur" AND Taliban', And((Word("mansur"), Word("taliban")))),
        ("Mansur Taliban", And((Word("mansur"), Word("taliban")))),
        ("Wagner NOT music", And((Word("wagner"), Not(Word("music"))))),
        ("a OR b c", Or((Word("a"), And((Word("b"), Word("c")))))),
        ("(a OR b) c", And((Or((Word("a"), Word("b"))), Word("c")))),
        ('"Akhtar Mansur"', Phrase(("akhtar", "mansur"))),
        ("al-Qaeda", Phrase(("al", "qaeda"))),
        ("sanction*", Word("sanction", prefix=True, exact=True)),
        ("=Mansur", Word("mansur", exact=True)),
        ('="Akhtar Mansur"', Phrase(("akhtar", "mansur"), exact=True)),
        ("title:Putin", Word("putin", field="title")),
        ("title:=Putin", Word("putin", field="title", exact=True)),
        ('title:"Islamic State"', Phrase(("islamic", "state"), field="title")),
        ("source:tass", Filter("source", "tass")),
        ("source:TASS.com", Filter("source", "tass.com")),
        ("lang:en-GB Putin", And((Filter("lang", "en"), Word("putin")))),
        ("Putin paywalled:FALSE", And((Word("putin"), Filter("paywalled", "false")))),
        (
            "title:(Putin OR Kremlin)",
            Or((Word("putin", field="title"), Word("kremlin", field="title"))),
        ),
        (
            "Wagner NOT source:(tass OR ria)",
            And((Word("wagner"), Not(Or((Filter("source", "tass"), Filter("source", "ria")))))),
        ),
        ("Путин", Word("путин")),
        ("普京", Phrase(("普", "京"))),
        ("and or", And((Word("and"), Word("or")))),
    ],
)
def test_queries_parse_into_trees(query: str, tree) -> None:
    assert strip_positions(parse(query)) == tree


def test_the_canonical_form_parses_back_to_the_same_tree() -> None:
    for query in [
        'Wagner NOT (music OR "Richard Wagner") source:tass',
        'title:="Islamic State" OR sanction* lang:ru',
        "NOT a b",
    ]:
        tree = strip_positions(parse(query))
        assert strip_positions(parse(format_query(tree))) == tree


def test_leaves_lists_every_term_left_to_right() -> None:
    tree = parse('a NOT (b OR "c d") source:x')
    assert [
        getattr(leaf, "text", None) or getattr(leaf, "value", None) or leaf.words
        for leaf in leaves(tree)
    ] == ["a", "b", ("c", "d"), "x"]


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("", 1, "empty query"),
        ("   ", 1, "empty query"),
        ('Wagner "private army', 8, "unbalanced quote"),
        ("(Wagner OR music", 1, "unbalanced parenthesis"),
        ("Wagner) music", 7, "unbalanced parenthesis"),
        ("Wagner AND", 11, "ends where a term is expected"),
        ("AND Wagner", 1, "AND needs a term on both sides"),
        ("Wagner OR OR music", 11, "OR needs a term on both sides"),
        ("Wagner ()", 9, "empty parentheses"),
        ("author:smith", 1, "unknown field 'author'"),
        ("title: Putin", 7, "needs a value right after the colon"),
        ("title:(source:tass)", 8, "inside a 'title' group"),
        ("sa*", 1, "at least 3 letters"),
        ("*", 1, "needs at least a few letters"),
        ("sanc*tion", 5, "only allowed at the end"),
        ("al-qa*", 1, "not on a phrase"),
        ('""', 1, "empty phrase"),
        ("!!!", 1, "no letters or digits"),
        ('source:"tass agency"', 8, "plain name"),
        ("Wagner paywalled:maybe", 18, "takes true or false"),
        ("NOT music", 1, "would match stories containing none of its terms"),
        ("Wagner OR NOT music", 1, "would match stories containing none of its terms"),
        ("=", 2, "'=' must be followed"),
        ("Wagner\r\nBcc: x", 7, "line breaks"),
    ],
)
def test_malformed_queries_say_where_and_why(query: str, position: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    error = caught.value
    assert error.position == position
    assert reason in error.reason
    assert isinstance(error, UsageError) and error.exit_status == 2
    assert f"position {position}" in str(error)


def test_absurdly_long_or_deep_queries_are_refused_not_crashed() -> None:
    with pytest.raises(QuerySyntaxError, match="longer than"):
        parse("a " * 2000)
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse("(" * 40 + "a" + ")" * 40)
    with pytest.raises(QuerySyntaxError, match="more than 100 terms"):
        parse(" OR ".join(f"w{i}" for i in range(101)))
