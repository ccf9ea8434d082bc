"""Crawl speed, requests saved by incremental fetching, memory, and scale-out, end to end.

A generated newsroom (``GeneratedNewsroom``: a wire service and several
outlets, each reached through its sitemap index) is served on a loopback
port; ``wirewatch crawl`` runs against it in child processes, exactly as cron
runs it, each scenario against a fresh database.

* **cold**: everything is new.  Pages/s (responses served per second of
  crawl wall time, process start-up included), articles stored per second,
  peak RSS of the crawl process (and of it plus its extraction workers).
* **warm**: the same site a little later (1% new articles); requests the
  warm run made as a share of the cold run's (target: < 5%).
* **memory**: peak RSS of a cold crawl of 1,000 articles against one of
  ``--articles`` (target: flat, ratio < 1.2).
* **redis**: the cold and warm runs again with ``--workers`` crawl processes
  sharing one frontier in Redis (``[scale]``): combined pages/s, and whether
  any URL was fetched twice.
* **compare** (issue 21): the same newsroom, each site on its own loopback
  address (127.0.0.2, 127.0.0.3, ...), crawled cold by ``wirewatch crawl``
  and by a bare Scrapy ``SitemapSpider`` + ``trafilatura.extract`` + one
  psycopg INSERT per article (``benchmarks/bare_spider.py``, same politeness
  settings, one crawler per site), ``--rounds`` interleaved rounds (each
  starting with the next tool), each on a fresh database: articles/s, CPU
  per article of the whole process tree (every process sampled from /proc:
  a forkserver's children are not in ``wait4`` rusage), peak RSS of the
  tree, medians and ratios to the bare spider; and, when PostgreSQL runs on
  this machine, the CPU its processes spent on the run's database, which the
  tree's figure leaves out.  ``--tree DIR`` adds ``wirewatch crawl`` from
  another checkout.

Every checkout is byte-compiled first (``byte_compile``), so crawls start as an
installed copy does, whatever ``PYTHONDONTWRITEBYTECODE`` says.

    .venv/bin/python benchmarks/crawl.py                  # 10,000 articles, all scenarios
    .venv/bin/python benchmarks/crawl.py --articles 2000 --only cold
    .venv/bin/python benchmarks/crawl.py --articles 2100 --only compare --rounds 3 \
        --tree /tmp/res-base
    .venv/bin/python benchmarks/crawl.py --articles 2100 --only compare --page-weight web

``--page-weight web`` gives each article page the weight of a real one (~140 kB
of scripts, styles, menus and ad slots around the same text; the real outlet
pages of ``../shared/fixtures/real`` have a median of 143 kB): the default
light pages (~5 kB) make the fixed cost of each page (storing, handing it to
a worker) look large beside extraction.

Needs ``DATABASE_URL`` naming a server where it may create and drop
databases (else the embedded PostgreSQL), and for ``redis`` a Redis server
(``--redis-url``, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import ast
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.resources import ResourceWatch, cli_module
from demo.generated import PAGE_WEIGHTS, GeneratedNewsroom
from wirewatch.crawler.demo.server import FixtureServer
from wirewatch.pipelines import db

SCENARIOS = ("cold", "warm", "memory", "redis", "compare")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    label: str
    seconds: float
    requests: int  # responses served, robots.txt excluded
    max_hits: int  # most requests for any one URL
    articles: int  # articles this run stored (new ones)
    peak_rss: int  # bytes, crawl process (largest one when several)
    peak_tree_rss: int  # bytes, crawl process + extraction workers, sampled
    returncodes: list[int]
    outcomes: Counter[str]  # crawl_errors of the run by kind (walls, failures...)

    @property
    def pages_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------- process memory (Linux /proc)


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                stack.append(child)
    return found


class MemoryWatch:
    """Samples the peak RSS of crawl processes (and their workers) while they run."""

    def __init__(self, pids: list[int], interval: float = 0.25):
        self.pids = pids
        self.interval = interval
        self.peak = 0  # VmHWM of the largest crawl process
        self.tree_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                self.peak = max(self.peak, _status_kb(pid, "VmHWM") * 1024)
            tree = sum(
                _status_kb(p, "VmRSS") for pid in self.pids for p in [pid, *_descendants(pid)]
            )
            self.tree_peak = max(self.tree_peak, tree * 1024)
            self._stop.wait(self.interval)


# ---------------------------------------------------------------- databases and crawls


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    name = f"ww_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(server_url, dbname=name)
    try:
        with db.connect(url) as conn:
            db.migrate(conn)
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def write_config(
    folder: Path, room: GeneratedNewsroom, base: str, scale: str | None, name: str = "w"
) -> Path:
    path = folder / f"{name}.toml"
    text = room.sources_toml(base)
    if scale:
        text += f'\n[scale]\nredis_url = "{scale}"\nkey_prefix = "{folder.name}"\n'
        text += 'idle_timeout = "10s"\n'
    path.write_text(text)
    return path


def count_articles(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM wirewatch.articles").fetchone()[0]


def max_error_id(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM wirewatch.crawl_errors").fetchone()[0]


def crawl(label: str, server: FixtureServer, configs: list[Path], database_url: str) -> Run:
    server.reset_hits()
    before = count_articles(database_url)
    errors_before = max_error_id(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(c), "crawl"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for c in configs
    ]
    with MemoryWatch([p.pid for p in procs]) as memory:
        outputs = [p.communicate()[0] for p in procs]
    seconds = time.perf_counter() - started
    for proc, output in zip(procs, outputs, strict=True):
        if proc.returncode:
            print(f"  [{label}] crawl exited {proc.returncode}:\n{output[-3000:]}", file=sys.stderr)
    hits = Counter({t: n for t, n in server.hits.items() if t != "/robots.txt"})
    articles = count_articles(database_url) - before
    with psycopg.connect(database_url) as conn:
        outcomes = Counter(
            dict(
                conn.execute(
                    "SELECT kind, count(*) FROM wirewatch.crawl_errors WHERE id > %s GROUP BY kind",
                    (errors_before,),
                ).fetchall()
            )
        )
    return Run(
        label,
        seconds,
        sum(hits.values()),
        max(hits.values(), default=0),
        articles,
        memory.peak,
        memory.tree_peak,
        [p.returncode for p in procs],
        outcomes,
    )


def cold_and_warm(
    room: GeneratedNewsroom,
    server: FixtureServer,
    folder: Path,
    server_url: str,
    *,
    workers: int,
    redis_url: str | None,
    warm: bool,
) -> list[Run]:
    label = f"{workers} workers (redis)" if redis_url else "1 process"
    runs = []
    with fresh_database(server_url) as url:
        configs = [
            write_config(folder, room, server.base_url, redis_url, f"w{i}") for i in range(workers)
        ]
        room.publish_fraction(0.99)
        runs.append(crawl(f"cold, {label}", server, configs, url))
        if warm:
            room.set_clock(None)
            runs.append(crawl(f"warm, {label}", server, configs, url))
    return runs


def override_settings(folder: Path, assignments: list[str]) -> None:
    """Crawls in child processes use the project's settings with these changed."""
    lines = ["from wirewatch.crawler.settings import *  # noqa: F403"]
    for assignment in assignments:
        name, _, value = assignment.partition("=")
        lines.append(f"{name.strip()} = {ast.literal_eval(value.strip())!r}")
    (folder / "wwbench_settings.py").write_text("\n".join(lines) + "\n")
    os.environ["SCRAPY_SETTINGS_MODULE"] = "wwbench_settings"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(folder), os.environ.get("PYTHONPATH")])
    )
    print(f"settings changed: {', '.join(assignments)}")


