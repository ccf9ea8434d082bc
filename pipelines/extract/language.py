"""An article's language: the one its page states, else the one its text is written in.

Both come out the same way, a lowercase ISO 639-1 code ("en", not "en-US" or
"eng"), so search, alerts' ``lang:`` filters and the feed compare like with
like.  Detection uses py3langid (a naive Bayes model over byte n-grams, about
a millisecond per article); its model is loaded on first use in each process,
so extraction workers never receive it pickled and importing this module stays
cheap.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# Every ISO 639-1 code, plus "sh" (Serbo-Croatian), which IANA still registers
# and Balkan sites still state.
_ISO_639_1_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv
kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr
nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so
sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo
xh yi yo za zh zu"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
# Withdrawn codes pages still use, and Bokmål folded into "no" (what the model says for it).
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "nb": "no"}
# Three-letter codes (ISO 639-2/B, 639-2/T, 639-3) of news languages, and the model's own
# labels for varieties whose macrolanguage has a two-letter code.
_THREE_LETTER = {
    "ara": "ar", "ary": "ar", "arz": "ar", "aze": "az", "bel": "be", "ben": "bn", "bos": "bs",
    "bul": "bg", "cat": "ca", "ces": "cs", "cze": "cs", "chi": "zh", "zho": "zh", "wuu": "zh",
    "yue": "zh", "cym": "cy", "wel": "cy", "dan": "da", "deu": "de", "ger": "de", "ell": "el",
    "gre": "el", "grc": "el", "eng": "en", "est": "et", "eus": "eu", "baq": "eu", "fas": "fa",
    "per": "fa", "fil": "tl", "tgl": "tl", "fin": "fi", "fra": "fr", "fre": "fr", "fuv": "ff",
    "gle": "ga", "glg": "gl", "gug": "gn", "heb": "he", "hbo": "he", "hin": "hi", "hrv": "hr",
    "hun": "hu", "hye": "hy", "arm": "hy", "ind": "id", "isl": "is", "ice": "is", "ita": "it",
    "jpn": "ja", "kat": "ka", "geo": "ka", "kaz": "kk", "kik": "ki", "kor": "ko", "sdh": "ku",
    "lav": "lv", "lit": "lt", "mkd": "mk", "mac": "mk", "msa": "ms", "may": "ms", "nld": "nl",
    "dut": "nl", "nor": "no", "nob": "no", "nno": "nn", "pol": "pl", "por": "pt", "ron": "ro",
    "rum": "ro", "rus": "ru", "slk": "sk", "slo": "sk", "slv": "sl", "spa": "es", "sqi": "sq",
    "alb": "sq", "srp": "sr", "swa": "sw", "swe": "sv", "tha": "th", "tur": "tr", "ukr": "uk",
    "urd": "ur", "uzb": "uz", "uzs": "uz", "vie": "vi",
}  # fmt: skip
# Language names some sites put where a code belongs (content-language="English").
_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "français": "fr",
    "spanish": "es", "español": "es", "russian": "ru", "русский": "ru", "ukrainian": "uk",
    "українська": "uk", "arabic": "ar", "العربية": "ar", "portuguese": "pt", "português": "pt",
    "italian": "it", "italiano": "it", "dutch": "nl", "nederlands": "nl", "polish": "pl",
    "polski": "pl", "turkish": "tr", "türkçe": "tr", "chinese": "zh", "中文": "zh",
    "japanese": "ja", "日本語": "ja",
}  # fmt: skip

# Enough text to identify a language reliably, yet a bounded cost on a very long page.
SAMPLE_CHARS = 5000
# From this many words on, the best guess is always returned (the extraction contract:
# an article of 50+ words has a language); shorter texts only when the model is sure.
CONFIDENT_WORDS = 50
SHORT_TEXT_CONFIDENCE = 0.9
# A word is a run of letters; in scripts written without spaces, each character counts.
_WORD = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
    r"|[^\W\d_]+"
)


def to_iso639_1(code: str) -> str | None:
    """A language code or name (any case, with or without region) as ISO 639-1, or None."""
    primary = code.strip().lower().replace("_", "-").split("-")[0].strip()
    if primary in ISO_639_1:
        return _RENAMED.get(primary, primary)
    return _RENAMED.get(primary) or _THREE_LETTER.get(primary) or _NAMES.get(primary)


def normalize_language(value: object) -> str | None:
    """The language a page states, as a lowercase ISO 639-1 code; None when it states none.

    Takes ``<html lang>`` ("en-US"), ``og:locale`` ("en_US"), content-language
    ("de, en": the first), or JSON-LD ``inLanguage`` (a code, a list, or a
    Language object).  Placeholders that are no language ("x-default", "*",
    "und", "mul", "") and country codes used by mistake ("gb", "jp") give None,
    so the text's own language is detected instead of trusting them.
    """
    if isinstance(value, list):
        return next((code for v in value if (code := normalize_language(v))), None)
    if isinstance(value, dict):
        return normalize_language(value.get("alternateName")) or normalize_language(
            value.get("name")
        )
    if not isinstance(value, str):
        return None
    first = re.split(r"[,;]", value, maxsplit=1)[0]
    return to_iso639_1(first) if first.strip() else None


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None.

    Only the first ``SAMPLE_CHARS`` characters are read (about a millisecond).
    Model labels without a two-letter code are folded into their macrolanguage
    (Egyptian Arabic -> "ar", Cantonese -> "zh") or, when they have none (Nigerian
    Pidgin, Kabyle...), left out, so the answer is always a code a page could state.
    With 50+ words the most likely language is returned whatever its probability,
    since a long text always has one; below that, only a guess of probability
    0.9 or more is (a title or a caption alone is often too short to tell).
    """
    sample = text[:SAMPLE_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return None
    scores: dict[str, float] = {}
    for label, probability in _identifier().rank(sample):
        if (code := to_iso639_1(label)) is not None:
            scores[code] = scores.get(code, 0.0) + probability
    if not scores:
        return None
    code, probability = max(scores.items(), key=lambda item: item[1])
    if probability >= SHORT_TEXT_CONFIDENCE or _words(sample) >= CONFIDENT_WORDS:
        return code
    return None


def _words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


@cache
def _identifier() -> LanguageIdentifier:
    """The model, loaded once per process (half a second) and only when first needed."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
