"""Junk-line rules: lines that are not article text on any news site.

Each rule is small and named so a removed line can be traced to the rule that
removed it.  Rules only judge short lines (a real paragraph that happens to
mention a newsletter is kept); the about-us and trailer rules also look at
where the line sits.  What one site repeats on every page is not here: that is
``sitelearn``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# Lines longer than this many words are prose, whatever they mention.
SHORT_LINE_WORDS = 25


@dataclass(frozen=True)
class Rule:
    name: str
    test: Callable[[str], bool]
    # Judges lines of at most SHORT_LINE_WORDS words only: ``junk_rule`` does not ask it
    # of a longer one (most lines of an article are longer).
    short: bool = False


def _pattern(name: str, regex: str, *, short: bool = True, needs: tuple[str, ...] = ()) -> Rule:
    """A case-insensitive search; ``short``: of short lines only; ``needs``: lower-case
    words one of which every match holds, looked for first (a fast scan: the search of a
    rule that judges long lines too cost ~20 us a paragraph)."""
    compiled = re.compile(regex, re.IGNORECASE)

    def test(line: str) -> bool:
        if needs and not _holds_any(line, needs):
            return False
        return compiled.search(line) is not None

    return Rule(name, test, short)


def _holds_any(line: str, words: tuple[str, ...]) -> bool:
    """Whether the line holds one of ``words`` in any case (casefolded: whatever a
    case-insensitive pattern matches, ``ſ`` for ``s`` included)."""
    folded = _folded(line)
    return any(word in folded for word in words)


@lru_cache(maxsize=64)
def _folded(line: str) -> str:
    return line.casefold()


@lru_cache(maxsize=64)
def _word_count(line: str) -> int:
    """Words in a line: asked by every short-line rule of the same line in turn."""
    return len(line.split())


def _bare(*phrases: str) -> Callable[[str], bool]:
    """The line is nothing but one of these phrases (give or take punctuation)."""
    wanted = {p.lower() for p in phrases}

    def test(line: str) -> bool:
        return line.strip(" \t•·|>»:.!-–—()[]").lower() in wanted

    return test


_READ_MORE = re.compile(
    r"^(read more|more from|continue reading|read the (full|original)|click here|also read|"
    r"see also|read next|watch more|related(?=\s*:|$)|"
    # The same links on German, French, Spanish, Portuguese, Italian and Russian sites.
    r"lesen sie (auch|mehr)|mehr zum thema|à lire aussi|lire aussi|lea también|lee también|"
    r"leia também|leggi anche|читайте также)",
    re.IGNORECASE,
)


def _read_more(line: str) -> bool:
    """A link to other content, also glued to the next link's text ("Read moreAccessibility")."""
    match = _READ_MORE.match(line)
    if not match:
        return False
    rest = line[match.end() :]
    return not rest or not rest[0].isalpha() or rest[0].isupper()


_BYLINE_START = re.compile(r"^(by|von|par|por|от)\s*:?\s+(?P<names>.+)$", re.IGNORECASE)
_NAME_WORD = re.compile(r"^([A-ZÀ-ÝА-Я][\w.'’-]*|and|und|et|y|и|&|[A-Z]\.)$")


def _byline(line: str) -> bool:
    """ "By Ana Ribeiro and Tom Field": a byline line, names only (not "By Monday, prices rose")."""
    match = _BYLINE_START.match(line)
    if not match:
        return False
    words = match.group("names").replace(",", " ").split()
    return 0 < len(words) <= 10 and all(_NAME_WORD.match(w) for w in words)


_STAMP_WORDS = (
    r"(last )?(published|updated|posted|veröffentlicht|aktualisiert|publié|mis à jour|publicado|"
    r"actualizado|atualizado|pubblicato|aggiornato|güncelleme|опубликовано|обновлено|objavljeno)"
)
_TIMESTAMP = re.compile(
    rf"^\W*{_STAMP_WORDS}\s*(:|\d|(on|am|at|le|el|em|il)\s)|\b{_STAMP_WORDS}\s*:", re.IGNORECASE
)


def _timestamp(line: str) -> bool:
    """A publication or update stamp line ("Published 13 May 2026 15:44", "Updated: ...")."""
    return (
        _word_count(line) <= 14
        and any(ch.isdigit() for ch in line)
        and _TIMESTAMP.search(line) is not None
    )


