"""Real pages in, every real article out: the whole crawl path on ``../shared``'s real pages.

Every page of ``../shared/fixtures/real/`` is served on a loopback site
(:mod:`demo.real_site`: a third each listed by an RSS feed, a Google
News sitemap and a section page) and crawled by a child ``wirewatch crawl``
into the test database.  Each page must be stored with its text, that text
must score as ``wirewatch extract --jsonl`` scores the same page (the crawl
path loses nothing extraction keeps), and every stored page of 50+ words must
have a language.  ``benchmarks/fidelity.py`` prints the same figures.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from benchmarks.extraction import prf
from demo.real_site import (
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
from tests.conftest import run_wirewatch
from wirewatch.crawler.demo.server import FixtureServer

# Crawl and extract score one page's body within this much of each other.
F1_TOLERANCE = 0.02


@pytest.mark.slow
def test_every_real_page_is_stored_with_its_text_and_language(
    shared_dir: Path, db_url: str, tmp_path: Path
) -> None:
    if not manifest_path(shared_dir).is_file():
        pytest.skip("no real pages in ../shared")
    pages = load_pages(shared_dir)
    with FixtureServer() as server:
        base = server.base_url
        serve(server, pages)
        config = tmp_path / "wirewatch.toml"
        config.write_text(sources_toml(base), encoding="utf-8")
        crawl = run_wirewatch("--config", str(config), "crawl", timeout=300)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    batch = tmp_path / "pages.jsonl"
    batch.write_text(extract_input(pages, base), encoding="utf-8")
    extract = run_wirewatch("extract", "--jsonl", str(batch), timeout=300)
    assert extract.returncode == 0, extract.stderr[-3000:]
    extracted = parse_extract_output(extract.stdout)
    with psycopg.connect(db_url) as conn:
        found = outcomes(pages, base, read_stored(conn), read_rejections(conn))

    gaps = []
    for o in found:
        if o.page.body:
            crawl_f1 = prf(o.text, o.page.body)[2]
            extract_f1 = prf(extracted[o.page.path]["text"] or "", o.page.body)[2]
            if abs(crawl_f1 - extract_f1) > F1_TOLERANCE:
                gaps.append(f"{o.page.path}: crawl {crawl_f1:.3f}, extract {extract_f1:.3f}")
    failures = {
        "not stored with text": [
            f"{o.page.path}: " + ("; ".join(f"{r.kind}: {r.message}" for r in o.rejections) or "-")
            for o in found
            if not o.text
        ],
        "crawl F1 off extract F1": gaps,
        "50+ words, no language": [
            o.page.path
            for o in found
            if needs_language(o.text) and not (o.stored and o.stored.language)
        ],
    }
    problems = [f"{name}: {item}" for name, items in failures.items() for item in items]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