def forget_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


# ---------------------------------------------------------------- compare (issue 21)


@dataclass
class Round:
    tool: str
    seconds: float
    articles: int  # stored
    cpu_seconds: float  # the whole process tree
    root_cpu_seconds: float  # the crawl process alone (not its workers)
    peak_tree_rss: int
    peak_processes: int  # the crawl's descendants
    returncode: int
    # 1-minute load average when the run ended: the machine is shared, and a busy one
    # slows every crawl and inflates its CPU time (cache and core sharing), of either side.
    load: float = 0.0
    # The local database server's CPU for this run's database (ResourceWatch);
    # None when the server is not on this machine.
    db_cpu_seconds: float | None = None

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_article(self) -> float:
        return 1000 * self.cpu_seconds / self.articles if self.articles else float("inf")

    @property
    def db_ms_per_article(self) -> float | None:
        if self.db_cpu_seconds is None:
            return None
        return 1000 * self.db_cpu_seconds / self.articles if self.articles else float("inf")


def serve_sites(stack: ExitStack, room: GeneratedNewsroom) -> list[FixtureServer]:
    """One server per site of the newsroom, on 127.0.0.2, 127.0.0.3, ...: per-domain
    limits (concurrency, AutoThrottle) then behave as on the web."""
    return [
        stack.enter_context(FixtureServer(room, host=f"127.0.0.{2 + i}", keep_log=False))
        for i in range(len(room.sites))
    ]


