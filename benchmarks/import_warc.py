"""Backfill from WARC files: articles/s end to end, memory, two importers, real pages.

WARC files of a generated newsroom (``GeneratedNewsroom``: original HTML
written for the project, ~30% syndicated copies of wire stories, one host per
outlet, a request record before each response as in CC-NEWS) are imported by
``wirewatch import-warc`` in child processes, exactly as an operator runs it,
each scenario into a fresh database.

* **import**: ``--articles`` pages in ``--files`` files: wall seconds,
  records/s, articles stored per second (target: >= 40/s on 2 cores), peak
  RSS of the importer (and with its extraction workers); every page stored
  once and every wire story's copies folded into one story (checked against
  the generator's ground truth).
* **memory**: peak RSS of an import of 1,000 pages against the full one
  (target: flat, ratio <= 1.2).
* **two**: two importers at once on the same file list: disjoint files whose
  union is the list, the same stories as one importer, combined articles/s.
* **real**: the real pages of ``../shared/fixtures/real/`` (when present) in
  one WARC file: articles/s on pages of real-world size.
* **discovery**: ``wirewatch sources discover`` on loopback outlets built like
  real ones (``demo.outlets``: feeds linked from the head, a news
  sitemap only in robots.txt, listings only at common paths, none at all, and
  real feed and sitemap files): listings found of those that exist, and
  listings suggested that do not (target: all, and none).

    .venv/bin/python benchmarks/import_warc.py                 # 10,000 pages, all scenarios
    .venv/bin/python benchmarks/import_warc.py --articles 2000 --only import

Needs ``DATABASE_URL`` naming a server where it may create and drop
databases (else the embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from crawl import MemoryWatch, fresh_database, mb  # benchmarks/crawl.py
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # demo/, beside crawler/

from demo.generated import GeneratedNewsroom
from demo.outlets import LAYOUTS, outlet, real_formats_available
from demo.warcs import article_url, write_newsroom_warcs, write_response
from wirewatch.pipelines import db

SCENARIOS = ("import", "memory", "two", "real", "discovery")
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


@dataclass
class Run:
    label: str
    seconds: float
    records: int
    stored: int
    peak_rss: int
    peak_tree_rss: int
    summaries: list[dict]

    @property
    def per_second(self) -> float:
        return self.stored / self.seconds if self.seconds else 0.0


def run_import(label: str, database_url: str, files: list[Path], jobs: int, procs: int = 1) -> Run:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "wirewatch.crawler.cli",
        "--log-level",
        "WARNING",
        "import-warc",
    ]
    command += ["--json", "--jobs", str(jobs), *map(str, files)]
    started = time.monotonic()
    children = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(procs)
    ]
    with MemoryWatch([c.pid for c in children]) as memory:
        outputs = [c.communicate() for c in children]
    seconds = time.monotonic() - started
    summaries = []
    for child, (out, err) in zip(children, outputs, strict=True):
        if child.returncode != 0:
            raise SystemExit(f"{label}: import-warc failed ({child.returncode}):\n{err[-3000:]}")
        summaries.append(json.loads(out))
    return Run(
        label,
        seconds,
        sum(s["records"] for s in summaries),
        sum(s["stored"] for s in summaries),
        memory.peak,
        memory.tree_peak,
        summaries,
    )


def check_stories(database_url: str, room: GeneratedNewsroom, n: int) -> str:
    """Every page of the first ``n`` stored once, each wire story's copies in one story."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT a.url, c.story_id FROM wirewatch.articles a "
            "JOIN wirewatch.story_copies c ON c.article_id = a.id"
        ).fetchall()
    expected = {article_url(room, i): room.story_id(i) for i in range(n)}
    urls = [url for url, _ in rows]
    if len(urls) != len(set(urls)) or set(urls) != set(expected):
        return f"FAIL: {len(urls):,} stored for {len(expected):,} pages"
    ours: dict[str, set[int]] = {}
    for url, story in rows:
        ours.setdefault(expected[url], set()).add(story)
    split = sum(len(ids) > 1 for ids in ours.values())
    merged = len(ours) - len({s for _, s in rows})
    copies = sum(1 for i in range(n) if room.article(i).kind == "copy")
    verdict = "ok" if not split and not merged else "FAIL"
    return (
        f"{verdict}: {len(rows):,} pages stored once, {len(ours):,} stories "
        f"({copies:,} copies folded; {split} stories split, {merged} merged)"
    )


def real_pages_warc(folder: Path) -> Path | None:
    """The real pages of ../shared/fixtures/real in one WARC (read there, never copied)."""
    manifest = REAL / "manifest.json"
    if not manifest.is_file():
        return None
    path = folder / "real.warc.gz"
    pages = json.loads(manifest.read_text())["pages"]
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for page in pages:
            body = (REAL / page["file"]).read_bytes()
            write_response(writer, page["url"], body, when=datetime.now(UTC))
    return path