# Link labels of a site's legal footer; a line made of them is that footer.
_LEGAL_LABEL = re.compile(
    r"^(terms( of (use|service)| (and|&) conditions)?|privacy( policy| notice| statement)?"
    r"|cookie( policy| settings)?|accessibility|sitemap|site map|contact( us)?|about( us)?"
    r"|advertise( with us)?|careers|rss|archives?|newsletters?|help)$",
    re.IGNORECASE,
)
_LEGAL_SENTENCE = re.compile(
    r"\b(this material|the material on this site) may not be (published|reproduced)"
    r"|\buse of this (web)?site constitutes (acceptance|agreement)"
    r"|\blearn more about our privacy policy"
    r"|\bregistered (in england|office)\b"
    r"|\b(terms of (use|service)|privacy policy)( and| &| /)? (apply|terms of|privacy)",
    re.IGNORECASE,
)


# One of these is in every match of _LEGAL_SENTENCE.
_LEGAL_SENTENCE_WORDS = ("material", "use of this", "privacy policy", "registered", "terms of")

_SHARE_LABEL = re.compile(
    r"^(e-?mail( this( story| article)?)?|print( this( story| article)?)?|printer[- ]friendly"
    r"( version)?|share( this)?|tweet|facebook|twitter|x|whatsapp|linkedin|reddit|copy link"
    r"|comments?( \(\d+\))?|\d+ comments?|save|reprints?)$",
    re.IGNORECASE,
)


def _share_row(line: str) -> bool:
    """A row of sharing tools: "E-mail this story | Printer-friendly version", "Email · Print"."""
    if not any(separator in line for separator in "|·•"):
        return False  # one label at most
    labels = [part.strip() for part in re.split(r"\s*[|·•]\s*", line) if part.strip()]
    return len(labels) >= 2 and all(_SHARE_LABEL.match(label) for label in labels)


def _legal_line(line: str) -> bool:
    """A legal footer: a row of links (Terms | Privacy | Cookies) or one of its sentences."""
    if _word_count(line) > 60:
        return False
    if _holds_any(line, _LEGAL_SENTENCE_WORDS) and _LEGAL_SENTENCE.search(line):
        return True
    if not any(separator in line for separator in "|·•/"):
        return False  # one label at most
    labels = [part.strip() for part in re.split(r"\s*[|·•/]\s*", line) if part.strip()]
    return len(labels) >= 2 and sum(bool(_LEGAL_LABEL.match(x)) for x in labels) >= 2


