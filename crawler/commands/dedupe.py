"""Cluster syndicated copies in a JSONL file, without a database; or rebuild the story index.

Its options, and the description `wirewatch dedupe --help` prints, are in
crawler/usage/dedupe.py (imported without this module); the clustering
itself is ``pipelines.batch_dedupe``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from wirewatch.pipelines.batch_dedupe import SERIAL_BELOW_BYTES, cluster_stream
from wirewatch.pipelines.errors import UsageError


def _rebuild_index(batch_size: int) -> int:
    """Re-fingerprint every stale copy, printing progress to stderr."""
    from wirewatch.pipelines import db
    from wirewatch.pipelines.fingerprint import VERSION
    from wirewatch.pipelines.stories import RebuildProgress, rebuild_index

    started = time.monotonic()

    def progress(state: RebuildProgress) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = state.done / elapsed
        left = (state.stale - state.done) / rate if rate else 0.0
        share = 100.0 * state.done / state.stale if state.stale else 100.0
        print(
            f"rebuild-index: {state.done}/{state.stale} copies ({share:.1f}%), "
            f"{rate:.0f}/s, {state.merged} stories merged, about {left / 60:.0f} min left",
            file=sys.stderr,
            flush=True,
        )

    with db.session() as conn:
        conn.autocommit = True
        report = rebuild_index(conn, batch_size=batch_size, progress=progress)
    pruned = f"; {report.pruned} pruned copies keep their old keys" if report.pruned else ""
    print(
        f"re-fingerprinted {report.done} of {report.stale} copies to fingerprint version "
        f"{VERSION}; {report.merged} stories merged into others{pruned}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if args.rebuild_index == bool(args.file):
        raise UsageError("give either FILE or --rebuild-index")
    if args.rebuild_index:
        return _rebuild_index(args.batch_size)
    if args.file == "-":
        ids, labels = cluster_stream(sys.stdin.buffer, "<stdin>", args.jobs)
    else:
        try:
            handle = open(args.file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
        with handle:
            small = os.fstat(handle.fileno()).st_size < SERIAL_BELOW_BYTES
            ids, labels = cluster_stream(handle, args.file, 1 if small else args.jobs)
    out = sys.stdout
    try:
        for doc_id, label in zip(ids, labels, strict=True):
            out.write(json.dumps({"id": doc_id, "cluster": label}, ensure_ascii=False))
            out.write("\n")
        out.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