def discovery_checks() -> list[str]:
    """Found vs existing listings on each outlet layout, in-process (no import involved)."""
    from wirewatch.crawler.settings import USER_AGENT
    from wirewatch.crawler.source_discovery import Fetcher, discover_site

    layouts = [*LAYOUTS, *(["real_formats"] if real_formats_available() else [])]
    lines = []
    for layout in layouts:
        with outlet(layout) as site:
            started = time.monotonic()
            fetcher = Fetcher(USER_AGENT, exempt=[site.homepage])
            report = discover_site(site.homepage, fetcher)
            seconds = time.monotonic() - started
        found = {(f.kind, f.url.split("/", 3)[-1]) for f in report.found}
        missed, invented = site.expected - found, found - site.expected
        verdict = "ok" if not missed and not invented else "FAIL"
        lines.append(
            f"discovery {layout}: {len(found & site.expected)}/{len(site.expected)} found, "
            f"{len(invented)} that do not exist, {len(fetcher.fetched)} requests, "
            f"{seconds:.2f}s: {verdict}"
            + (
                f" (missed {sorted(missed)}, invented {sorted(invented)})"
                if verdict != "ok"
                else ""
            )
        )
    return lines


def report(runs: list[Run]) -> None:
    header = (
        f"{'run':<24}{'seconds':>9}{'records':>9}{'rec/s':>8}{'stored':>8}{'art/s':>8}"
        f"{'peak RSS':>10}{'+workers':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        print(
            f"{r.label:<24}{r.seconds:>9.1f}{r.records:>9,}{r.records / r.seconds:>8.1f}"
            f"{r.stored:>8,}{r.per_second:>8.1f}{mb(r.peak_rss):>10}{mb(r.peak_tree_rss):>10}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=10, help="WARC files the pages are split in")
    parser.add_argument("--small", type=int, default=1_000, help="pages of the memory baseline")
    parser.add_argument("--outlets", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="extraction workers per importer")
    parser.add_argument("--only", choices=SCENARIOS, action="append")
    args = parser.parse_args(argv)
    scenarios = args.only or list(SCENARIOS)
    server_url = os.environ.get("DATABASE_URL") or db.database_url()
    # wire_share 0.45: wire stories get 2 copies on average, so ~30% of pages are copies.
    room = GeneratedNewsroom(args.articles, n_outlets=args.outlets, wire_share=0.45)
    stats = room.stats()
    runs: list[Run] = []
    checks: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ww-bench-warc-") as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        files = write_newsroom_warcs(room, folder / "all", args.files, with_requests=True)
        size = sum(f.stat().st_size for f in files)
        print(
            f"{args.articles:,} pages ({stats['copies']:,} copies = "
            f"{stats['copies'] / args.articles:.0%}, {stats['stories']:,} stories) in "
            f"{len(files)} WARC files, {size / 1e6:,.0f} MB, written in "
            f"{time.monotonic() - started:.1f}s; {os.cpu_count()} CPUs, --jobs {args.jobs}\n"
        )

        def scenario(
            label: str, paths: list[Path], built: GeneratedNewsroom, procs: int = 1
        ) -> Run:
            with fresh_database(server_url) as url:
                run = run_import(label, url, paths, args.jobs, procs)
                checks.append(f"{label}: {check_stories(url, built, built.n_articles)}")
            runs.append(run)
            return run

        full = None
        if {"import", "memory"} & set(scenarios):
            full = scenario("import", files, room)
        if "memory" in scenarios and full is not None:
            small_room = GeneratedNewsroom(args.small, n_outlets=args.outlets, wire_share=0.45)
            small_files = write_newsroom_warcs(
                small_room,
                folder / "small",
                max(1, args.files * args.small // args.articles),
                with_requests=True,
            )
            small = scenario(f"memory {args.small:,}", small_files, small_room)
            ratio = full.peak_rss / small.peak_rss
            tree_ratio = full.peak_tree_rss / small.peak_tree_rss
            checks.append(
                f"memory: importer peak RSS {mb(small.peak_rss)} at {args.small:,} pages, "
                f"{mb(full.peak_rss)} at {args.articles:,}: x{ratio:.2f}; with workers "
                f"x{tree_ratio:.2f} (target <= 1.2: {'ok' if ratio <= 1.2 else 'FAIL'})"
            )
        if "two" in scenarios:
            two = scenario("two importers", files, room, procs=2)
            took = [
                {f["location"] for f in s["files"] if f["state"] == "imported"}
                for s in two.summaries
            ]
            disjoint = took[0].isdisjoint(took[1])
            union = took[0] | took[1] == {str(f) for f in files}
            work = two.records == sum(
                sum(f["counts"].values())
                for s in two.summaries
                for f in s["files"]
                if f["state"] == "imported"
            )
            checks.append(
                f"two importers: files {len(took[0])} + {len(took[1])}, disjoint {disjoint}, "
                f"union = list {union}, work = records {work}"
            )
        if "real" in scenarios:
            real = real_pages_warc(folder)
            if real is None:
                checks.append("real: ../shared/fixtures/real not present, skipped")
            else:
                with fresh_database(server_url) as url:
                    runs.append(run_import("real pages", url, [real], args.jobs))
                counts = runs[-1].summaries[0]["counts"]
                checks.append(f"real pages: {json.dumps(counts, sort_keys=True)}")
    if "discovery" in scenarios:
        checks.extend(discovery_checks())
    if runs:
        report(runs)
    print()
    for line in checks:
        print(line)
    if full is not None:
        verdict = "ok" if full.per_second >= 40 else "below target"
        print(f"\nend to end: {full.per_second:.1f} articles/s (target >= 40: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
