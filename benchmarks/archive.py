"""What revisions and the WARC archive cost a crawl, and re-extraction's speed (issue 17).

* **crawl**: the same generated newsroom (a wire service and ``--outlets``
  outlets, each site on its own loopback address, as ``benchmarks/crawl.py
  --only compare``) crawled cold by ``wirewatch crawl`` three ways: without
  revisions (a copy of the committed tree whose ``revisions.record`` does
  nothing and whose upsert writes no first revision), with revisions and
  ``[archive]`` off, and with both; in ``--rounds`` interleaved rounds, each
  on a fresh database (``benchmarks/feed.py``'s ``bench_database``/``drop_database``): wall time
  per stored article and CPU per article of the whole process tree, medians,
  and the ratios to the crawl without either (target: revisions + archive
  <= 1.15x the time per article).  Every crawl runs from a copy of the
  committed tree (``git archive HEAD``), so uncommitted edits in the
  checkout never skew one side.
* **disk**: WARC gzip bytes per archived article, and the revisions' bytes
  per article (``article_revisions``, table + TOAST + index); the real pages
  of ``../shared/fixtures/real`` written through the archive writer give the
  bytes and milliseconds of a real-size page.
* **reextract**: the last archived crawl's pages, ``wirewatch reextract``
  (whole process, ``--jobs``) against ``wirewatch extract --jsonl`` of the
  same pages (``--workers``, the same number), interleaved rounds: pages/s
  and the ratio (target >= 0.8x).

    .venv/bin/python benchmarks/archive.py --articles 1500 --rounds 5
    .venv/bin/python benchmarks/archive.py --only reextract

Needs ``DATABASE_URL`` naming a server where it may create and drop databases
(else the embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from benchmarks.crawl import serve_sites, sites_config
from benchmarks.feed import bench_database, drop_database
from benchmarks.resources import ResourceWatch
from demo.generated import GeneratedNewsroom
from wirewatch.pipelines import db
from wirewatch.pipelines.archive.reader import read_page
from wirewatch.pipelines.archive.writer import ArchiveWriter, Fetched
from wirewatch.pipelines.extraction import extract_in_worker

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "fixtures" / "real"
# Appended to the baseline copy's pipelines/revisions.py: storing keeps no revisions of
# edits; and in its upsert_article, a new article's first revision is not written.
NO_REVISIONS = """

def record(conn, article_id, article):  # benchmarks/archive.py baseline
    return None
