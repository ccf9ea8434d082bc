"""The Harbour Gazette: a small original news site whose pages share one promo line.

Extraction tests use it to show site-level learning: the promo is on every
page, so it is the site's boilerplate; each story is on one page only.
"""

from __future__ import annotations

PROMO = (
    "Get the Harbour Gazette app for breaking alerts and the morning briefing on your phone today."
)
STORIES = [
    "The ferry line will link the two islands again from the spring, the harbour authority said.",
    "The island council approved a new school budget after a long debate on Monday evening.",
    "Storm damage has closed the north pier to heavy vehicles until repairs are finished.",
    "Fishing quotas in the bay were cut again this year as stocks continued to fall sharply.",
    "The harbour festival returns in August after a two-year break, its organisers announced.",
]
DETAILS = (
    "Officials gave no further details.",
    "Residents had asked for the change for years.",
    "A public meeting is planned for next month.",
)


def article(story: str, promo: bool = True) -> str:
    """A page: the story's paragraphs, then (by default) the site's promo."""
    paragraphs = [f"{story} {detail}" for detail in DETAILS]
    if promo:
        paragraphs.append(PROMO)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    head = f"<head><title>{story[:40]}</title></head>"
    return f"<html>{head}<body><article>{body}</article></body></html>"
