"""The web interface at scale: story list, story page and search through HTTP.

Fills a throw-away database with ``--articles`` synthetic articles in stories
of 1-6 copies (the loader of ``benchmarks/feed.py``: COPY, real schema and
indexes), starts ``wirewatch web`` on it as a child process on a free
loopback port, and times ``--requests`` warm GETs per case with a real HTTP
client (httpx, one keep-alive connection): median, p95 and max of the
client's latency and of the app's own time (its ``Server-Timing`` header).

Cases: the story list (newest 50, and the third page through the cursor),
a story page (copies, timeline, word diff; a different story each time),
search through the page's box for a rare, a medium and a common word, two
words ANDed and a phrase, and the JSON API's story list.

Targets (issue 16, at 1M articles): list and story page under 100 ms median
server time, search under 150 ms.  The default is small so it runs in about a
minute; use ``--articles 1000000 --keep --workdir DIR`` for the real figure
(the load then takes a while, once).

    .venv/bin/python benchmarks/web.py [--articles 20000] [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feed as feed_bench  # benchmarks/feed.py: the bulk loader
import httpx
import psycopg

from wirewatch.pipelines import db

DB_NAME = "ww_bench_web"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"wirewatch web exited: {process.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"wirewatch web did not listen on port {port}")


def stats(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"{statistics.median(values):7.1f} {p95:7.1f} {values[-1]:7.1f}"


def measure(client: httpx.Client, paths: list[str]) -> tuple[list[float], list[float]]:
    """Client latency and app time (ms) of each GET; the first path is also sent once to warm."""
    client.get(paths[0])
    latency, server = [], []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        latency.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        timing = response.headers.get("server-timing", "app;dur=nan")
        server.append(float(timing.split("dur=")[1]))
    return latency, server


def cases(
    conn: psycopg.Connection, client: httpx.Client, n: int, seed: int
) -> dict[str, list[str]]:
    rng = random.Random(seed)
    stories = [
        r["id"]
        for r in conn.execute(
            "SELECT id FROM stories WHERE copy_count > 1 ORDER BY random() LIMIT %s", (n,)
        )
    ]
    terms = feed_bench.common_terms(conn)
    two = " AND ".join(list(terms.values())[1:])
    phrase_row = conn.execute(
        "SELECT split_part(text, ' ', 5) || ' ' || split_part(text, ' ', 6) AS p "
        "FROM articles ORDER BY id DESC LIMIT 1"
    ).fetchone()
    first = client.get("/api/v1/stories?limit=50").json()["next_cursor"]
    second = client.get(f"/api/v1/stories?limit=50&cursor={first}").json()["next_cursor"]
    found = {
        "story list (newest 50)": ["/stories"] * n,
        "story list, page 3 (cursor)": [f"/stories?cursor={second}"] * n,
        "story page (copies, diff)": [f"/stories/{rng.choice(stories)}" for _ in range(n)],
    }
    for label, term in terms.items():
        found[f"search {label}: {term}"] = [f"/stories?q={term}"] * n
    found[f"search AND: {two}"] = [f"/stories?q={two}"] * n
    found[f'search phrase: "{phrase_row["p"]}"'] = [f'/stories?q="{phrase_row["p"]}"'] * n
    found["API /api/v1/stories (50)"] = ["/api/v1/stories"] * n
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30, help="timed GETs per case")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--server-url", help="PostgreSQL maintenance URL (default: embedded)")
    parser.add_argument("--workdir", help="embedded server directory (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database (reuse it next run)")
    args = parser.parse_args()

    server_url = feed_bench.start_server(args)
    url = feed_bench.bench_database(server_url, DB_NAME, keep=args.keep)
    with db.connect(url) as conn:
        db.migrate(conn)
        conn.commit()
        have = conn.execute("SELECT count(*) AS n FROM articles").fetchone()["n"]
        if not have:
            started = time.perf_counter()
            figures = feed_bench.load(conn, args.articles, args.seed)
            print(f"loaded {args.articles:,} articles in {time.perf_counter() - started:.0f} s "
                  f"({', '.join(f'{k} {v:.0f}' for k, v in figures.items())})")  # fmt: skip
        else:
            print(f"reusing {have:,} articles in {DB_NAME}")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    env.pop("WIREWATCH_CONFIG", None)  # and run in a directory without a wirewatch.toml
    web = subprocess.Popen(
        [sys.executable, "-m", "wirewatch.crawler.cli", "web", "--port", str(port)],
        env=env,
        cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_port(port, web, timeout=300)  # a loaded machine starts slowly
        with (
            db.connect(url) as conn,
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
        ):
            plan = cases(conn, client, args.requests, args.seed)
            head = f"{'client ms: median   p95     max':>32}   {'app ms: median   p95     max':>29}"
            print(f"\n{'case':46} {head}")
            for label, paths in plan.items():
                latency, server = measure(client, paths)
                print(f"{label[:46]:46} {stats(latency):>32}   {stats(server):>29}")
    finally:
        web.terminate()
        web.wait(timeout=15)
    if not args.keep:
        feed_bench.drop_database(server_url, DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