RULES: tuple[Rule, ...] = (
    _pattern("skip_link", r"^(skip to (main )?(content|navigation)|accessibility links|jump to)"),
    Rule(
        "banner",
        _bare(
            "breaking news",
            "breaking",
            "live",
            "developing story",
            "exclusive",
            "advertisement",
            "ad",
            "sponsored",
            "sponsored content",
            "story continues below advertisement",
            "article continues below",
            "continue reading below",
            "scroll to continue",
        ),
    ),
    _pattern(
        "image_placeholder",
        r"^[•·\s]*(\d+\s*x\s*\d+ (image|photo)|image|photo|video|gallery|play video|"
        r"watch|listen|enlarge this image|open image in gallery|image source, .*|"
        r"image caption, ?.*|media caption, ?.*|video caption, ?.*|expand|view gallery)"
        r"[\s:.]*$",
    ),
    _pattern(
        "caption_credit",
        r"(\((AP|AFP|Reuters|EPA|Getty)( Photo)?/[^)]*\)\s*$"
        r"|\b(REUTERS|AFP|EPA)/[A-Z][\w.\- ]+(/File( Photo)?)?\.?\s*$"
        r"|^(photo|image|picture|photograph|credit|foto)( credit)?\s*:"
        r"|(Getty Images|via Getty Images|Shutterstock|AFP via Getty|File Photo)\.?\s*\)?\s*$"
        r"|\(unseen\))",
        short=False,
        needs=(
            "/",
            "photo",
            "image",
            "picture",
            "credit",
            "foto",
            "getty",
            "shutterstock",
            "(unseen)",
        ),
    ),
    _pattern(
        "reporting_credit",
        r"^\(?(with )?(additional )?(reporting|writing|editing|compiled|translated|produced)"
        r" (by|from) [^.]{2,200}\.?\)?$"
        r"|^(translation|übersetzung|traduction|traducción)\b[\w ]{0,30}:",
    ),
    Rule("byline", _byline),
    _pattern(
        "reading_time",
        r"^\d+\s*(min(ute)?s?\.?|minuten|minutos)\s*"
        r"(read|reading|lesezeit|de lecture|de lectura|de leitura)?$"
        r"|^(reading time|lesezeit|temps de lecture|tiempo de lectura)\s*:?\s*\d+",
    ),
    Rule("timestamp", _timestamp),
    _pattern(
        "donation_prompt",
        r"^support (the |our |independent |quality )?[\w ]{0,40}!?$"
        r"|^(donate|make a (donation|contribution))\b"
        r"|\bbecome an? (member|supporter|patron|subscriber)\b"
        r"|\bsupport (our|independent|quality) journalism\b",
    ),
    _pattern(
        "newsletter_prompt",
        r"\b(sign up|subscribe|register)\b.{0,80}\b(newsletter|inbox|updates|alerts|briefing)\b"
        r"|^(get|receive) (the|our) .{0,60}\b(newsletter|in your inbox)\b"
        r"|^newsletter\b|(^|[?!.]\s+)sign up\b"
        r"|\b(delivered|sent)( straight)? to your inbox\b|\bin your inbox\b"
        r"|\bsubscribe to our (free )?(daily |weekly )?(e-?mail|newsletter)",
    ),
    _pattern(
        "own_newsletter_pitch",
        r"\b(sign up|subscribe)\b.{0,30}\bour\b.{0,40}\bnewsletters?\b",
        short=False,
        needs=("newsletter",),
    ),
    _pattern(
        "comments_prompt",
        r"^(please )?(join|start|leave|add|post|view|read|show|see)\b.{0,40}"
        r"\b(comments?|commenting|conversations?|discussion)\b"
        r"|^have your say\b|\bjoin the (conversation|discussion)\b"
        r"|^comments are (closed|moderated|reviewed)\b|^(leave|post) a (reply|comment)\b"
        r"|^load (more|all) comments\b|^sort by (best|newest|oldest|top)\b",
    ),
    _pattern("advertisement", r"^(advertisement|story continues below|article continues after)\b"),
    _pattern(
        "share_prompt",
        r"^(share|share this( article| story| page)?|share on \w+|copy link( copied)?|"
        r"tweet|email|print|comments?|\d+ comments?)\s*[!:.]?$"
        r"|^(follow|like) us on\b|^share (this|on|via)\b"
        r"|^(e-?mail|print) this (story|article|page)$|^printer[- ]friendly( version)?$",
    ),
    Rule("share_row", _share_row),
    _pattern(
        "follow_prompt",
        r"^follow (us|[A-Z][\w.'’-]*( [A-Z][\w.'’-]*){0,4})( on)?\b.{0,20}"
        r"\b(facebook|twitter|x|instagram|youtube|linkedin|tiktok|threads|bluesky)\b"
        r"|^follow( us| [A-Z][\w.'’-]*)?( on)?:?$",
    ),
    _pattern("news_tip", r"^(have|got) a (news )?tip\b|^send us your (news )?tips\b|^news tip$"),
    _pattern(
        "tag_line",
        r"^(related )?(topics|tags|labels|filed under|categories|keywords)\s*:\s*\S.{0,150}$"
        r"|^related topics$",
    ),
    Rule(
        "legal_line",
        _legal_line,
    ),
    _pattern(
        "login_prompt",
        r"^(log ?in|sign ?in|register|create an? (free )?account)\b.{0,60}$"
        r"|\balready (a subscriber|have an account)\b"
        r"|\b(sign|log)[- ]?in if you (already )?have an account\b"
        r"|\bto (continue reading|read the full)\b",
    ),
    Rule("read_more", _read_more, short=True),
    _pattern(
        "cookie_notice",
        r"\b(uses? cookies|cookie (policy|settings|preferences)|accept (all )?cookies"
        r"|enable javascript|javascript is disabled|browser (is not|isn't) supported"
        r"|ad ?blocker|disable your ad)\b",
    ),
    _pattern(
        "contact_line",
        r"^(write to|email|e-mail|contact|reach)( the (author|reporter|writer))?"
        r"( [\w.'’-]+){0,5} at \S+@\S+\.\w+\.?$",
    ),
    _pattern("copyright", r"^(©|\(c\)|copyright\b).{0,150}$|\ball rights reserved\.?\s*$"),
)

