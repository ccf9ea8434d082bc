"""A crawl asked to stop at any moment, even while its spider is still opening,
records how its run ended: no run stays 'running' after the process exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.daemon import site_with, write_config
from wirewatch.pipelines import db


def test_sigterm_right_after_the_run_starts_still_closes_the_run(
    db_url: str, tmp_path: Path
) -> None:
    site = site_with(article_delay=1.5)
    try:
        config = write_config(tmp_path, site.base_url, "1s")
        for attempt in range(3):
            child = subprocess.Popen(
                [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "crawl"],
                env=dict(os.environ, DATABASE_URL=db_url),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            with db.connect(db_url, autocommit=True) as conn:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if conn.execute("SELECT 1 FROM crawl_runs WHERE status = 'running'").fetchone():
                        break
                    time.sleep(0.005 * attempt)
                child.send_signal(signal.SIGTERM)
                child.wait(timeout=60)
                running = conn.execute(
                    "SELECT id FROM crawl_runs WHERE status = 'running'"
                ).fetchall()
            assert running == [], f"attempt {attempt}: a run was left running"
    finally:
        site.close()