def sitemap_urls(room: GeneratedNewsroom, servers: list[FixtureServer]) -> list[str]:
    return [
        f"{server.base_url}/{slug}/sitemap.xml"
        for slug, server in zip(room.sites, servers, strict=True)
    ]


def sites_config(room: GeneratedNewsroom, servers: list[FixtureServer]) -> str:
    return "".join(
        f'[[source]]\nname = "gen-{slug}"\nkind = "sitemap"\nurl = "{url}"\n'
        f"wire = {'true' if i == 0 else 'false'}\n\n"
        for i, (slug, url) in enumerate(zip(room.sites, sitemap_urls(room, servers), strict=True))
    )


def measured_run(
    tool: str, command: list[str], cwd: Path, env: dict[str, str], dbname: str
) -> Round:
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with ResourceWatch(child.pid, dbname=dbname) as watch:
        output = child.communicate()[0]
    seconds = time.perf_counter() - started
    if child.returncode:
        print(f"  [{tool}] exited {child.returncode}:\n{output[-3000:]}", file=sys.stderr)
    return Round(
        tool,
        seconds,
        0,
        watch.cpu_seconds,
        watch.root_cpu_seconds,
        watch.peak_tree_rss,
        watch.peak_children,
        child.returncode,
        os.getloadavg()[0],
        watch.server_cpu_seconds,
    )


def compare_round(
    tool: str, tree: Path | None, config: Path, sitemaps: list[str], server_url: str
) -> Round:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with fresh_database(server_url) as url:
        env["DATABASE_URL"] = url
        dbname = conninfo_to_dict(url)["dbname"]
        if tree is None:
            command = [sys.executable, str(ROOT / "benchmarks" / "bare_spider.py"), url, *sitemaps]
            run = measured_run(tool, command, ROOT, env, dbname)
            table = "public.articles"
        else:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
            command = [sys.executable, "-m", cli_module(tree), "--config", str(config), "crawl"]
            run = measured_run(tool, command, tree, env, dbname)
            table = "wirewatch.articles"
        with psycopg.connect(url) as conn:
            run.articles = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return run


def compare(
    room: GeneratedNewsroom, rounds: int, trees: list[Path], server_url: str, own: bool = True
) -> None:
    tools: dict[str, Path | None] = {"wirewatch": ROOT} if own else {}
    for tree in trees:
        tools[f"wirewatch@{tree.name}"] = tree
    tools["bare spider"] = None
    results: dict[str, list[Round]] = {name: [] for name in tools}
    with ExitStack() as stack:
        servers = serve_sites(stack, room)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wwcompare")))
        config = folder / "wirewatch.toml"
        config.write_text(sites_config(room, servers))
        sitemaps = sitemap_urls(room, servers)
        order = list(tools.items())
        for number in range(1, rounds + 1):
            # Each round starts with the next tool: the load a run leaves behind falls on
            # a different one each time, not always on the one listed after it.
            turn = (number - 1) % len(order)
            for name, tree in order[turn:] + order[:turn]:
                run = compare_round(name, tree, config, sitemaps, server_url)
                results[name].append(run)
                print(
                    f"  round {number}, {name}: {run.articles:,} articles in {run.seconds:.1f} s, "
                    f"{run.articles_per_second:.1f}/s, {run.cpu_ms_per_article:.1f} ms CPU each "
                    f"({1000 * run.root_cpu_seconds / max(1, run.articles):.1f} in the crawl "
                    "process), "
                    f"tree {mb(run.peak_tree_rss)}, {run.peak_processes} processes, "
                    f"{_db_cpu(run.db_ms_per_article)} in the database server, "
                    f"load {run.load:.1f}",
                    flush=True,
                )
    print()
    report_compare(results, room.n_articles)


