"""Scheduling at scale: what deciding, reporting and idling cost with many sources.

    DATABASE_URL=postgresql://... python benchmarks/schedule.py [--sources 500] [--runs 40]

Creates a scratch database on the server named by DATABASE_URL (dropped at
the end), fills ``crawl_runs`` with a history per source, then measures

* ``crawl --due``'s decision (histories read, every source's next turn computed),
* ``status`` (the same plus error rates, new articles, latency, drift alarms),
* the daemon's resident memory once started with every source scheduled.

No crawl runs: every source has just been crawled and is next due next year.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from wirewatch.crawler.config import load_config
from wirewatch.crawler.schedule_config import schedule_options
from wirewatch.crawler.schedule_state import due_sources
from wirewatch.crawler.source_status import gather
from wirewatch.pipelines import db


def write_config(path: Path, sources: int) -> None:
    tables = [
        f'[[source]]\nname = "s{i:04d}"\nkind = "feed"\n'
        f'url = "http://127.0.0.1:9/{i}.xml"\nschedule = "0 0 1 1 *"\n'
        for i in range(sources)
    ]
    path.write_text("\n".join(tables) + '\n[schedule]\nalerts_interval = "off"\n', "utf-8")


def seed(url: str, sources: int, runs: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    with db.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY sources (name, kind, urls) FROM STDIN") as copy:
            for i in range(sources):
                copy.write_row((f"s{i:04d}", "feed", [f"http://127.0.0.1:9/{i}.xml"]))
        columns = "source, started_at, finished_at, status, pages_fetched, articles_new, stats"
        with cur.copy(f"COPY crawl_runs ({columns}) FROM STDIN") as copy:
            for i in range(sources):
                for n in range(runs):
                    started = now - timedelta(minutes=15 * n + 1)
                    stats = (
                        f'{{"extraction_yield": {rng.uniform(0.8, 1):.3f}, '
                        f'"median_body_chars": {rng.randint(2000, 4000)}}}'
                    )
                    copy.write_row(
                        (
                            f"s{i:04d}",
                            started,
                            started + timedelta(seconds=20),
                            "ok",
                            30,
                            rng.randint(0, 6),
                            stats,
                        )
                    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--runs", type=int, default=40, help="past runs per source")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL")
    if not server:
        sys.exit("set DATABASE_URL to a PostgreSQL server (a scratch database is created on it)")
    name = f"ww_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(server, dbname=name)
    try:
        db.ensure_migrated(url)
        with tempfile.TemporaryDirectory() as tmp:
            config_path = Path(tmp) / "wirewatch.toml"
            write_config(config_path, args.sources)
            clock = time.perf_counter()
            config = load_config(config_path)
            print(f"config of {args.sources} sources loaded in {time.perf_counter() - clock:.3f} s")
            clock = time.perf_counter()
            seed(url, args.sources, args.runs)
            print(
                f"seeded {args.sources * args.runs:,} runs in {time.perf_counter() - clock:.1f} s"
            )
            options = schedule_options(config)
            with db.connect(url) as conn:
                conn.execute("ANALYZE")
                for label, work in (
                    (
                        "crawl --due decision",
                        lambda: due_sources(conn, list(config.sources), options, datetime.now(UTC)),
                    ),
                    ("status (gather)", lambda: gather(conn, config, datetime.now(UTC))),
                ):
                    times = []
                    for _ in range(3):
                        clock = time.perf_counter()
                        result = work()
                        times.append(time.perf_counter() - clock)
                    print(f"{label}: {min(times) * 1000:.0f} ms best of 3 ({len(result)} rows)")
            env = dict(os.environ, DATABASE_URL=url)
            daemon = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "wirewatch.crawler.cli",
                    "--config",
                    str(config_path),
                    "--log-level",
                    "WARNING",
                    "schedule",
                ],
                env=env,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(8)
            print(
                f"daemon resident memory with {args.sources} sources: "
                f"{rss_kib(daemon.pid) / 1024:.0f} MiB"
            )
            daemon.send_signal(signal.SIGTERM)
            print(f"daemon exit status after SIGTERM: {daemon.wait(timeout=60)}")
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


if __name__ == "__main__":
    main()
