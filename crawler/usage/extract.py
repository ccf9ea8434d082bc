"""Extract article text and metadata from saved pages, without crawling.

``wirewatch extract PAGE`` prints the article text of one page (a file or an
http(s) URL).  ``wirewatch extract --jsonl FILE`` (``-`` for stdin) reads one
page per line, ``{"id": ..., "url": ..., "html": ...}``, and writes one JSON
line per input line, in the same order, with ``id, url, canonical_url, title,
text, published, authors, language`` (and ``wire_credit, dateline, ...``).
The whole file is treated as one crawl: boilerplate a site repeats across the
file's pages is removed from each of them; with ``--learned``, so is what
earlier crawls learned about the site (read from the database, never written).
A bad line gets an ``error`` field (and a message on stderr naming the line);
the other lines still come out, and the exit status is 1.
"""

from __future__ import annotations

import argparse

NAME = "extract"
HELP = "extract article text from a saved page or a JSONL batch of pages"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "page", nargs="?", metavar="URL-or-FILE.html", help="one page: an .html file or a URL"
    )
    parser.add_argument(
        "--jsonl", metavar="FILE", help='JSONL of {"id", "url", "html"} per line; - reads stdin'
    )
    parser.add_argument("--url", help="the page's URL, when PAGE is a file (for links and site)")
    parser.add_argument(
        "--json", action="store_true", help="one page: print the whole record as JSON"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes for --jsonl (default: 2)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds one page may take (default: 30)"
    )
    parser.add_argument(
        "--learned",
        action="store_true",
        help="also remove the boilerplate crawls learned for these sites (read from the database)",
    )
