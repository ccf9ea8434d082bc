"""`wirewatch schedule` in a child process, and the one-article site it crawls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wirewatch.crawler.demo.server import FixtureServer, raw, slow

SENTENCE = (
    "The ferry company published its winter timetable on Monday, cutting the early crossing "
    "to the islands and adding a late boat on Fridays for commuters returning home from the "
    "mainland, after a season of complaints about crowded decks."
)


ARTICLE = (
    "<html><head><title>Winter ferry timetable</title></head><body><article>"
    "<h1>Winter ferry timetable</h1>" + f"<p>{SENTENCE}</p>" * 6 + "</article></body></html>"
)


def feed(base: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Ferries</title>'
        f"<link>{base}/</link><description>d</description>"
        f"<item><title>Winter ferry timetable</title><link>{base}/ferry.html</link>"
        "<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"
    )


def site_with(article_delay: float) -> FixtureServer:
    srv = FixtureServer(None).start()
    srv.route("/robots.txt", raw("User-agent: *\nAllow: /\n", "text/plain", validators=False))
    srv.route("/feed.xml", raw(feed(srv.base_url), "application/rss+xml", validators=False))
    if article_delay:
        srv.route("/ferry.html", slow(article_delay, ARTICLE))
    else:
        srv.route("/ferry.html", raw(ARTICLE, validators=False))
    return srv


class DaemonProcess:
    def __init__(self, config: Path, db_url: str, log: Path):
        self.log = log
        env = dict(os.environ, DATABASE_URL=db_url)
        self.handle = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wirewatch.crawler.cli",
                "--config",
                str(config),
                "--json-logs",
                "schedule",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.handle,
            env=env,
        )

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.handle.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.handle.close()

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return out


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def write_config(
    tmp_path: Path, base: str, interval: str, extra: str = 'alerts_interval = "off"'
) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f"""
[[source]]
name = "ferries"
kind = "feed"
url = "{base}/feed.xml"

[schedule]
default_interval = "{interval}"
min_interval = "{interval}"
max_interval = "{interval}"
stop_timeout = "30s"
{extra}
""",
        encoding="utf-8",
    )
    return path
