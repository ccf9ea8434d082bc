"""Wire credit and dateline: what the dedupe and the feed use to tie syndicated copies together.

News agencies open a story with a dateline and their credit
("MEXICO CITY (AP) — ", "KATHMANDU, April 25 (Reuters) - ", "PARIS (AFP) – ")
and outlets that reprint a story keep it; a byline or author that is the
agency ("Associated Press", "By Reuters") credits it too.
"""

from __future__ import annotations

import re

# Spellings seen in credits -> the name stored in ``wire_credit``.
AGENCIES = {
    "ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "reuters": "Reuters",
    "thomson reuters": "Reuters",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "upi": "UPI",
    "dpa": "dpa",
    "bloomberg": "Bloomberg",
    "aap": "AAP",
    "pa": "PA",
    "pa media": "PA",
    "ani": "ANI",
    "pti": "PTI",
    "ians": "IANS",
    "xinhua": "Xinhua",
    "tass": "TASS",
    "efe": "EFE",
    "ansa": "ANSA",
    "kyodo": "Kyodo",
    "yonhap": "Yonhap",
    "anadolu": "Anadolu",
    "anadolu agency": "Anadolu",
    "cna": "CNA",
    "interfax": "Interfax",
    "ria novosti": "RIA Novosti",
}
_AGENCY_ALTERNATIVES = "|".join(sorted((re.escape(k) for k in AGENCIES), key=len, reverse=True))
# CITY[, Region][, Month Day] (Agency) — ...
_DATELINE = re.compile(
    r"^\s*(?P<city>[A-ZÀ-Ý][A-ZÀ-Ý.'’\- ]{1,40}?|[A-Z][a-zà-ÿ]+(?: [A-Z][a-zà-ÿ]+){0,2})"
    r"(?:,\s*(?P<region>[A-Z][\w.]*(?: [A-Z][\w.]*){0,2}))?"
    r"(?:,\s*(?P<date>[A-Z][a-z]{2,8}\.? \d{1,2}))?"
    r"\s*(?:\((?P<agency>" + _AGENCY_ALTERNATIVES + r")\))?"
    r"\s*[—–-]{1,2}\s+\S",
    re.IGNORECASE,
)
_UPPER_DATELINE = re.compile(r"^[A-ZÀ-Ý][A-ZÀ-Ý.'’\- ]{1,40}$")
_BYLINE_AGENCY = re.compile(
    r"^\s*(?:by\s+)?(?P<agency>" + _AGENCY_ALTERNATIVES + r")\s*$", re.IGNORECASE
)


def agency(name: str) -> str | None:
    return AGENCIES.get(" ".join(name.lower().split()))


def parse_dateline(first_paragraph: str) -> tuple[str | None, str | None]:
    """(dateline city, wire credit) from the opening of a story."""
    match = _DATELINE.match(first_paragraph)
    if not match:
        return None, None
    city = match.group("city").strip()
    credit = agency(match.group("agency")) if match.group("agency") else None
    # Without an agency credit only an all-caps city is a dateline ("WASHINGTON — ");
    # "Mr Smith - who ..." is not.
    if credit is None and not _UPPER_DATELINE.match(city):
        return None, None
    if credit is not None and not (city[0].isupper()):
        return None, None
    return city.upper(), credit


def wire_credit(paragraphs: list[str], authors: list[str]) -> tuple[str | None, str | None]:
    """(wire credit, dateline city) from the text's opening, else from the byline."""
    city = credit = None
    for paragraph in paragraphs[:3]:
        city, credit = parse_dateline(paragraph)
        if city:
            break
    if credit is None:
        for author in authors:
            match = _BYLINE_AGENCY.match(author)
            if match:
                credit = agency(match.group("agency"))
                break
    return credit, city