def report_compare(results: dict[str, list[Round]], expected: int) -> None:
    header = (
        f"{'tool (median of rounds)':<26}{'stored':>9}{'articles/s':>12}{'CPU ms/art':>12}"
        f"{'tree peak':>11}{'procs':>7}{'x speed':>9}{'x CPU':>7}{'x mem':>7}"
    )
    print(header)
    print("-" * len(header))
    med = {
        name: (
            min(r.articles for r in runs),
            statistics.median(r.articles_per_second for r in runs),
            statistics.median(r.cpu_ms_per_article for r in runs),
            statistics.median(r.peak_tree_rss for r in runs),
            max(r.peak_processes for r in runs),
        )
        for name, runs in results.items()
    }
    bare = med["bare spider"]
    for name, (stored, speed, cpu, rss, procs) in med.items():
        print(
            f"{name:<26}{stored:>9,}{speed:>12.1f}{cpu:>12.2f}{mb(int(rss)):>11}{procs:>7}"
            f"{speed / bare[1]:>9.2f}{cpu / bare[2]:>7.2f}{rss / bare[3]:>7.2f}"
        )
    # A shared machine's speed drifts by tens of percent within minutes: a ratio taken
    # within one round (runs seconds apart) is steadier than one of medians.
    print("\nratios to the bare spider's run of the same round:")
    bare_runs = results["bare spider"]
    for name, runs in results.items():
        if name == "bare spider":
            continue
        pairs = list(zip(runs, bare_runs, strict=True))
        speed = [r.articles_per_second / b.articles_per_second for r, b in pairs]
        cpu = [r.cpu_ms_per_article / b.cpu_ms_per_article for r, b in pairs]
        print(
            f"  {name}: x speed {', '.join(f'{x:.2f}' for x in speed)} "
            f"(median {statistics.median(speed):.2f}); x CPU {', '.join(f'{x:.2f}' for x in cpu)} "
            f"(median {statistics.median(cpu):.2f})"
        )
    server = {name: [r.db_ms_per_article for r in runs] for name, runs in results.items()}
    if all(ms is not None for runs in server.values() for ms in runs):
        print(
            "\nCPU per article with the database server's (local server only; the tree's CPU "
            "above leaves it out):"
        )
        with_server = {
            name: [r.cpu_ms_per_article + (r.db_ms_per_article or 0.0) for r in runs]
            for name, runs in results.items()
        }
        bare_total = with_server["bare spider"]
        for name, totals in with_server.items():
            db_ms = statistics.median(ms or 0.0 for ms in server[name])
            ratios = [t / b for t, b in zip(totals, bare_total, strict=True)]
            print(
                f"  {name}: {statistics.median(totals):.2f} ms ({db_ms:.2f} in the server)"
                + (
                    ""
                    if name == "bare spider"
                    else f", x {statistics.median(ratios):.2f} the bare spider's"
                )
            )
    loads = [r.load for runs in results.values() for r in runs]
    print(
        f"\nload average (1 min) at the end of the runs: {min(loads):.1f} to {max(loads):.1f},"
        f" median {statistics.median(loads):.1f}, on {os.cpu_count()} cores"
    )
    print(
        f"{expected:,} article pages published; targets for wirewatch: >= 0.9x the bare "
        "spider's articles/s, <= 1.5x its CPU per article, tree peak <= 400 MB"
    )


# ---------------------------------------------------------------- report


def _db_cpu(ms: float | None) -> str:
    return "? ms" if ms is None else f"{ms:.1f} ms"


def mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def report(runs: list[Run]) -> None:
    header = (
        f"{'run':<26}{'seconds':>9}{'requests':>10}{'pages/s':>9}{'articles':>10}"
        f"{'new/s':>8}{'max hits':>9}{'peak RSS':>10}{'+workers':>10}"
    )
    print(header)
    print("-" * len(header))
    # articles: new articles stored; new/s: of those, per second of wall time;
    # peak RSS: the crawl process (VmHWM); +workers: with its extraction
    # workers, RSS summed (shared pages counted once per process).
    for r in runs:
        print(
            f"{r.label:<26}{r.seconds:>9.1f}{r.requests:>10,}{r.pages_per_second:>9.1f}"
            f"{r.articles:>10,}{r.articles / r.seconds:>8.1f}{r.max_hits:>9}"
            f"{mb(r.peak_rss):>10}{mb(r.peak_tree_rss):>10}"
        )
    for r in runs:
        if r.outcomes:
            kinds = ", ".join(f"{kind} {n:,}" for kind, n in r.outcomes.most_common())
            print(f"  {r.label}: pages not stored: {kinds}")


