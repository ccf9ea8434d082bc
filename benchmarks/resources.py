"""What one ``wirewatch crawl`` holds: PostgreSQL connections and processes, by number of sources.

A loopback site of ``--sources`` feed sources (``--articles`` each, every
source on its own loopback address, 127.0.0.2, 127.0.0.3, ...) is crawled by
``wirewatch crawl`` in a child process, against a fresh database.  While it
runs, every 100 ms: the connections to that database (``pg_stat_activity``),
the crawl's descendant processes (``/proc``), the RSS and CPU time of the whole
process tree.  Target (issue 19): at most 8 connections and EXTRACTION_WORKERS
worker processes plus the pool's helpers (forkserver, resource tracker),
whatever the number of sources, every article stored.

    .venv/bin/python benchmarks/resources.py --sources 50
    .venv/bin/python benchmarks/resources.py --sources 50 --tree /tmp/res-base  # another checkout

``--tree`` runs the crawl from another checkout (``git worktree add``) with
this interpreter, for a before/after table.  Needs ``DATABASE_URL`` naming a
server where it may create databases (else the embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- sampling (Linux /proc)


def cli_module(tree: Path) -> str:
    """The command line's module in a checkout (older trees had no wirewatch/crawler)."""
    return "wirewatch.crawler.cli" if (tree / "wirewatch" / "crawler").exists() else "crawler.cli"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children of all its threads, recursively)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    children = [int(c) for c in handle.read().split()]
            except OSError:
                continue
            found += children
            stack += children
    return found


def cpu_and_rss(pid: int) -> tuple[float, int] | None:
    """CPU seconds used so far (user + system) and resident bytes of one process."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command: state is field 3, utime 14, stime 15, rss 24 (1-based).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[21]) * PAGE_SIZE


class ResourceWatch:
    """Samples one process tree while it runs; given a database, also the CPU a local
    PostgreSQL server spends on it, and (with ``admin_url``) its connections.

    CPU is summed over every process ever seen, at its last sample: a
    forkserver's children are not the crawl's children, so ``wait4`` rusage
    would miss the extraction workers.  The tree's CPU leaves out the database
    server's, which is where a crawl that stores more per article (search vector,
    dedupe lookups, the feed) pays for it: the server's processes that name the
    database (``server_processes``) are summed the same way, less what they had
    used when the watch began.  A backend that lives less than one interval is
    missed, and only a server on this machine can be seen.
    """

    def __init__(
        self,
        pid: int,
        admin_url: str | None = None,
        dbname: str | None = None,
        interval: float = 0.1,
    ):
        self.pid = pid
        self.admin_url = admin_url
        self.dbname = dbname
        self.interval = interval
        self.peak_connections = 0
        self.peak_children = 0
        self.peak_tree_rss = 0
        self.samples = 0
        self._cpu: dict[int, float] = {}
        self._server_start: dict[int, float] = {}
        self._server_cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="resource-watch", daemon=True)

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values())

    @property
    def root_cpu_seconds(self) -> float:
        """CPU of the watched process alone (the crawl's reactor, storage threads...)."""
        return self._cpu.get(self.pid, 0.0)

    @property
    def server_cpu_seconds(self) -> float | None:
        """CPU of the database server's processes for ``dbname``; None when none was seen
        (no database given, or a server on another machine)."""
        if not self._server_cpu:
            return None
        return sum(cpu - self._server_start.get(pid, 0.0) for pid, cpu in self._server_cpu.items())

    def __enter__(self) -> ResourceWatch:
        self._server_start = self._server_sample()  # none yet, for a fresh database
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn = None
        if self.admin_url and self.dbname:
            conn = psycopg.connect(self.admin_url, autocommit=True)
        try:
            while not self._stop.is_set():
                self.sample(conn)
                self._stop.wait(self.interval)
            self.sample(conn)
        finally:
            if conn is not None:
                conn.close()

    def sample(self, conn: psycopg.Connection | None) -> None:
        children = descendants(self.pid)
        self.peak_children = max(self.peak_children, len(children))
        rss = 0
        for pid in [self.pid, *children]:
            seen = cpu_and_rss(pid)
            if seen is not None:
                self._cpu[pid] = max(self._cpu.get(pid, 0.0), seen[0])
                rss += seen[1]
        self.peak_tree_rss = max(self.peak_tree_rss, rss)
        self._server_cpu.update(self._server_sample())
        if conn is not None:
            (n,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.dbname,)
            ).fetchone()
            self.peak_connections = max(self.peak_connections, n)
        self.samples += 1

    def _server_sample(self) -> dict[int, float]:
        if not self.dbname:
            return {}
        return {
            pid: sample[0]
            for pid in server_processes(self.dbname)
            if (sample := cpu_and_rss(pid)) is not None
        }


