"""Fingerprints: words in any script, shingles, MinHash band keys, containment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.dedupe_texts import (
    QUOTE,
    article,
    escaped,
    first_words,
    half_quote_copy,
    long_quote,
    paragraphs,
    reordered,
    trimmed,
    under_furniture,
    with_quote,
)
from wirewatch.pipelines import fingerprint as fp
from wirewatch.pipelines.fingerprint import Shingled, fingerprint, resemblance, similarity, words


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
        "from pipelines.fingerprint import fingerprint;"
        "from tests.support.dedupe_texts import article;"
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


# --- normalisation: one case per way a copy's text arrives ------------------------------

PLAIN = 'The minister said "we will not sign" and it\'s over - AT&T agreed. Erdogan left.'


@pytest.mark.parametrize(
    ("case", "variant"),
    [
        ("entities", "The minister said &quot;we will not sign&quot; and it&#39;s over &mdash; "
                     "AT&amp;T agreed. Erdogan left."),
        ("double-escaped entities", "The minister said &amp;quot;we will not sign&amp;quot; "
                                    "and it&amp;#39;s over - AT&amp;amp;T agreed. Erdogan left."),
        ("numeric and named entities", "The minister said &#x201C;we will not sign&#8221; and "
                                       "it&rsquo;s over &ndash; AT&amp;T agreed. Erdogan left."),
        ("markup", '<p>The <a href="https://x.example/m">minister</a> said <em>"we will not '
                   'sign"</em> and it\'s over - AT&T agreed.</p><br/><p>Erdogan left.</p>'),
        ("script, style and comments", "The minister said <script>var ad = 1;</script>\"we "
                                       "will not sign\" and it's over<!-- ad --> - AT&T "
                                       "agreed.<style>p {}</style> Erdogan left."),
        ("curly quotes and apostrophe", "The minister said \u201cwe will not sign\u201d and "
                                        "it\u2019s over - AT&T agreed. Erdogan left."),
        ("guillemets", "The minister said «we will not sign» and it's over - AT&T agreed. "
                       "Erdogan left."),
        ("modifier-letter apostrophe", "The minister said \"we will not sign\" and it\u02bcs "
                                       "over - AT&T agreed. Erdogan left."),
        ("dashes", "The minister said \"we will not sign\" and it's over \u2014 AT&T agreed. "
                   "Erdogan left."),
        ("white space", "The\u00a0minister\tsaid \"we will not sign\"\r\nand it's over  -  "
                        "AT&T\u2009agreed.\u3000Erdogan left."),
        ("invisible characters", "The mini\u00adster said \"we will not si\u200bgn\" and "
                                 "it's over - AT&T agr\u2060eed.\ufeff Erdogan left."),
        ("diacritics", "The minister said \"we will not sign\" and it's over - AT&T agreed. "
                       "Erdoğan left."),
        ("case and compatibility forms", "THE MINISTER SAID \"WE WILL NOT SIGN\" AND IT'S "
                                         "OVER - AT&T AGREED. ＥＲＤＯＧＡＮ LEFT."),
    ],
)  # fmt: skip
def test_each_way_of_writing_a_text_gives_its_words_and_fingerprint(
    case: str, variant: str
) -> None:
    assert words(variant) == words(PLAIN), case
    text = f"{PLAIN} {article(60, paragraphs=2)}"
    copy = f"{variant} {article(60, paragraphs=2)}"
    assert fingerprint(copy) == fingerprint(text), case


def test_normalisation_leaves_prose_alone() -> None:
    assert words("Barnes&noble: 3 < 4 and 5 > 2, <not a tag>") == [
        "barnes", "noble", "3", "4", "and", "5", "2", "not", "a", "tag",
    ]  # fmt: skip
    assert words("Талибан й ё") == ["талибан", "й", "ё"]  # other scripts keep their marks


# --- quotation marks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ('He said "no deal today" and left', ["no", "deal", "today"]),
        ("Er sagte „kein Abkommen“ heute", ["kein", "abkommen"]),
        ("Il a dit « pas d'accord » hier", ["pas", "d", "accord"]),
        ("彼は「合意なし」と述べた", ["合", "意", "な", "し"]),
        # A quotation over two paragraphs reopens at the second, closes at its end.
        ('"First part of it.\n\n"Second part," he said.', ["first", "part", "of", "it",
                                                           "second", "part"]),
        # A stray mark quotes the rest of its paragraph only.
        ('He said "no deal\n\nThe next paragraph', ["no", "deal"]),
    ],
)  # fmt: skip
def test_words_inside_quotation_marks(text: str, inside: list[str]) -> None:
    normal = fp.normalise(text)
    starts, ends = fp.word_spans(normal)
    flags = fp.quoted_words(normal, starts)
    found = [normal[a:b] for a, b, f in zip(starts, ends, flags, strict=True) if f]
    assert found == inside


def test_a_long_quote_shared_by_two_short_copies_does_not_make_them_one() -> None:
    quote = long_quote(70)
    a = Shingled(half_quote_copy(article(71), quote))
    b = Shingled(half_quote_copy(article(72), quote))
    original_b = Shingled(with_quote(article(72), 3) + f'\n\n"{quote}," he said.')
    assert similarity(a, b) < 0.3
    assert similarity(a, original_b) < 0.3
    # Each is still a copy of its own story: its own words count fully.
    assert similarity(a, Shingled(article(71))) >= fp.COPY_THRESHOLD


def test_a_copy_that_is_mostly_the_wires_own_text_joins_despite_its_quotes() -> None:
    wire = with_quote(article(73), 1) + f'\n\n"{long_quote(74)}," the minister said.'
    copy = trimmed(wire, 0.6) + f'\n\n"{long_quote(75, 30)}," an analyst said.'
    assert similarity(Shingled(wire), Shingled(copy)) >= fp.COPY_THRESHOLD


@pytest.mark.parametrize(
    ("text", "furniture"),
    [
        ("Home | News | World | Sport\n\nThe council voted on Monday to close the old bridge.",
         ["home", "news", "world", "sport"]),
        ("3 min read. Share. Email this story.\n\nThe council voted on Monday to close it.",
         ["3", "min", "read", "share", "email", "this", "story"]),
        # A paragraph mostly made of short fragments is furniture all through.
        ("Home. Menu. Search. Sign in. Subscribe to the morning briefing.\n\nThe council "
         "voted on Monday to close the old bridge.", ["home", "menu", "search", "sign", "in",
                                                     "subscribe", "to", "the", "morning",
                                                     "briefing"]),
        # Initials and decimals end no fragment; a lone short sentence is one,
        # too little to make a shingle weak (see the test below).
        ("The U.S. economy grew 3.5 percent in the third quarter, officials said on Monday, "
         "and prices rose. He declined. The figures surprised most of the economists.",
         ["he", "declined"]),
        ("", []),
    ],
)  # fmt: skip
def test_words_of_page_furniture(text: str, furniture: list[str]) -> None:
    normal = fp.normalise(text)
    starts, ends = fp.word_spans(normal)
    flags = fp.furniture_words(normal, (starts, ends))
    found = [normal[a:b] for a, b, f in zip(starts, ends, flags, strict=True) if f]
    assert found == furniture


def test_prose_has_no_weak_shingles() -> None:
    prose = Shingled(
        "The U.S. economy grew 3.5 percent in the third quarter, officials said on Monday, "
        "and prices rose. He declined. The figures surprised most of the economists."
    )
    assert not prose.quoted_flags.any()


def test_short_excerpts_under_the_same_page_furniture_stay_apart() -> None:
    """More furniture than text: shared furniture is weak evidence, the excerpt is not."""
    a, b = article(120), article(121)
    under_a, under_b = Shingled(under_furniture(a)), Shingled(under_furniture(b))
    assert similarity(under_a, under_b) < 0.4  # 0.52 when furniture counted fully
    assert similarity(under_a, Shingled(a)) >= 0.55  # 0.43 when furniture counted fully
    assert similarity(under_b, Shingled(b)) >= 0.55
    # Menus and share bars are never anchors, so the excerpt's own lede has
    # anchors of its original's left.
    whole = Shingled(a)
    anchors_a = set(fp.anchor_keys(under_a.shingles, under_a.quoted_flags).tolist())
    assert anchors_a & set(fp.anchor_keys(whole.shingles, whole.quoted_flags).tolist())


# --- reordering, excerpts, bounded keys ------------------------------------------------


def test_reordered_paragraphs_are_the_same_text() -> None:
    text = article(80, paragraphs=12)
    assert similarity(Shingled(text), Shingled(reordered(text, seed=1))) >= 0.9
    assert similarity(Shingled(text), Shingled(reordered(trimmed(text, 0.5)))) >= 0.9


def test_an_excerpt_of_a_long_text_shares_a_lede_anchor_with_it() -> None:
    """A 60-word excerpt of a 1,350-word text: resemblance ~0.04, yet always a candidate."""
    for seed in range(40):
        full = article(100 + seed, paragraphs=30)
        keys = set(fingerprint(full).band_keys)
        for count in (60, 170):
            excerpt = first_words(full, count)
            assert similarity(Shingled(excerpt), Shingled(full)) == 1.0
            assert keys & set(fingerprint(excerpt).band_keys), (seed, count)
            headed = "LATEST NEWS\n\n" + excerpt + "\n\nWith reporting by the Gazette."
            assert keys & set(fingerprint(headed).band_keys), (seed, count)


def test_keys_per_text_are_bounded_whatever_its_length() -> None:
    most = fp.BANDS + fp.MAX_ANCHORS
    assert most <= 23  # each key is an index row and a lookup per stored article
    for text in (article(1, paragraphs=2), article(2, paragraphs=200)):
        assert fp.BANDS < len(fingerprint(text).band_keys) <= most


def test_a_phrase_repeated_in_the_lede_is_one_anchor() -> None:
    """Anchors are distinct, so a repeated phrase does not spend the budget twice."""
    text = article(110, paragraphs=12)
    lede = first_words(text, 30)
    repeated = Shingled(f"{lede}\n\n{lede}\n\n{text}")
    chosen = fp.anchors(repeated.shingles, repeated.quoted_flags).tolist()
    assert len(chosen) == len(set(chosen)) == fp.MAX_ANCHORS


def test_only_tiny_texts_have_a_key_of_their_exact_words() -> None:
    """Identical longer texts share every band: an exact key would only add index rows."""
    text = Shingled(article(111))
    assert text.exact not in fingerprint(text.text).band_keys
    assert fingerprint(text.text).band_keys == fingerprint(text.text + " ").band_keys
    headline = Shingled("Storm closes the coast road")
    assert fingerprint(headline.text).band_keys == (headline.exact,)


def test_similarity_is_symmetric() -> None:
    quote = long_quote(90, 40)
    texts = [half_quote_copy(article(91), quote), article(91), with_quote(article(92)),
             f'"{quote}" {article(93, paragraphs=1)}', trimmed(article(91), 0.5)]  # fmt: skip
    for a in texts:
        for b in texts:
            assert similarity(Shingled(a), Shingled(b)) == similarity(Shingled(b), Shingled(a))


def test_candidates_compared_together_score_as_compared_one_by_one() -> None:
    """``similarities`` is ``similarity`` over many texts at once, equal to the bit: stored
    scores and the threshold must not depend on which one a caller used."""
    quote = long_quote(96, 40)
    texts = [half_quote_copy(article(97), quote), article(97), with_quote(article(98)),
             f'"{quote}" {article(99, paragraphs=1)}', trimmed(article(97), 0.5),
             under_furniture(article(97)), first_words(article(97), 30),
             "Storm closes the coast road", "storm closes the coast road", "",
             paragraphs(article(100))[0]]  # fmt: skip
    shingled = [Shingled(t) for t in texts]
    sketches = [s.sketch() for s in shingled]
    for text in shingled + sketches:
        for others in (shingled, sketches, sketches[::-1], [], [text]):
            assert fp.similarities(text, others) == [similarity(text, o) for o in others]
    # Texts sharing some shingles, some of them weak in one text and strong in the other.
    rng = np.random.default_rng(7)
    for _ in range(300):
        pool = rng.choice(4000, size=900, replace=False).astype(np.uint32)
        text, *others = (_sketch_of(pool, rng) for _ in range(int(rng.integers(2, 10))))
        assert fp.similarities(text, others) == [similarity(text, o) for o in others]


def _sketch_of(pool: np.ndarray, rng: np.random.Generator) -> fp.Sketch:
    """A sketch of some of ``pool``'s values, strong and weak, from a random place."""
    start, strong, weak = rng.integers(0, 400), rng.integers(1, 300), rng.integers(0, 120)
    values = pool[start : start + strong + weak]
    words = int(rng.choice([30, 200]))
    return fp.Sketch(words, 0, np.sort(values[:strong]), np.sort(values[strong:]))


def test_escaped_and_marked_up_copies_are_the_same_text() -> None:
    text = with_quote(article(95))
    assert fingerprint(escaped(text)) == fingerprint(text)


def test_the_seed_pair_stays_apart(shared_dir: Path) -> None:
    rferl, moscow = (
        Shingled(p.read_text("utf-8")) for p in sorted((shared_dir / "seeds").glob("*.txt"))
    )
    assert similarity(rferl, moscow) < 0.2
