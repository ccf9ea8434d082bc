"""Fingerprints: words in any script, shingles, MinHash band keys, containment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipelines import fingerprint as fp
from pipelines.fingerprint import Shingled, fingerprint, resemblance, similarity, words
from tests.dedupe_texts import QUOTE, article, paragraphs, trimmed, with_quote


def test_words_are_normalised_and_punctuation_free() -> None:
    assert words("The Mayor’s “PLAN” — ﬁnally: 3.8% growth!") == [
        "the", "mayor", "s", "plan", "finally", "3", "8", "growth",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Талибан отрицает переговоры с Россией",
            ["талибан", "отрицает", "переговоры", "с", "россией"],
        ),
        ("طالبان تنفي إجراء محادثات", ["طالبان", "تنفي", "إجراء", "محادثات"]),
        ("हिन्दी समाचार सेवा", ["हिन्दी", "समाचार", "सेवा"]),
        ("東京都は晴れ", ["東", "京", "都", "は", "晴", "れ"]),
        ("ข่าวไทย", ["ข", "่", "า", "ว", "ไ", "ท", "ย"]),
        ("서울 특별시", ["서울", "특별시"]),
        ("𠀋𠀌 ok", ["𠀋", "𠀌", "ok"]),
    ],
)
def test_every_script_keeps_its_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_the_vectorised_tokeniser_agrees_with_the_reference_pattern() -> None:
    text = fp.normalise(
        "Mexico’s economy grew 1.1% — «Привет» 東京 مُحَمَّد हिन्दी l'État foo_bar ½ x\u0301y"
    )
    assert words(text) == fp._WORD_OR_CHAR.findall(text)


def test_scripts_do_not_collapse_into_one_fingerprint() -> None:
    cjk_a = "東京都は今日、新しい防災計画を発表した。" * 8
    cjk_b = "大阪市の市場で野菜の価格が大きく上がった。" * 8
    assert fingerprint(cjk_a).words > 100
    assert similarity(Shingled(cjk_a), Shingled(cjk_b)) < 0.1
    assert similarity(Shingled(cjk_a), Shingled(cjk_a[:60])) == 1.0


def test_fingerprints_are_stable_across_processes() -> None:
    """Band keys are stored: they must not depend on the process or hash seed."""
    code = (
        "from pipelines.fingerprint import fingerprint; from tests.dedupe_texts import article;"
        "print(fingerprint(article(3)).band_keys)"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[1],
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{fingerprint(article(3)).band_keys}\n"}


def test_a_copy_trimmed_to_its_first_third_still_matches_its_original() -> None:
    full = Shingled(article(1, paragraphs=12))
    third = Shingled(trimmed(full.text, 1 / 3))
    assert similarity(full, third) == pytest.approx(1.0)
    assert resemblance(full, third) < 0.4  # resemblance alone would miss it
    shared = set(full.fingerprint().band_keys) & set(third.fingerprint().band_keys)
    assert shared  # and the index finds it


def test_edited_copies_match() -> None:
    text = article(2)
    paras = paragraphs(text)
    edited = "\n\n".join(
        [
            "LONDON (Wire) — " + paras[0],
            "Editor's note: updated with reaction.",
            *paras[1:6],
            *paras[7:],  # one paragraph dropped
            "Copyright 2026 The Gazette. All rights reserved. Subscribe for more news.",
        ]
    )
    typos = text.replace("the ", "teh ", 8).replace("said", "siad", 3)
    for variant in (edited, typos):
        assert similarity(Shingled(text), Shingled(variant)) >= fp.COPY_THRESHOLD


def test_a_shared_quote_or_boilerplate_does_not_make_two_articles_one() -> None:
    a, b = Shingled(with_quote(article(3))), Shingled(with_quote(article(4)))
    assert QUOTE in a.text and QUOTE in b.text
    assert similarity(a, b) < 0.2
    boiler = "\n\nSign up for our newsletter. Follow us on social media. All rights reserved."
    c, d = Shingled(article(5) + boiler), Shingled(article(6) + boiler)
    assert similarity(c, d) < 0.2


def test_tiny_texts_match_only_identical_texts() -> None:
    headline = Shingled("Storm closes the coast road")
    assert fingerprint(headline.text).tiny
    assert len(fingerprint(headline.text).band_keys) == 1  # the exact key only
    assert similarity(headline, Shingled("STORM closes the coast road!")) == 1.0
    assert similarity(headline, Shingled("Storm closes the coast road again")) == 0.0
    assert similarity(headline, Shingled(article(7))) == 0.0


def test_empty_texts_match_nothing() -> None:
    empty = Shingled("  — … ")
    assert fingerprint(empty.text).band_keys == ()
    assert similarity(empty, Shingled("")) == 0.0


def test_enormous_texts_are_fingerprinted_on_their_beginning() -> None:
    body = " ".join(article(n) for n in range(8))
    huge = body + " tail" * (fp.MAX_WORDS * 2)
    assert fingerprint(huge).words == fp.MAX_WORDS
    assert fingerprint(huge + " more words after the limit") == fingerprint(huge)
    assert similarity(Shingled(huge), Shingled(body)) >= fp.COPY_THRESHOLD


def test_minhash_agreement_estimates_resemblance() -> None:
    a, b = Shingled(article(8, paragraphs=20)), Shingled(trimmed(article(8, paragraphs=20), 0.5))
    agreement = np.mean(fp.minhash(a.shingles) == fp.minhash(b.shingles))
    assert abs(agreement - resemblance(a, b)) < 0.3
    assert np.mean(fp.minhash(a.shingles) == fp.minhash(Shingled(article(9)).shingles)) == 0.0


def test_lone_surrogates_from_json_do_not_break_fingerprinting() -> None:
    text = json.loads('"Storm \\ud800 closes the coast road"')
    assert words(text) == ["storm", "closes", "the", "coast", "road"]
    assert fingerprint(text).words == 5
