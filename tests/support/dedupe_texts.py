"""Small original texts for the dedupe tests: articles, copies and near misses.

Articles are seeded word salad over a shared vocabulary, so two different
seeds share common words and even phrases by chance (as real articles do)
but not their sentences.
"""

from __future__ import annotations

import random

_WORDS = (
    "the of and to in a is that for on with as was by at from it an be this are "
    "have has said government minister officials city police report people year "
    "week month council water river bridge school hospital market prices energy "
    "workers union strike court judge ruling appeal election vote party leader "
    "army border talks ceasefire storm flood rain drought harvest farmers export "
    "import bank rates inflation budget tax spending road rail port airport flight "
    "museum festival team coach match season players fans stadium village mayor "
    "province region capital north south east west coast island mountain forest "
    "fire rescue crews residents homes damage repairs plan project company shares "
    "profit loss contract deal agreement statement spokesman spokeswoman agency "
    "ministry parliament law bill reform protest crowd square march evening morning "
    "early late new old first last second third major minor local national foreign"
)
VOCABULARY = _WORDS.split()

QUOTE = (
    "We will not accept any agreement that leaves the northern villages without "
    "water for another summer, and we have told the ministry so in writing"
)


def article(seed: int, paragraphs: int = 9, words_per_paragraph: int = 45) -> str:
    """A deterministic article of ``paragraphs`` paragraphs of random words."""
    rng = random.Random(seed)
    paras = []
    for _ in range(paragraphs):
        words = [rng.choice(VOCABULARY) for _ in range(words_per_paragraph)]
        words[0] = words[0].capitalize()
        paras.append(" ".join(words) + ".")
    return "\n\n".join(paras)


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def trimmed(text: str, fraction: float) -> str:
    """The first ``fraction`` of the paragraphs, as an outlet trims a wire story."""
    paras = paragraphs(text)
    return "\n\n".join(paras[: max(1, round(len(paras) * fraction))])


def with_quote(text: str, position: int = 2) -> str:
    paras = paragraphs(text)
    paras.insert(position, f'"{QUOTE}," the spokesman said.')
    return "\n\n".join(paras)


def first_words(text: str, count: int) -> str:
    """The first ``count`` words, paragraphs kept: an excerpt cut mid-paragraph."""
    kept, total = [], 0
    for para in paragraphs(text):
        words = para.split()
        if total + len(words) >= count:
            kept.append(" ".join(words[: count - total]))
            break
        kept.append(para)
        total += len(words)
    return "\n\n".join(kept)


def rewritten_top(text: str) -> str:
    """The second half of the paragraphs under a new first paragraph: an outlet's own top."""
    paras = paragraphs(text)
    top = "Officials gave more details on Tuesday as reaction came in from across the region."
    return "\n\n".join([top, *paras[len(paras) // 2 :]])


def reordered(text: str, seed: int = 0) -> str:
    paras = paragraphs(text)
    random.Random(seed).shuffle(paras)
    return "\n\n".join(paras)


def escaped(text: str) -> str:
    """As a CMS export leaves it: entities for quotes and apostrophes, tags, &nbsp;."""
    for char, entity in [("&", "&amp;"), ('"', "&quot;"), ("'", "&#39;")]:
        text = text.replace(char, entity)
    return "".join(f"<p>{p.replace('. ', '.&nbsp; ')}</p>" for p in paragraphs(text))


def long_quote(seed: int, words: int = 60) -> str:
    """A long quotation (word salad of its own seed)."""
    return " ".join(article(seed, paragraphs=1, words_per_paragraph=words).split())


def half_quote_copy(text: str, quote: str) -> str:
    """A short trimmed copy of ``text`` whose other half is a long quotation."""
    own = first_words(text, int(len(quote.split()) * 0.8))
    return f"{own}\n\n\u201c{quote},\u201d the statement said."


# Page furniture an extractor may leave on every page of one outlet: a menu
# row, a share bar, a log-in line and a subscription pitch -- more words than
# a short excerpt under it.
FURNITURE = "\n\n".join(
    [
        "Home | Politics | Economy | Sport | Travel | Weather | Podcasts | Video",
        "4 min read. Share. Tweet. Email this story. Print. Save for later. Comments (12).",
        "Sign in | Register | Subscribe. Already a member? Log in.",
        "Independent reporting costs money, and our newsroom relies on readers like you "
        "to keep it going.",
    ]
)


def under_furniture(text: str, count: int = 40) -> str:
    """A short excerpt of ``text`` under the outlet's page furniture."""
    return f"{FURNITURE}\n\n{first_words(text, count)}"
