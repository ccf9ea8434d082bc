"""Cluster syndicated copies in a JSONL file, without a database; or rebuild the story index.

Input: one JSON object per line, {"id": str, "text": str} plus optional
"title", "url", "source", "published" (ignored for matching).  Blank lines
are skipped.  Output on stdout: one line per input document, in input order,
{"id": str, "cluster": str}; documents with the same "cluster" are copies of
one story, named after the id of its first document.  The partition does not
depend on the order of the lines.

The work runs in three passes over worker processes: fingerprint every
document (its shingles go to a temporary file, so texts are never all in
memory), find candidate pairs by sorting keys, compare the candidates.

--rebuild-index re-fingerprints the stored copies after an upgrade changed
``fingerprint.VERSION``: resumable (what is done is marked), with progress on
stderr, while crawls keep running.
"""

from __future__ import annotations

import argparse
import os

NAME = "dedupe"
HELP = "cluster syndicated copies in a JSONL file (no database needed), or --rebuild-index"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", nargs="?", help="JSONL input; '-' reads stdin")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes (default: one per CPU)",
    )
    parser.add_argument(
        "--rebuild-index",
        action="store_true",
        help="re-fingerprint the stored copies for this version's fingerprints (resumable)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="--rebuild-index: copies read per query and per progress line (default 500)",
    )
