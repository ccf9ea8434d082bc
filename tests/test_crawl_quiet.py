"""`crawl --quiet` fits cron: silence when all is well, a short report when it is not.

Cron mails what a job prints; a report on every run is a report nobody reads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import run_wirewatch
from tests.support.pages import article_html, feed_xml
from wirewatch.crawler.demo.server import FixtureServer, raw, status


def config_for(tmp_path: Path, base: str) -> Path:
    config = tmp_path / "wirewatch.toml"
    config.write_text(
        f'[[source]]\nname = "good"\nkind = "feed"\nurl = "{base}/feed.xml"\n\n'
        f'[[source]]\nname = "gone"\nkind = "feed"\nurl = "{base}/gone.xml"\n'
    )
    return config


@pytest.mark.usefixtures("db_url")
def test_a_healthy_crawl_prints_nothing(tmp_path: Path) -> None:
    with FixtureServer() as server:
        server.route("/news/1.html", raw(article_html(1)))
        server.route("/feed.xml", raw(feed_xml(server.base_url, [1]), "application/rss+xml"))
        config = config_for(tmp_path, server.base_url)
        log = tmp_path / "crawl.log"
        result = run_wirewatch(
            "--config", str(config), "--log-file", str(log), "crawl", "--quiet", "--source", "good"
        )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert "crawl run 1 of source good: ok" in log.read_text()  # the log keeps its level


@pytest.mark.usefixtures("db_url")
def test_a_metrics_file_holds_every_configured_source_for_node_exporter(tmp_path: Path) -> None:
    with FixtureServer() as server:
        server.route("/news/1.html", raw(article_html(1)))
        server.route("/feed.xml", raw(feed_xml(server.base_url, [1]), "application/rss+xml"))
        config = config_for(tmp_path, server.base_url)
        path = tmp_path / "wirewatch.prom"
        result = run_wirewatch(
            "--config", str(config), "crawl", "--source", "good", "--metrics-file", str(path)
        )
    assert result.returncode == 0, result.stderr
    samples = {
        (sample.name, sample.labels.get("source")): sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }
    assert samples[("wirewatch_last_run_ok", "good")] == 1
    assert samples[("wirewatch_last_run_articles_new", "good")] == 1
    assert samples[("wirewatch_source_alarms", "gone")] == 0  # configured, never crawled
    assert ("wirewatch_last_run_ok", "gone") not in samples
    assert samples[("wirewatch_alerts_pending", None)] == 0
    assert list(tmp_path.glob("wirewatch.prom*")) == [path]  # written whole, no leftovers


def test_an_unwritable_log_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_wirewatch("--log-file", str(tmp_path / "missing" / "x.log"), "status")
    assert result.returncode == 2
    assert result.stderr.startswith("wirewatch: error: cannot write the log file")


def test_a_failed_source_is_reported_and_a_new_alarm_once(tmp_path: Path, db_url: str) -> None:
    with FixtureServer() as server:
        server.route("/gone.xml", status(404))
        config = config_for(tmp_path, server.base_url)
        with psycopg.connect(db_url, autocommit=True) as conn:
            run_wirewatch("--config", str(config), "migrate")
            conn.execute(
                "INSERT INTO wirewatch.sources (name, kind, urls) VALUES ('gone', 'feed', %s)",
                ([f"{server.base_url}/gone.xml"],),
            )
            for hours in (2, 1):  # two failed runs before this one: the third raises the alarm
                at = datetime.now(UTC) - timedelta(hours=hours)
                conn.execute(
                    "INSERT INTO wirewatch.crawl_runs (source, started_at, finished_at, status)"
                    " VALUES ('gone', %s, %s, 'failed')",
                    (at, at),
                )
        first = run_wirewatch("--config", str(config), "crawl", "--quiet", "--source", "gone")
        again = run_wirewatch("--config", str(config), "crawl", "--quiet", "--source", "gone")

    assert first.returncode == 1
    assert "gone" in first.stdout and "failed" in first.stdout
    assert "failed entirely: gone" in first.stderr
    assert "turned unhealthy: gone: the last 3 runs failed" in first.stderr
    assert len(first.stderr.splitlines()) < 10, first.stderr  # a report, not the log
    assert again.returncode == 1
    assert "failed entirely: gone" in again.stderr
    assert "turned unhealthy" not in again.stderr  # reported once, while it lasts