def server_processes(dbname: str) -> list[int]:
    """The local PostgreSQL processes working for ``dbname``: its backends and autovacuum
    workers, whose command lines name it ("postgres: user dbname 127.0.0.1(5432) idle")."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                words = handle.read().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        if words[:1] == ["postgres:"] and dbname in words:
            found.append(int(entry))
    return found


# ---------------------------------------------------------------- the site


PARAGRAPHS = [
    "The harbour authority of Port {n} confirmed on Monday that the new {topic} line to the "
    "outer islands will not open before the spring, citing delays at the shipyard.",
    "Officials said the second vessel failed its sea trials in October after engineers found "
    "a fault in the steering gear of the {topic}, and that repairs would take three months.",
    "Island residents, who have relied on a single ageing boat for a decade, said the news "
    "about the {topic} was a blow to businesses that had planned for a winter season.",
    "The authority said it would add extra sailings on the old route over the holidays and "
    "publish a revised {topic} timetable once the shipyard confirms a delivery date.",
]


def article_page(source: int, number: int) -> bytes:
    topic = f"topic{source}x{number}"
    body = "".join(f"<p>{p.format(n=source, topic=topic)}</p>" for p in PARAGRAPHS)
    title = f"Source {source} story {number} about {topic}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta property="article:published_time" content="2026-11-20T08:30:00+00:00">'
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in paths)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{base}/</link>'
        f"{items}</channel></rss>"
    ).encode()


@dataclass
class Site:
    """``sources`` feed sources, each served on its own loopback address."""

    servers: list
    articles: int

    def config(self) -> str:
        return "".join(
            f'[[source]]\nname = "src{i:03d}"\nkind = "feed"\nurl = "{s.base_url}/feed.xml"\n\n'
            for i, s in enumerate(self.servers)
        )

    @property
    def expected(self) -> int:
        return len(self.servers) * self.articles


def serve(stack: ExitStack, sources: int, articles: int, first_host: int = 2) -> Site:
    """One FixtureServer per source on 127.0.0.<first_host + i> (127.0.1.x past 255)."""
    from wirewatch.crawler.demo.server import FixtureServer, raw

    servers = []
    for i in range(sources):
        n = first_host + i
        server = stack.enter_context(FixtureServer(host=f"127.0.{n // 256}.{n % 256}"))
        paths = [f"/news/story-{j:02d}.html" for j in range(articles)]
        for j, path in enumerate(paths):
            server.route(path, raw(article_page(i, j)))
        server.route("/feed.xml", raw(feed(server.base_url, paths), "application/rss+xml"))
        servers.append(server)
    return Site(servers, articles)


# ---------------------------------------------------------------- one crawl


@dataclass
class Measured:
    label: str
    seconds: float
    articles: int
    expected: int
    peak_connections: int
    peak_children: int
    peak_tree_rss: int
    cpu_seconds: float
    returncode: int

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


def fresh_database(server_url: str, stack: ExitStack) -> tuple[str, str]:
    """A new, empty database (the crawl migrates it); dropped when ``stack`` closes."""
    import uuid

    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    name = f"ww_res_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    stack.callback(drop)
    return make_conninfo(server_url, dbname=name), name


def run_crawl(
    label: str, tree: Path, config: Path, server_url: str, site: Site, env: dict[str, str]
) -> Measured:
    with ExitStack() as stack:
        url, name = fresh_database(server_url, stack)
        started = time.perf_counter()
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                cli_module(tree),
                "--config",
                str(config),
                "crawl",
                "--quiet",
            ],
            cwd=tree,
            env={**env, "DATABASE_URL": url, "PYTHONPATH": str(tree)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        with ResourceWatch(child.pid, server_url, name) as watch:
            output = child.communicate()[0]
        seconds = time.perf_counter() - started
        if child.returncode:
            tail = output[-2000:]
            print(f"  [{label}] crawl exited {child.returncode}:\n{tail}", file=sys.stderr)
        with psycopg.connect(url) as conn:
            (stored,) = conn.execute("SELECT count(*) FROM wirewatch.articles").fetchone()
    return Measured(
        label,
        seconds,
        stored,
        site.expected,
        watch.peak_connections,
        watch.peak_children,
        watch.peak_tree_rss,
        watch.cpu_seconds,
        child.returncode,
    )


def medians(runs: list[Measured]) -> Measured:
    first = runs[0]
    return Measured(
        first.label,
        statistics.median(r.seconds for r in runs),
        min(r.articles for r in runs),
        first.expected,
        max(r.peak_connections for r in runs),
        max(r.peak_children for r in runs),
        int(statistics.median(r.peak_tree_rss for r in runs)),
        statistics.median(r.cpu_seconds for r in runs),
        max(r.returncode for r in runs),
    )


def report(rows: list[Measured]) -> Iterator[str]:
    header = (
        f"{'tree':<14}{'seconds':>9}{'stored':>12}{'articles/s':>12}{'peak conns':>12}"
        f"{'peak procs':>12}{'tree RSS':>10}{'CPU s':>8}"
    )
    yield header
    yield "-" * len(header)
    for r in rows:
        yield (
            f"{r.label:<14}{r.seconds:>9.1f}{f'{r.articles}/{r.expected}':>12}"
            f"{r.articles_per_second:>12.1f}{r.peak_connections:>12}{r.peak_children:>12}"
            f"{r.peak_tree_rss / 1e6:>8,.0f}MB{r.cpu_seconds:>8.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--articles", type=int, default=4, help="articles per source")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds per tree")
    parser.add_argument(
        "--tree", action="append", type=Path, help="checkout to crawl with (repeatable)"
    )
    args = parser.parse_args(argv)
    trees = args.tree or [ROOT]
    server_url = os.environ.get("DATABASE_URL") or _embedded()
    runs: dict[Path, list[Measured]] = {t: [] for t in trees}
    with ExitStack() as stack:
        site = serve(stack, args.sources, args.articles)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wwres")))
        config = folder / "wirewatch.toml"
        config.write_text(site.config())
        env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
        env["PYTHONUNBUFFERED"] = "1"
        print(
            f"{args.sources} feed sources x {args.articles} articles, one loopback address "
            f"each; database {conninfo_to_dict(server_url).get('host', '?')}\n"
        )
        for _ in range(args.rounds):
            for tree in trees:
                label = tree.name if tree != ROOT else "this tree"
                runs[tree].append(run_crawl(label, tree, config, server_url, site, env))
    for line in report([medians(r) for r in runs.values()]):
        print(line)
    return 0


def _embedded() -> str:
    sys.path.insert(0, str(ROOT))
    from wirewatch.pipelines import db

    return db.database_url()


if __name__ == "__main__":
    sys.exit(main())