def byte_compile(tree: Path) -> None:
    """Compile the checkout's modules, as ``pip install`` does for an installed copy.

    A checkout installed in editable mode under ``PYTHONDONTWRITEBYTECODE``
    (set on some CI and sandbox machines) never gets ``.pyc`` files: every crawl
    would compile wirewatch's source again at start, in the crawl process and in
    the workers' forkserver (~0.4 s of CPU each), which no installed copy does.
    """
    for package in ("crawler", "pipelines", "wirewatch"):
        if (tree / package).is_dir():
            compileall.compile_dir(tree / package, quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--outlets", type=int, default=5)
    parser.add_argument(
        "--page-weight",
        choices=PAGE_WEIGHTS,
        default="light",
        help="article pages as generated (~5 kB), or with a real page's weight (~140 kB: "
        "scripts, styles, menus; demo/web_chrome.py)",
    )
    parser.add_argument("--workers", type=int, default=2, help="crawl processes for redis")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, help="run only these (repeatable)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="compare: interleaved rounds")
    parser.add_argument(
        "--tree",
        action="append",
        type=Path,
        default=[],
        help="compare: also crawl with wirewatch from this checkout (repeatable)",
    )
    parser.add_argument(
        "--only-trees", action="store_true", help="compare: not this checkout, only --tree ones"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting for the crawls, a Python literal (repeatable)",
    )
    args = parser.parse_args(argv)
    settings_dir = tempfile.TemporaryDirectory(prefix="wwbench-settings")
    if args.set:
        override_settings(Path(settings_dir.name), args.set)
    wanted = set(args.only or SCENARIOS)
    for tree in [ROOT, *args.tree]:
        byte_compile(tree)
    server_url = os.environ.get("DATABASE_URL") or db.database_url()
    room = GeneratedNewsroom(
        args.articles, n_outlets=args.outlets, seed=1, page_weight=args.page_weight
    )
    if wanted == {"compare"}:
        print(
            f"generated newsroom: {args.articles:,} article pages ({args.page_weight}), "
            f"{args.outlets} outlets + wire, one loopback address each; "
            f"{args.rounds} interleaved rounds\n"
        )
        compare(room, args.rounds, args.tree, server_url, own=not args.only_trees)
        return 0
    print(
        f"generated newsroom: {args.articles:,} article pages, {args.outlets} outlets + wire, "
        f"{len(room.sites)} sitemap sources; cold run sees 99%, warm run 100%\n"
    )
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory(prefix="wwbench") as tmp,
        FixtureServer(room, keep_log=False) as server,
    ):
        folder = Path(tmp)
        if wanted & {"cold", "warm"}:
            runs += cold_and_warm(
                room, server, folder, server_url, workers=1, redis_url=None, warm="warm" in wanted
            )
        if "redis" in wanted:
            try:
                runs += cold_and_warm(
                    room,
                    server,
                    folder,
                    server_url,
                    workers=args.workers,
                    redis_url=args.redis_url,
                    warm=True,
                )
            finally:
                forget_redis_keys(args.redis_url, folder.name)
    small: Run | None = None
    if "memory" in wanted:
        small_room = GeneratedNewsroom(1_000, n_outlets=args.outlets, seed=1)
        with (
            tempfile.TemporaryDirectory(prefix="wwbench") as tmp,
            FixtureServer(small_room, keep_log=False) as server,
        ):
            small = cold_and_warm(
                small_room, server, Path(tmp), server_url, workers=1, redis_url=None, warm=False
            )[0]
            small.label = "cold, 1,000 articles"
            runs.append(small)
    report(runs)
    print()
    by_label = {r.label: r for r in runs}
    cold = by_label.get("cold, 1 process")
    warm = by_label.get("warm, 1 process")
    if cold and warm:
        share = warm.requests / cold.requests
        verdict = "ok" if share < 0.05 else "ABOVE TARGET"
        print(
            f"warm run fetched {warm.requests:,} of the cold run's {cold.requests:,} requests: "
            f"{share:.1%} (target < 5%: {verdict})"
        )
    rcold = by_label.get(f"cold, {args.workers} workers (redis)")
    rwarm = by_label.get(f"warm, {args.workers} workers (redis)")
    if rcold and rwarm:
        print(
            f"redis, {args.workers} workers: cold {rcold.pages_per_second:.1f} pages/s, warm "
            f"{rwarm.requests / rcold.requests:.1%} of cold; most fetches of one URL: "
            f"{max(rcold.max_hits, rwarm.max_hits)} (1 = no URL fetched twice)"
        )
    if cold and small:
        ratio = cold.peak_rss / small.peak_rss
        verdict = "ok" if ratio < 1.2 else "ABOVE TARGET"
        print(
            f"peak RSS of the crawl process: {mb(small.peak_rss)} at 1,000 articles, "
            f"{mb(cold.peak_rss)} at {args.articles:,}: x{ratio:.2f} (target < 1.2: {verdict})"
        )
    failed = [r.label for r in runs if any(r.returncodes)]
    if failed:
        print(f"crawls that exited non-zero: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
