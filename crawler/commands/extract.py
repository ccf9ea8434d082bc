"""Extract article text and metadata from saved pages, without crawling.

Its options, and the description `wirewatch extract --help` prints, are in
crawler/usage/extract.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from wirewatch.crawler import __version__
from wirewatch.pipelines import db
from wirewatch.pipelines.article import extracted_values
from wirewatch.pipelines.boilerplate import load_knowledge
from wirewatch.pipelines.errors import UsageError, WirewatchError
from wirewatch.pipelines.extract import Extracted, SiteKnowledge, apply_site
from wirewatch.pipelines.extract.batch import extract_on_workers, safe_extract_page
from wirewatch.pipelines.extract.sitelearn import site_domain

log = logging.getLogger(__name__)

FETCH_LIMIT = 10 * 1024 * 1024


def run(args: argparse.Namespace) -> int:
    if bool(args.page) == bool(args.jsonl):
        raise UsageError("give either one page (URL or .html file) or --jsonl FILE")
    if args.workers < 1 or args.timeout <= 0:
        raise UsageError("--workers must be at least 1 and --timeout positive")
    if args.jsonl:
        return run_jsonl(args)
    return run_single(args)


# -- one page ------------------------------------------------------------------


def read_page(page: str, timeout: float) -> tuple[bytes, str | None, str | None]:
    """(body, url, encoding) of a file or an http(s) URL."""
    if page.startswith(("http://", "https://")):
        request = urllib.request.Request(page, headers={"User-Agent": f"wirewatch/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(FETCH_LIMIT + 1)
                charset = response.headers.get_content_charset()
                final_url = response.geturl()
        except OSError as exc:
            raise WirewatchError(f"cannot fetch {page}: {exc}") from exc
        if len(body) > FETCH_LIMIT:
            raise WirewatchError(f"{page} is larger than {FETCH_LIMIT} bytes")
        return body, final_url, charset
    path = Path(page)
    try:
        return path.read_bytes(), None, None
    except OSError as exc:
        raise UsageError(f"cannot read {page}: {exc.strerror or exc}") from exc


def learned_knowledge(urls: list[str | None]) -> dict[str, SiteKnowledge]:
    """What crawls learned about these URLs' sites, from the database (read only)."""
    domains = sorted({d for d in map(site_domain, urls) if d})
    if not domains:
        return {}
    with db.session() as conn:
        return {domain: load_knowledge(conn, domain) for domain in domains}


def run_single(args: argparse.Namespace) -> int:
    body, fetched_url, encoding = read_page(args.page, args.timeout)
    url = args.url or fetched_url
    page = safe_extract_page(body, url, encoding)
    knowledge = learned_knowledge([url]) if args.learned else {}
    site = knowledge.get(site_domain(url) or "")
    result = apply_site(page, site.boilerplate() if site else frozenset())
    if args.json:
        print(json.dumps(record(None, url, result), ensure_ascii=False))
        return 0 if not result.reason else 1
    if result.reason:
        print(f"wirewatch: no article: {result.reason}: {result.detail}", file=sys.stderr)
        return 1
    print(result.text)
    return 0


# -- a batch -------------------------------------------------------------------


def record(page_id: Any, url: str | None, result: Extracted) -> dict[str, Any]:
    """One output line: ``id``, ``url``, then the article's extracted fields in their
    declared order (``pipelines.article.EXTRACTED``: ``canonical_url, title, text,
    published, authors, language``, the contract's first eight keys, then the rest)."""
    out: dict[str, Any] = {"id": page_id, "url": url, **extracted_values(result)}
    if result.published:
        out["published"] = result.published.isoformat()
    if result.title_candidates:  # the page's headlines disagree: which said what
        out["title_candidates"] = [
            {"source": source, "title": title} for source, title in result.title_candidates
        ]
    if result.reason:
        out["rejected"] = result.reason
        out["detail"] = result.detail
    return out


def parse_line(number: int, line: str) -> tuple[Any, str | None, str] | str:
    """(id, url, html) of one input line, or the error message for it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"line {number}: not JSON ({exc.msg})"
    if not isinstance(data, dict):
        return f"line {number}: not a JSON object"
    html, url = data.get("html"), data.get("url")
    if not isinstance(html, str) or not html.strip():
        return f"line {number}: no html"
    if url is not None and not isinstance(url, str):
        return f"line {number}: url is not a string"
    return data.get("id"), url, html


def _input_lines(name: str) -> Iterator[str]:
    if name == "-":
        yield from sys.stdin
        return
    try:
        with open(name, encoding="utf-8", errors="replace") as handle:
            yield from handle
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from exc


def run_jsonl(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    out = out or sys.stdout
    entries: list[tuple[Any, str | None, str] | dict[str, Any]] = []
    for number, line in enumerate(_input_lines(args.jsonl), start=1):
        if not line.strip():
            continue
        parsed = parse_line(number, line)
        if isinstance(parsed, str):
            print(f"wirewatch: {parsed}", file=sys.stderr)
            entries.append({"id": _loose_id(line), "error": parsed})
            continue
        entries.append(parsed)
    pages = [(html, url) for _, url, html in (e for e in entries if isinstance(e, tuple))]
    known = learned_knowledge([url for _, url in pages]) if args.learned else {}
    results = iter(
        extract_on_workers(pages, workers=args.workers, timeout=args.timeout, knowledge=known)
    )
    errors = 0
    for entry in entries:
        if isinstance(entry, dict):
            errors += 1
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            continue
        page_id, url, _ = entry
        out.write(json.dumps(record(page_id, url, next(results)), ensure_ascii=False) + "\n")
    out.flush()
    return 1 if errors else 0


def _loose_id(line: str) -> Any:
    """The id of a line that is JSON but unusable, so the error can be matched to its input."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data.get("id") if isinstance(data, dict) else None
