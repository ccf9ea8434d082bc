"""Find an outlet's feeds, sitemaps and section pages, ready to paste or add as sources.

Its options, and the description `wirewatch sources --help` prints, are in
crawler/usage/sources.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from wirewatch.crawler.config import Problems, config_path, parse_source
from wirewatch.crawler.settings import USER_AGENT
from wirewatch.crawler.source_discovery import (
    Fetcher,
    SiteReport,
    append_tables,
    discover_site,
    render_tables,
    source_name,
    source_table,
)
from wirewatch.pipelines.errors import ConfigError, UsageError
from wirewatch.pipelines.url_policy import url_problem
from wirewatch.pipelines.urls import url_key


def run(args: argparse.Namespace) -> int:
    for url in args.urls:
        if refusal := url_problem(url):
            raise UsageError(refusal.message)
    path = config_path(args.config)
    config = _raw_config(path)
    crawl = config.get("crawl")
    if not isinstance(crawl, dict):
        crawl = {}
    fetcher = Fetcher(
        str(crawl.get("user_agent") or USER_AGENT),
        exempt=args.urls,
        allow_private=bool(crawl.get("allow_private_addresses", False)),
    )
    now = datetime.now(UTC)
    reports = [discover_site(url, fetcher, now) for url in args.urls]
    tables, already = suggested_tables(reports, config)
    if args.json:
        print(json.dumps(as_json(reports, tables, already, now), indent=2))
    else:
        print_reports(reports, already, now, sys.stdout)
        if tables:
            print(render_tables(tables), end="")
    if args.add and tables:
        add_to_config(path, tables)
        print(f"added {len(tables)} source(s) to {path}", file=sys.stderr)
    return 0 if all(r.found for r in reports) else 1


def _raw_config(path: Path) -> dict[str, Any]:
    """The config file as plain TOML (names and URLs taken); empty when there is none yet."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def _configured(config: dict[str, Any]) -> tuple[set[str], dict[str, str]]:
    """Names in use, and url_key -> source name of every configured URL."""
    names: set[str] = set()
    urls: dict[str, str] = {}
    for table in config.get("source") or []:
        if not isinstance(table, dict):
            continue
        name = str(table.get("name") or "")
        names.add(name)
        given = table.get("urls") or [table.get("url")]
        for url in given if isinstance(given, list) else []:
            if isinstance(url, str):
                urls[url_key(url)] = name
    return names, urls


def suggested_tables(
    reports: list[SiteReport], config: dict[str, Any]
) -> tuple[list[dict[str, object]], dict[str, str]]:
    """New ``[[source]]`` tables, and found URL -> name of the source that has it already."""
    names, urls = _configured(config)
    tables: list[dict[str, object]] = []
    already: dict[str, str] = {}
    for report in reports:
        for found in report.suggested():
            key = url_key(found.url)
            if key in urls:
                already[found.url] = urls[key]
                continue
            urls[key] = source_name(found, report.homepage, names)
            tables.append(source_table(found, urls[key]))
    return tables, already


def add_to_config(path: Path, tables: list[dict[str, object]]) -> None:
    """Append the tables, checked as sources first; the file is replaced in one rename."""
    problems = Problems(path)
    for index, table in enumerate(tables):
        parse_source(table, index, problems)
    problems.raise_if_any()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    updated = append_tables(text, tables)
    tomllib.loads(updated)  # never write a file that no longer parses
    folder = path.parent if str(path.parent) else Path(".")
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=folder, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(updated)
    if path.exists():
        os.chmod(handle.name, path.stat().st_mode & 0o7777)
    os.replace(handle.name, path)


def print_reports(
    reports: list[SiteReport], already: dict[str, str], now: datetime, out: IO[str]
) -> None:
    for report in reports:
        out.write(f"{report.homepage}\n")
        if report.found:
            out.write(
                f"  {'kind':<8}{'items':>6}  {'newest':<9} {'schedule':<14} {'found via':<20}url\n"
            )
        for found in report.found:
            kind = "news" if found.news else found.kind
            if found.children:
                kind = "index"
            note = f"  (configured: {already[found.url]})" if found.url in already else ""
            out.write(
                f"  {kind:<8}{found.items:>6}  {found.age(now):<9} {found.schedule:<14} "
                f"{found.via:<20}{found.url}{note}\n"
            )
        if not report.found:
            out.write("  nothing found\n")
        for problem in report.problems:
            out.write(f"  problem: {problem}\n")
        out.write("\n")


def as_json(
    reports: list[SiteReport],
    tables: list[dict[str, object]],
    already: dict[str, str],
    now: datetime,
) -> dict[str, Any]:
    return {
        "sites": [
            {
                "homepage": r.homepage,
                "found": [
                    {
                        "kind": f.kind,
                        "url": f.url,
                        "via": f.via,
                        "items": f.items,
                        "newest": f.newest.isoformat() if f.newest else None,
                        "age_seconds": int((now - f.newest).total_seconds()) if f.newest else None,
                        "schedule": f.schedule,
                        "news": f.news,
                        "sitemaps": f.children,
                        "configured_as": already.get(f.url),
                    }
                    for f in r.found
                ],
                "problems": r.problems,
            }
            for r in reports
        ],
        "sources": tables,
    }
