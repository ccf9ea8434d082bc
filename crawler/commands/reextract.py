"""Extract stored articles again from their archived pages.

Its options, and the description `wirewatch reextract --help` prints, are in
crawler/usage/reextract.py (imported without this module).
"""

from __future__ import annotations

import argparse

from wirewatch.crawler.archive import archive_dir
from wirewatch.pipelines.progress import Bar
from wirewatch.pipelines.reextract import (
    CHANGED,
    REJECTED,
    STORE_FAILED,
    SUPERSEDED,
    UNCHANGED,
    UNREADABLE,
    ReextractOptions,
    ReextractReport,
    reextract,
)


def run(args: argparse.Namespace) -> int:
    options = ReextractOptions(
        source=args.source,
        since=args.since,
        dry_run=args.dry_run,
        restart=args.restart,
        jobs=args.jobs,
        timeout=args.timeout,
    )
    root = archive_dir(args.config)
    with Bar("reextract", unit=" articles") as bar:
        counts = {CHANGED: 0, UNREADABLE: 0}

        def seen(kind: str) -> None:
            if kind in counts:
                counts[kind] += 1
            bar.update()
            bar.postfix(changed=counts[CHANGED], missing=counts[UNREADABLE])

        def start(left: int) -> None:
            bar.set(0, total=left)

        report = reextract(root, options, on_article=seen, on_start=start)
    print(summary(report))
    return 0


def summary(report: ReextractReport) -> str:
    c = report.counts
    changed = "would change" if report.dry_run else "changed (new revisions)"
    lines = [
        f"re-extracted {report.reextracted:,} of {report.archived:,} archived articles "
        f"({report.selection}) in {report.seconds:.1f} s"
        + (f", resuming after {report.resumed_at:,} done earlier" if report.resumed_at else "")
        + (" -- dry run, nothing written" if report.dry_run else ""),
        f"  {changed}: {c[CHANGED]:,}",
        f"  unchanged: {c[UNCHANGED]:,}",
        f"  missing archive (file pruned, or record damaged): {c[UNREADABLE]:,}",
    ]
    if c[REJECTED]:
        lines.append(f"  no longer taken for an article (left as they were): {c[REJECTED]:,}")
    if c[STORE_FAILED]:
        lines.append(f"  refused by the database (logged above): {c[STORE_FAILED]:,}")
    if c[SUPERSEDED]:
        lines.append(f"  updated by a crawl meanwhile (left as they were): {c[SUPERSEDED]:,}")
    if report.not_archived:
        lines.append(f"  never archived (or archive pruned): {report.not_archived:,}")
    return "\n".join(lines)