# Cut-off excerpts shorter than this are not told apart from headlines and captions.
TEASER_MIN_WORDS = 30
# A heading after which the rest of the text is a list of other stories.
TRAILER_HEADING = re.compile(
    r"^(other |more )?(related( stories| articles| coverage| content| news| reading| links)?"
    r"|more on this story"
    r"|more (stories|news|from [\w ]{1,30})|recommended( for you| stories| reading)?"
    r"|must[- ]reads?( from [\w ]{1,30})?|editors'? picks"
    r"|you (may|might) also like|most (read|popular|viewed)|trending( now)?|top stories"
    r"|(other|latest|top) (stories|headlines|news)|in other news|see also|elsewhere"
    r"|read (more|next)|what to read next|latest news|more in [\w ]{1,30})\s*:?$",
    re.IGNORECASE,
)
# The outlet describing itself ("We provide ... uncensored news"), as a closing line.
_FIRST_PERSON_PLURAL = re.compile(r"\b(we|our|us)\b", re.IGNORECASE)
_ABOUT_US_WORDS = re.compile(
    r"\b(journalis(ts?|m)|newsroom|news (organi[sz]ation|outlet|service)|free press|"
    r"independent (media|news|journalism)|uncensored|our mission|languages|reporters?|"
    r"(latest|breaking) news|scoops|commentary|bookmark|reader[- ](funded|supported)|"
    r"voice of|since \d{4}|without fear or favou?r|news that matters)\b",
    re.IGNORECASE,
)
_QUOTES = re.compile(r"[\"“”«»„]")


# The rules a line of more than SHORT_LINE_WORDS words is asked, in the same order.
_LONG_LINE_RULES = tuple(rule for rule in RULES if not rule.short)


def junk_rule(line: str) -> str | None:
    """Name of the first rule that calls this line junk, or None."""
    stripped = line.strip().lstrip("-•·*> ")
    if not stripped:
        return "empty"
    rules = _LONG_LINE_RULES if _word_count(stripped) > SHORT_LINE_WORDS else RULES
    for rule in rules:
        if rule.test(stripped):
            return rule.name
    return None


def is_about_us(line: str) -> bool:
    """An outlet's self-description: first person plural, about journalism, not a quote."""
    if _QUOTES.search(line) or len(line.split()) > 80:
        return False
    return len(_FIRST_PERSON_PLURAL.findall(line)) >= 1 and len(_ABOUT_US_WORDS.findall(line)) >= 2


def clean_lines(lines: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Drop junk lines; returns the kept lines and (rule, line) for each dropped one."""
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        if TRAILER_HEADING.match(line.strip()) and index >= len(lines) // 2:
            # The rest is a list of other stories' headlines: drop the heading and
            # every following short line, keep any real paragraph after it.
            dropped.append(("related_trailer", line))
            for rest in lines[index + 1 :]:
                if len(rest.split()) <= SHORT_LINE_WORDS or junk_rule(rest):
                    dropped.append(("related_trailer", rest))
                else:
                    kept.append(rest)
            break
        rule = junk_rule(line)
        at_end = index >= len(lines) - 2 or line.lower().startswith("about ")
        if rule is None and at_end and is_about_us(line):
            rule = "about_us"
        if rule:
            dropped.append((rule, line))
        else:
            kept.append(line)
    teasers = trailing_teasers(kept)
    if teasers:
        dropped += [("teaser_trailer", line) for line in kept[-teasers:]]
        kept = kept[:-teasers]
    return kept, dropped


def is_cut_off(line: str) -> bool:
    """A long excerpt stopped mid-sentence: how other stories' teasers end."""
    text = line.rstrip()
    if len(text.split()) < TEASER_MIN_WORDS:
        return False
    return text.endswith(("…", "...")) or text[-1].isalnum() or text[-1] in ",;-–—"


def trailing_teasers(lines: list[str]) -> int:
    """How many lines at the end are cut-off excerpts of other stories (two or more in a row).

    One cut-off paragraph may be a page that arrived truncated; a run of them
    after the story is a list of teasers.
    """
    run = 0
    for line in reversed(lines[1:]):  # never the whole text
        if not is_cut_off(line):
            break
        run += 1
    return run if run >= 2 else 0
