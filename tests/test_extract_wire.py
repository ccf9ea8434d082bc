"""Wire credit and dateline: read from the opening of a story or from its byline."""

from __future__ import annotations

import pytest

from wirewatch.pipelines.extract.wire import parse_dateline, wire_credit


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        (
            "MEXICO CITY (AP) — Mexico’s economy grew by 1.1% in the first quarter",
            ("MEXICO CITY", "AP"),
        ),
        (
            "KATHMANDU, April 25 (Reuters) - Nepal's aviation regulator said",
            ("KATHMANDU", "Reuters"),
        ),
        ("PRAGUE (Reuters) - Deliveries of Volkswagen’s Skoda Auto dropped", ("PRAGUE", "Reuters")),
        ("Paris (AFP) – France's president said", ("PARIS", "AFP")),
        ("NEW YORK, N.Y. (AP) — Stocks rose", ("NEW YORK", "AP")),
        ("PARIS — French President Emmanuel Macron on Monday condemned", ("PARIS", None)),
        ("The Taliban has denied that it held talks with Russian officials.", (None, None)),
        ("Mr Smith - who ran the bakery for forty years - retired.", (None, None)),
    ],
)
def test_dateline(opening: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_dateline(opening) == expected


def test_byline_naming_an_agency_credits_it_when_the_text_does_not() -> None:
    assert wire_credit(["Stocks rose on Friday."], ["Associated Press"]) == ("AP", None)
    assert wire_credit(["Stocks rose on Friday."], ["Ana Ribeiro"]) == (None, None)


def test_dateline_is_looked_for_in_the_first_paragraphs_only() -> None:
    paragraphs = ["Updated at noon.", "LONDON (Reuters) - Shares fell.", "x", "y"]
    assert wire_credit(paragraphs, []) == ("Reuters", "LONDON")
    assert wire_credit(["a", "b", "c", "LONDON (Reuters) - Shares fell."], []) == (None, None)
