"""Backfill from WARC files (Common Crawl's CC-NEWS, your own archives).

Its options, and the description `wirewatch import-warc --help` prints, are in
crawler/usage/import_warc.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import IO, Any

from wirewatch.crawler.config import load_config
from wirewatch.pipelines.errors import ConfigError, UsageError
from wirewatch.pipelines.progress import Bar
from wirewatch.pipelines.warc_import import (
    DEFAULT_SOURCE,
    STORED,
    Importer,
    ImportOptions,
    Summary,
    parse_when,
)
from wirewatch.pipelines.warc_reader import describe, is_url, read_paths_file

_SOURCE_NAME = re.compile(r"^[a-z0-9_-]+$")


def options_from(args: argparse.Namespace) -> ImportOptions:
    """Checked options; a bad value is a usage error (exit 2) before anything is read."""
    if not _SOURCE_NAME.match(args.source):
        raise UsageError("--source must match [a-z0-9_-]+")
    if min(args.jobs, args.writers, args.checkpoint_every) < 1:
        raise UsageError("--jobs, --writers and --checkpoint-every must be at least 1")
    if args.timeout <= 0 or args.max_record_mb <= 0:
        raise UsageError("--timeout and --max-record-mb must be positive")
    try:
        url_filter = re.compile(args.url_filter) if args.url_filter else None
    except re.error as exc:
        raise UsageError(f"--url-filter: bad regular expression: {exc}") from None
    if args.lang and not re.fullmatch(r"[A-Za-z]{2,3}", args.lang):
        raise UsageError("--lang takes a language code such as en or de")
    try:
        since = parse_when(args.since) if args.since else None
        until = parse_when(args.until, end_of_day=True) if args.until else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return ImportOptions(
        source=args.source,
        wire=_configured_wire(args),
        url_filter=url_filter,
        language=args.lang.lower() if args.lang else None,
        since=since,
        until=until,
        alerts=args.alerts,
        jobs=args.jobs,
        writers=args.writers,
        checkpoint_records=args.checkpoint_every,
        timeout=args.timeout,
        max_record_bytes=int(args.max_record_mb * 1024 * 1024),
    )


def _configured_wire(args: argparse.Namespace) -> bool:
    """A configured source keeps its ``wire`` flag (it decides canonical copies)."""
    if args.source == DEFAULT_SOURCE:
        return False
    try:
        config = load_config(args.config)
    except ConfigError:
        return False
    return any(s.name == args.source and s.wire for s in config.sources)


def locations_from(args: argparse.Namespace) -> list[str]:
    locations = list(args.files)
    if args.files_from:
        try:
            listed = read_paths_file(args.files_from)
        except OSError as exc:
            raise UsageError(str(exc)) from None
        locations += [with_prefix(entry, args.prefix) for entry in listed]
    if not locations:
        raise UsageError("give WARC files or URLs (or --files-from LIST)")
    if locations.count("-") > 1 or ("-" in locations and args.files_from == "-"):
        raise UsageError("standard input can be read once")
    return locations


def with_prefix(entry: str, prefix: str | None) -> str:
    """A CC-NEWS paths entry (``crawl-data/CC-NEWS/...``) made a URL by ``--prefix``."""
    if not prefix or is_url(entry) or entry.startswith("/"):
        return entry
    return prefix.rstrip("/") + "/" + entry.lstrip("/")


def run(args: argparse.Namespace) -> int:
    options = options_from(args)
    locations = locations_from(args)
    with _Progress(sys.stderr) as progress:
        importer = Importer(options, on_record=progress.record, on_file=progress.file)
        summary = importer.run(locations)
    if args.json:
        print(json.dumps(summary_json(summary), indent=2))
    else:
        print_summary(summary, sys.stdout)
    return 1 if any(f.state in ("failed", "lost") for f in summary.files) else 0


# -- progress and summary ------------------------------------------------------------------


class _Progress:
    """Pages read (rate) and articles stored, on a terminal only (``crawler.progress``)."""

    def __init__(self, stream: IO[str]):
        self.bar = Bar(
            unit=" pages",
            stream=stream,
            smoothing=0.1,
            bar_format="{desc}{n_fmt} pages [{elapsed}, {rate_noinv_fmt}{postfix}]",
        )
        self.stored = 0

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def record(self, kind: str) -> None:
        if kind in (STORED["new"], STORED["updated"]):
            self.stored += 1
            self.bar.postfix(stored=self.stored)
        self.bar.update(1)

    def file(self, location: str) -> None:
        self.bar.describe(describe(location)[:40])


_STORED_ORDER = (STORED["new"], STORED["updated"], STORED["unchanged"])


def summary_rows(summary: Summary) -> list[tuple[str, int]]:
    """(outcome, records) for this run: stored first, then skips by count."""
    rows = [(kind, summary.counts[kind]) for kind in _STORED_ORDER if summary.counts[kind]]
    skipped = [(k, n) for k, n in summary.counts.items() if k not in _STORED_ORDER and n]
    return rows + sorted(skipped, key=lambda item: (-item[1], item[0]))


def print_summary(summary: Summary, out: IO[str]) -> None:
    rows = summary_rows(summary)
    width = max([len("outcome"), *(len(k) for k, _ in rows)])
    out.write(f"{'outcome':<{width}}  {'records':>9}\n")
    for kind, count in rows:
        out.write(f"{kind:<{width}}  {count:>9,}\n")
    out.write(f"{'total':<{width}}  {summary.records:>9,}\n\n")
    for report in summary.files:
        detail = f": {report.message}" if report.message else ""
        out.write(f"{report.state:<12} {report.location}{detail}\n")
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    stored_rate = summary.stored / summary.seconds if summary.seconds else 0.0
    out.write(
        f"\n{summary.records:,} records in {summary.seconds:.1f}s ({rate:.1f} pages/s), "
        f"{summary.stored:,} articles stored ({stored_rate:.1f}/s)\n"
    )


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "counts": dict(summary.counts),
        "records": summary.records,
        "stored": summary.stored,
        "seconds": round(summary.seconds, 3),
        "files": [
            {
                "location": f.location,
                "state": f.state,
                "records": f.records,
                "counts": dict(f.counts),
                "message": f.message,
            }
            for f in summary.files
        ],
    }
