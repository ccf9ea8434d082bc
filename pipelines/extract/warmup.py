"""Imported by the extraction workers' forkserver: one small page extracted in it, so that
every worker it forks starts warm.

The first extraction in a process pays for what is built on first use: the
dedupe fingerprint's character tables (~0.3 s), readability's import, the
regular expressions of trafilatura, htmldate and the junk rules.  Paid once in
the forkserver (``pipelines.workers.PRELOAD``), it is inherited by every worker,
including each one that replaces a recycled worker, instead of being paid again
by each.  The page states its language, so the language model (~70 MB) is not
loaded here: only a worker that meets a page without one loads it.

Importing this module never raises: a forkserver whose preload fails would
leave the pool without workers.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

PARAGRAPHS = [
    "The harbour council agreed on Tuesday night to keep the winter ferry timetable, after a"
    " long debate about fuel costs, crew rotas and the islands that were cut off last year.",
    "Councillors said the decision would cost the town more than it had planned, but that"
    " nobody on the islands should have to wait a week for a boat again this winter.",
    "The mayor thanked the crews and said the council would review the timetable in March.",
]
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    "<title>Harbour council keeps winter ferries | The Gazette</title>"
    '<meta property="og:title" content="Harbour council keeps winter ferries">'
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Harbour council'
    ' keeps winter ferries", "datePublished": "2024-01-09T18:00:00Z", "author": {"name":'
    ' "Ana Ribeiro"}}</script></head><body><nav><a href="/">Home</a> <a href="/news">News</a>'
    '</nav><article><h1>Harbour council keeps winter ferries</h1><p class="byline">By Ana'
    ' Ribeiro</p><figure><img src="/f.jpg"><figcaption>The ferry at dawn.</figcaption></figure>'
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "<p>Sign up for our newsletter.</p></article><footer>© 2024 The Gazette. All rights"
    " reserved.</footer></body></html>"
)


def warm() -> None:
    """Extract and fingerprint the page once; a failure only costs the warm start."""
    try:
        from wirewatch.pipelines.extract.worker import extract_in_worker

        extract_in_worker(PAGE.encode(), "https://gazette.example/news/ferries.html", None, None)
    except Exception:  # never in the way of the workers' start
        log.debug("extraction warm-up failed", exc_info=True)


warm()
