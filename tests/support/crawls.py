"""Running crawls in tests and reading back what they stored and recorded."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from wirewatch.crawler.demo.server import Request, Response


def override_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **values: Any) -> None:
    """Scrapy settings for the crawls this test starts: the project's, with ``values``."""
    module = tmp_path / "ww_test_settings.py"
    lines = ["from wirewatch.crawler.settings import *  # noqa: F403"]
    lines += [f"{name} = {value!r}" for name, value in values.items()]
    module.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "ww_test_settings")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    )


def titles(db_url: str, source: str) -> set[str]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT title FROM wirewatch.articles WHERE source = %s", [source])
        return {row[0] for row in rows}


def errors(db_url: str, source: str) -> dict[str, tuple[str, str]]:
    """url -> (kind, message) of the source's recorded failures."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT url, kind, message FROM wirewatch.crawl_errors WHERE source = %s", [source]
        ).fetchall()
    return {url: (kind, message) for url, kind, message in rows}


def run_statuses(db_url: str, source: str) -> list[str]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT status FROM wirewatch.crawl_runs WHERE source = %s ORDER BY id", [source]
        )
        return [row[0] for row in rows]


def gated(gate: threading.Event, body: str) -> Callable[[Request], Response]:
    def handler(req: Request) -> Response:
        gate.wait(120)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

    return handler
