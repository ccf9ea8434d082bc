"""Fidelity of the whole crawl path on real pages: every real article in, what comes out?

``benchmarks/extraction.py`` scores ``extract`` on saved files; this scores what
``wirewatch crawl`` actually stores.  Every page of ``../shared/fixtures/real/``
is served from a loopback site (``demo/real_site.py``), a third each
listed by an RSS 2.0 feed, a Google News sitemap and a section page, beside
the bundled demo newsroom; a child ``wirewatch crawl`` stores them into a fresh
database, and the rows are read back:

* pages served, stored, rejected by kind (with URLs and messages);
* body F1 (word 4-gram shingles, ``extraction.prf``) of the stored text per
  page against the hand-checked body, a page not stored scoring 0, beside the
  same pages through ``wirewatch extract --jsonl``; pages whose two scores
  differ by more than 0.01 are listed;
* language filled: stored pages of 50+ words that have a language;
* pages without text: real articles not stored, or stored without text.

The last line is a one-line summary (a hook reads only that line).

    .venv/bin/python benchmarks/fidelity.py [--shared ../shared] [--per-page] [--keep]

With ``DATABASE_URL`` set, a throwaway database is created on that server
(dropped at the end unless ``--keep``); otherwise an embedded PostgreSQL is
started in a temporary ``WIREWATCH_HOME``.  Exit status 0 when it ran,
whatever the figures; 2 when ``../shared`` is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from extraction import prf
from psycopg import sql
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # demo/, beside crawler/

from demo.real_site import (
    WAYS,
    Outcome,
    Rejection,
    Stored,
    extract_input,
    load_pages,
    manifest_path,
    needs_language,
    outcomes,
    parse_extract_output,
    read_rejections,
    read_stored,
    serve,
    sources_toml,
)
from wirewatch.crawler.demo import site_dir
from wirewatch.crawler.demo.server import FixtureServer
from wirewatch.pipelines import db
from wirewatch.pipelines.urls import url_key

REPO = Path(__file__).resolve().parent.parent
# Two F1 scores of one page further apart than this are a difference worth listing.
F1_TOLERANCE = 0.01
CHILD_TIMEOUT = 120


# ---------------------------------------------------------------- databases and children


@contextmanager
def fresh_database(home: Path, keep: bool) -> Iterator[tuple[dict[str, str], str]]:
    """(environment for the children, URL to read back from) of a database nobody used yet.

    With ``DATABASE_URL``: a new database on that server.  Without: the embedded
    PostgreSQL in a fresh ``WIREWATCH_HOME``, started here (the crawl reuses it),
    so it is stopped when this is done rather than left running.
    """
    server_url = os.environ.get("DATABASE_URL")
    if server_url:
        name = f"ww_fidelity_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = make_conninfo(server_url, dbname=name)
        try:
            yield {"DATABASE_URL": url}, url
        finally:
            if not keep:
                with psycopg.connect(server_url, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
        return
    import pgserver

    server = pgserver.get_server(home / "pgdata", cleanup_mode="stop")
    try:
        yield {"WIREWATCH_HOME": str(home)}, server.get_uri()
    finally:
        server.cleanup()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WIREWATCH_CONFIG")}
    return {**env, **extra, "PYTHONUNBUFFERED": "1"}


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """(stdout, stderr) of a child; one that hangs is killed rather than left behind."""
    try:
        return proc.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return out, f"{err}\nkilled after {CHILD_TIMEOUT} s"


def wirewatch(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """A child ``wirewatch`` (a crawl needs a process of its own: Twisted's reactor)."""
    return subprocess.Popen(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class Scores:
    """Body F1 of one page with ground truth, through each path."""

    outcome: Outcome
    crawl: float
    extract: float | None  # None when extract was skipped


def page_scores(
    found: list[Outcome], extracted: Mapping[str, Mapping[str, Any]] | None
) -> list[Scores]:
    """Both F1 of every page with ground truth; a page a path lost scores 0 there."""
    scores = []
    for outcome in found:
        truth = outcome.page.body
        if not truth:
            continue
        other = None
        if extracted is not None:
            record = extracted.get(outcome.page.path) or {}
            other = prf(record.get("text") or "", truth)[2]
        scores.append(Scores(outcome, prf(outcome.text, truth)[2], other))
    return scores


def mean(values: list[float]) -> float:
    return statistics.mean(values) if values else 0.0


def demo_articles() -> dict[str, str]:
    """Path -> body of each article the demo newsroom's MANIFEST expects stored."""
    manifest = json.loads((site_dir() / "MANIFEST.json").read_text(encoding="utf-8"))
    return {a["path"]: "\n\n".join(a["paragraphs"]) for a in manifest["articles"]}


def demo_line(base: str, stored: list[Stored]) -> str:
    expected = demo_articles()
    rows = {url_key(s.url): s for s in stored}
    texts = {path: row.text for path in expected if (row := rows.get(url_key(base + path)))}
    f1 = mean([prf(text, expected[path])[2] for path, text in texts.items() if text])
    stored = sum(1 for text in texts.values() if text)
    return (
        f"demo newsroom: {stored}/{len(expected)} of its MANIFEST's articles stored with text, "
        f"body F1 {f1:.3f}"
    )


def rejection_kinds(rejected: list[Outcome]) -> Counter[str]:
    return Counter(r.rejections[0].kind if r.rejections else "missing" for r in rejected)


def report(
    found: list[Outcome],
    scores: list[Scores],
    errors: list[Rejection],
    *,
    per_page: bool,
) -> str:
    """Print the figures; returns the summary line."""
    served = len(found)
    with_text = [o for o in found if o.stored and o.stored.text]
    not_stored = [o for o in found if o.stored is None]
    ways = Counter(o.page.way for o in found)
    print(f"real pages served: {served} (" + ", ".join(f"{ways[w]} by {w}" for w in WAYS) + ")")
    print(f"stored: {served - len(not_stored)}, with text: {len(with_text)}")
    kinds = rejection_kinds(not_stored)
    kinds_text = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    print(f"not stored: {len(not_stored)}" + (f" ({kinds_text})" if kinds_text else ""))
    unrecorded = Rejection("-", None, "missing", "no crawl_errors row: never listed or fetched?")
    for outcome in not_stored:
        for r in outcome.rejections or (unrecorded,):
            print(f"  {r.kind:<16} {r.source:<13} {outcome.url}  {r.message}")
    flagged = [o.page.path for o in found if o.stored and o.stored.paywalled]
    print(f"stored and flagged paywalled: {len(flagged)}" + "".join(f"\n  {p}" for p in flagged))
    page_urls = {url_key(o.url) for o in found}
    others = [e for e in errors if not e.url or url_key(e.url) not in page_urls]
    if others:
        print(f"other crawl errors: {len(others)}")
        for r in others:
            print(f"  {r.kind:<16} {r.source:<13} {r.url}  {r.message}")

    crawl_f1 = mean([s.crawl for s in scores])
    compared = [s for s in scores if s.extract is not None]
    extract_f1 = mean([s.extract for s in compared if s.extract is not None])
    stored_scores = [s for s in compared if s.outcome.stored is not None]
    print(
        f"\nbody F1, {len(scores)} pages with ground truth (a page not stored scores 0): "
        f"crawl {crawl_f1:.3f}"
        + (f" / extract {extract_f1:.3f}" if compared else " (extract skipped)")
    )
    if compared:
        print(
            f"  on the {len(stored_scores)} stored pages: "
            f"crawl {mean([s.crawl for s in stored_scores]):.3f} / "
            f"extract {mean([s.extract or 0.0 for s in stored_scores]):.3f}"
        )
        differ = [s for s in compared if abs(s.crawl - (s.extract or 0.0)) > F1_TOLERANCE]
        print(
            f"  pages whose crawl and extract F1 differ by more than {F1_TOLERANCE}: {len(differ)}"
        )
        for s in sorted(differ, key=lambda s: s.crawl - (s.extract or 0.0)):
            print(f"    crawl {s.crawl:.3f} extract {s.extract:.3f}  {s.outcome.page.path}")
    if per_page:
        print("  every page:")
        for s in sorted(scores, key=lambda s: s.crawl):
            other = f"{s.extract:.3f}" if s.extract is not None else "-"
            print(f"    crawl {s.crawl:.3f} extract {other}  {s.outcome.page.path}")

    prose = [o for o in with_text if needs_language(o.text)]
    languages = [o for o in prose if o.stored and o.stored.language]
    print(
        f"\nlanguage filled: {len(languages)}/{len(prose)} stored pages of 50+ words"
        + (f" ({len(languages) / len(prose):.0%})" if prose else "")
    )
    for o in prose:
        if not (o.stored and o.stored.language):
            print(f"  no language: {o.page.path}")
    without = served - len(with_text)
    print(f"pages without text: {without}/{served} real articles ({without / served:.0%})")

    summary = (
        f"fidelity: {served} pages, {served - len(not_stored)} stored, "
        f"{len(not_stored)} rejected" + (f" ({kinds_text})" if kinds_text else "")
    )
    summary += f", body F1 crawl {crawl_f1:.3f}"
    summary += f" / extract {extract_f1:.3f}" if compared else " / extract skipped"
    return summary + f", language {len(languages)}/{len(prose)}"


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--per-page", action="store_true", help="print both F1 of every page")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-demo", action="store_true", help="leave out the demo newsroom")
    parser.add_argument(
        "--no-extract", action="store_true", help="skip the extract --jsonl comparison"
    )
    args = parser.parse_args(argv)
    if not manifest_path(args.shared).is_file():
        print(f"fidelity: no real pages: {manifest_path(args.shared)} is missing", file=sys.stderr)
        return 2
    started = time.perf_counter()
    pages = load_pages(args.shared)
    home = Path(tempfile.mkdtemp(prefix="wwfidelity"))
    try:
        with (
            fresh_database(home, args.keep) as (db_env, db_url),
            FixtureServer(None if args.no_demo else site_dir(), keep_log=False) as server,
        ):
            base = server.base_url
            serve(server, pages, robots=args.no_demo)
            config = home / "wirewatch.toml"
            config.write_text(sources_toml(base, demo=not args.no_demo), encoding="utf-8")
            env = child_env(db_env)
            extract = None
            if not args.no_extract:
                batch = home / "pages.jsonl"
                batch.write_text(extract_input(pages, base), encoding="utf-8")
                extract = wirewatch(["extract", "--jsonl", str(batch)], env)
            crawl_started = time.perf_counter()
            crawl = wirewatch(["--config", str(config), "crawl"], env)
            crawl_err = finish(crawl)[1]
            crawl_seconds = time.perf_counter() - crawl_started
            extracted = None
            if extract is not None:
                out, err = finish(extract)
                if extract.returncode:
                    print(f"extract --jsonl exited {extract.returncode}: {err[-2000:]}")
                extracted = parse_extract_output(out)
            with psycopg.connect(db_url) as conn:
                stored, errors = read_stored(conn), read_rejections(conn)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    print(f"crawl: exit {crawl.returncode} after {crawl_seconds:.1f} s")
    if crawl.returncode:
        print("  " + "\n  ".join(crawl_err.strip().splitlines()[-5:]))
    found = outcomes(pages, base, stored, errors)
    if not args.no_demo:
        print(demo_line(base, stored))
    summary = report(found, page_scores(found, extracted), errors, per_page=args.per_page)
    if args.keep:
        where = db_env.get("DATABASE_URL") or f"WIREWATCH_HOME={home}"
        print(f"\nkept the database: {db.describe(where)}")
    print(f"\nwall time: {time.perf_counter() - started:.1f} s")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