"""
FIRST_REVISION = ("FROM upserted WHERE inserted", "FROM upserted WHERE false")


def snapshot(folder: Path, name: str, *, revisions: bool = True) -> Path:
    """A copy of the committed tree (``git archive HEAD``), optionally without revisions."""
    tree = folder / name
    tree.mkdir()
    tar = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=tar.stdout, check=True)
    if not revisions:
        with (tree / "pipelines" / "revisions.py").open("a") as handle:
            handle.write(NO_REVISIONS)
        queries = tree / "pipelines" / "sql" / "queries" / "articles.sql"
        sql = queries.read_text()
        if FIRST_REVISION[0] not in sql:
            raise SystemExit(f"{queries}: the first revision's insert is not where expected")
        queries.write_text(sql.replace(*FIRST_REVISION))
    return tree


@dataclass
class Crawl:
    variant: str
    seconds: float
    cpu_seconds: float
    articles: int
    warc_bytes: int = 0
    revision_bytes: int = 0

    @property
    def ms_per_article(self) -> float:
        return 1000 * self.seconds / self.articles if self.articles else float("inf")

    @property
    def cpu_ms_per_article(self) -> float:
        return 1000 * self.cpu_seconds / self.articles if self.articles else float("inf")


def env_for(tree: Path, database_url: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}


def wirewatch(tree: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def timed(
    tree: Path, env: dict[str, str], *args: str, stdout: int | None = None
) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process tree, output) of one wirewatch command."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        cwd=tree,
        env=env,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with ResourceWatch(child.pid) as watch:
        out, err = child.communicate()
    seconds = time.perf_counter() - started
    if child.returncode:
        print(f"  {' '.join(args[:3])} exited {child.returncode}:\n{err[-2000:]}", file=sys.stderr)
    return seconds, watch.cpu_seconds, out or ""


def crawl_round(
    variant: str, tree: Path, config: Path, server_url: str, archive: Path | None, keep: bool
) -> tuple[Crawl, tuple[str, str] | None]:
    """One cold crawl on a fresh database; with ``keep``, the database is kept and its
    (name, URL) returned."""
    name = "ww_bench_archive_" + "".join(c if c.isalnum() else "_" for c in variant)
    url = bench_database(server_url, name, keep=False)
    env = env_for(tree, url)
    migrated = wirewatch(tree, env, "migrate")  # before the clock starts
    if migrated.returncode:
        raise SystemExit(f"{variant}: migrate failed:\n{migrated.stderr[-2000:]}")
    seconds, cpu, _ = timed(tree, env, "--config", str(config), "crawl")
    with psycopg.connect(url) as conn:
        articles = conn.execute("SELECT count(*) FROM wirewatch.articles").fetchone()[0]
        revisions = conn.execute(
            "SELECT to_regclass('wirewatch.article_revisions') IS NOT NULL"
        ).fetchone()[0]
        revision_bytes = 0
        if revisions:
            revision_bytes = conn.execute(
                "SELECT pg_total_relation_size('wirewatch.article_revisions')"
            ).fetchone()[0]
    warc = sum(p.stat().st_size for p in archive.glob("*/*.warc.gz*")) if archive else 0
    run = Crawl(variant, seconds, cpu, articles, warc, revision_bytes)
    if keep:
        return run, (name, url)
    drop_database(server_url, name)
    return run, None


def report_crawls(results: dict[str, list[Crawl]], reference: str) -> None:
    header = (
        f"{'crawl (median of rounds)':<28}{'stored':>8}{'ms/article':>12}{'CPU ms/art':>12}"
        f"{'x time':>8}{'x CPU':>7}{'WARC B/art':>12}{'rev. B/art':>12}"
    )
    print(header)
    print("-" * len(header))
    med = {
        name: (
            min(r.articles for r in runs),
            statistics.median(r.ms_per_article for r in runs),
            statistics.median(r.cpu_ms_per_article for r in runs),
            statistics.median(r.warc_bytes / r.articles if r.articles else 0 for r in runs),
            statistics.median(r.revision_bytes / r.articles if r.articles else 0 for r in runs),
        )
        for name, runs in results.items()
    }
    base = med[reference]
    for name, (stored, ms, cpu, warc, rev) in med.items():
        print(
            f"{name:<28}{stored:>8,}{ms:>12.1f}{cpu:>12.1f}{ms / base[1]:>8.2f}"
            f"{cpu / base[2]:>7.2f}{warc:>12,.0f}{rev:>12,.0f}"
        )
    for name, runs in results.items():
        rounds = ", ".join(f"{r.ms_per_article:.1f}" for r in runs)
        print(f"  {name}: ms/article by round: {rounds}")
    print(
        f"\nx time, x CPU: against '{reference}'; target: revisions + archive <= 1.15x the "
        "time per article of the crawl without them"
    )


# -- real pages through the writer ------------------------------------------------------------


def real_pages(limit: int | None = None) -> list[tuple[str, bytes]]:
    manifest = REAL / "manifest.json"
    if not manifest.is_file():
        return []
    pages = json.loads(manifest.read_text())["pages"][:limit]
    return [(p["url"], (REAL / p["file"]).read_bytes()) for p in pages]


def real_page_cost(folder: Path, server_url: str) -> None:
    """The archive's bytes and time for real-size pages, and what one revision of their
    text takes in PostgreSQL (the table as migration 0100 makes it, TOAST compression)."""
    pages = real_pages()
    if not pages:
        print("real pages: ../shared/fixtures/real not present, skipped")
        return
    writer = ArchiveWriter(folder / "real", "real", None, max_bytes=1 << 40)
    raw = sum(len(body) for _, body in pages)
    started = time.perf_counter()
    for url, body in pages:
        writer.write(
            Fetched(url=url, status=200, body=body, headers=[("Content-Type", "text/html")])
        )
    writer.close()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    texts = [extract_in_worker(body, url, None, None)["text"] or "" for url, body in pages]
    extraction = time.perf_counter() - started
    print(
        f"real pages ({len(pages)}, {raw / len(pages) / 1000:,.0f} kB each on average): "
        f"{writer.bytes / len(pages) / 1000:,.1f} kB of WARC gzip per page "
        f"({writer.bytes / raw:.0%} of the page, request record included); "
        f"{1000 * seconds / len(pages):.2f} ms to archive one (digests, gzip, write: in a "
        f"thread of the crawl process) against {1000 * extraction / len(pages):.1f} ms to "
        f"extract it (in a worker): {seconds / extraction:.1%}"
    )
    name = "ww_bench_archive_revision_rows"
    url = bench_database(server_url, name, keep=False)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE r (article_id bigint, revision integer, fetched_at timestamptz,"
                " title text, text text, words_added integer, words_removed integer,"
                " headline_changed boolean, created_at timestamptz DEFAULT now(),"
                " PRIMARY KEY (article_id, revision))"
            )
            for n, text in enumerate(texts):
                conn.execute(
                    "INSERT INTO r VALUES (%s, 1, now(), 'A headline of average length here',"
                    " %s, %s, 0, false)",
                    (n, text, len(text.split())),
                )
            size = conn.execute("SELECT pg_total_relation_size('r')").fetchone()[0]
    finally:
        drop_database(server_url, name)
    average = sum(len(t.encode()) for t in texts) / len(texts)
    print(
        f"their revisions: {size / len(texts) / 1000:,.1f} kB a row in PostgreSQL "
        f"(table, TOAST and key index) for {average / 1000:,.1f} kB of text on average"
    )


# -- reextract against extract --jsonl -------------------------------------------------------


def jsonl_of_archive(database_url: str, archive: Path, out: Path) -> int:
    with psycopg.connect(database_url) as conn, out.open("w", encoding="utf-8") as handle:
        rows = conn.execute(
            "SELECT id, warc_file, warc_offset, warc_length FROM wirewatch.articles "
            "WHERE warc_file IS NOT NULL ORDER BY id"
        ).fetchall()
        for article_id, name, offset, length in rows:
            page = read_page(archive, name, offset, length)
            html = page.body.decode(page.encoding or "utf-8", errors="replace")
            handle.write(json.dumps({"id": article_id, "url": page.url, "html": html}) + "\n")
    return len(rows)


def reextract_vs_extract(
    tree: Path,
    database_url: str,
    config: Path,
    archive: Path,
    folder: Path,
    rounds: int,
    jobs: int,
) -> None:
    pages_file = folder / "pages.jsonl"
    pages = jsonl_of_archive(database_url, archive, pages_file)
    env = env_for(tree, database_url)
    # The crawl learned its sites' boilerplate as it went; the first re-extraction applies
    # all of it and stores what changed. Timed, but apart: later rounds change nothing.
    first, _, summary = timed(
        tree, env, "--config", str(config), "reextract", "--restart", "--jobs", str(jobs)
    )
    changed = next((line.strip() for line in summary.splitlines() if "changed" in line), "?")
    print(f"reextract, first run: {pages / first:.1f} pages/s ({changed})")
    # Each round runs both, alternating which goes first (a machine whose load drifts
    # favours neither); pages per second of wall time, and per CPU second of the whole
    # process tree (steadier when other work shares the machine).
    walls: dict[str, list[float]] = {"extract --jsonl": [], "reextract": []}
    cpus: dict[str, list[float]] = {"extract --jsonl": [], "reextract": []}
    for number in range(1, rounds + 1):
        order = ["extract --jsonl", "reextract"]
        if number % 2 == 0:
            order.reverse()
        for tool in order:
            if tool == "reextract":
                args = ["--config", str(config), "reextract", "--restart", "--jobs", str(jobs)]
                seconds, cpu, _ = timed(tree, env, *args)
            else:
                args = ["extract", "--jsonl", str(pages_file), "--workers", str(jobs)]
                with open(os.devnull, "w") as sink:
                    seconds, cpu, _ = timed(tree, env, *args, stdout=sink.fileno())
            walls[tool].append(pages / seconds)
            cpus[tool].append(pages / cpu if cpu else 0.0)
        print(
            f"  round {number}: "
            + ", ".join(f"{t} {walls[t][-1]:.1f} pages/s ({cpus[t][-1]:.1f}/CPU s)" for t in walls),
            flush=True,
        )
    e, r = statistics.median(walls["extract --jsonl"]), statistics.median(walls["reextract"])
    ec, rc = statistics.median(cpus["extract --jsonl"]), statistics.median(cpus["reextract"])
    verdict = "ok" if r >= 0.8 * e else "BELOW TARGET"
    print(
        f"\n{pages:,} archived pages, {jobs} workers each, whole processes (start-up included), "
        f"medians of {rounds} rounds:\n"
        f"{'':18}{'pages/s':>10}{'pages/CPU s':>13}\n"
        f"{'extract --jsonl':<18}{e:>10.1f}{ec:>13.1f}\n"
        f"{'reextract':<18}{r:>10.1f}{rc:>13.1f}\n"
        f"reextract x{r / e:.2f} the pages/s of extract --jsonl (target >= 0.8x: {verdict}), "
        f"x{rc / ec:.2f} its pages per CPU second"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--outlets", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--jobs", type=int, default=2, help="extraction workers (2)")
    parser.add_argument(
        "--only", choices=("crawl", "reextract"), help="one part only (reextract crawls once)"
    )
    args = parser.parse_args(argv)
    server_url = os.environ.get("DATABASE_URL") or db.database_url()
    room = GeneratedNewsroom(args.articles, n_outlets=args.outlets, seed=1)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wwarchive")))
        servers = serve_sites(stack, room)
        sources = sites_config(room, servers)
        off = folder / "off.toml"
        off.write_text(sources)
        head = snapshot(folder, "head")
        variants: dict[str, tuple[Path, bool]] = {
            "no revisions, no archive": (snapshot(folder, "bare", revisions=False), False),
            "revisions": (head, False),
            "revisions + archive": (head, True),
        }
        rounds = args.rounds if args.only != "reextract" else 1
        if args.only == "reextract":
            variants = {"revisions + archive": (head, True)}
        print(
            f"generated newsroom: {args.articles:,} article pages, {args.outlets} outlets + wire, "
            f"one loopback address each; {rounds} interleaved rounds\n",
            flush=True,
        )
        results: dict[str, list[Crawl]] = {name: [] for name in variants}
        kept: tuple[str, str] | None = None
        config_on = archive = None
        for number in range(1, rounds + 1):
            for name, (tree, archived) in variants.items():
                config, archive_dir = off, None
                if archived:
                    archive_dir = folder / f"archive-{number}"
                    config = folder / f"on-{number}.toml"
                    config.write_text(f'{sources}\n[archive]\ndir = "{archive_dir}"\n')
                last = archived and number == rounds
                run, database = crawl_round(name, tree, config, server_url, archive_dir, last)
                if database is not None:
                    kept, config_on, archive = database, config, archive_dir
                results[name].append(run)
                print(
                    f"  round {number}, {name}: {run.articles:,} articles in {run.seconds:.1f} s, "
                    f"{run.ms_per_article:.1f} ms/article, {run.cpu_ms_per_article:.1f} ms CPU",
                    flush=True,
                )
        print()
        if args.only != "reextract":
            report_crawls(results, "no revisions, no archive")
            print()
            real_page_cost(folder, server_url)
            print()
        if kept is None:
            return 0
        try:
            if args.only != "crawl" and config_on and archive:
                reextract_vs_extract(
                    head, kept[1], config_on, archive, folder, args.rounds, args.jobs
                )
        finally:
            drop_database(server_url, kept[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
