"""What handing a page to an extraction worker costs: pebble against plain pipes.

The crawl hands every page to a worker process through pebble's pool
(``pipelines.workers``): a task goes through pebble's threads and pipes, and
its result wakes the event loop with ``call_soon_threadsafe``.  The
alternative measured here is what a pool of our own would do at best: one
pipe per worker, watched by the event loop itself (``add_reader``), no
threads.  Both run the same task (a page-sized body in, an extraction-sized
result out) with 8 in flight on 2 workers, as the crawl does; ``--work-ms``
makes each task spend an extraction's CPU in its worker first (with trivial
tasks the threads' wake-ups come in batches).  Printed per task: CPU of the
calling process, CPU of the whole process tree without the tasks' own work
(workers included, from /proc), and wall time.

    .venv/bin/python benchmarks/handover.py --tasks 600 --work-ms 8
    .venv/bin/python benchmarks/handover.py --tasks 3000

Measured on 2 cores (2026-11-30), µs of the tree's CPU a task: with 8 ms
tasks pebble 783–950, pipes 267–433; with trivial ones 457 and 200.  A pool of
our own between the two (the caller writing a task to an idle worker's pipe,
one thread reading every worker's pipe and exit) cost 450–550 here, but in
the crawl its caller's side moved to the reactor thread: the crawl process
spent 0.12–0.21 ms an article more than with pebble, not less, and the
end-to-end rounds showed no gain.  It was not kept: pebble's timeouts,
replacement of dead workers and recycling stay pebble's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import pickle
import resource
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pebble import ProcessPool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.resources import cpu_and_rss, descendants

BODY = os.urandom(2500).hex().encode()  # a light article page, ~5 kB
RESULT = {
    "text": "word " * 600,
    "title": "A headline of a usual length for a wire story",
    "fingerprint": list(range(64)),
    "reason": None,
}
IN_FLIGHT = 8


def task(body: bytes, url: str, work: float = 0.0) -> dict[str, Any]:
    """The result, after ``work`` seconds of this process's CPU (an extraction's)."""
    until = time.thread_time() + work
    while time.thread_time() < until:
        pass
    return RESULT


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tree_cpu() -> float:
    pids = [os.getpid(), *descendants(os.getpid())]
    return sum(sample[0] for pid in pids if (sample := cpu_and_rss(pid)) is not None)


async def through_pebble(pool: ProcessPool, tasks: int, work: float) -> None:
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(i: int) -> None:
        async with slots:
            future = pool.schedule(task, args=(BODY, f"http://x/{i}", work), timeout=30)
            waiter: asyncio.Future[Any] = loop.create_future()
            future.add_done_callback(
                lambda done: loop.call_soon_threadsafe(waiter.set_result, done.result())
            )
            await waiter

    await asyncio.gather(*(one(i) for i in range(tasks)))


def serve(conn: Connection) -> None:
    """A worker of the pipe pool: a pickled (function, args) in, a pickled result out."""
    while True:
        try:
            function, args = pickle.loads(conn.recv_bytes())
        except EOFError:
            return
        conn.send_bytes(pickle.dumps(function(*args), pickle.HIGHEST_PROTOCOL))


async def through_pipes(conns: list[Connection], tasks: int, work: float) -> None:
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in conns:
        idle.put_nowait(conn)

    async def one(i: int) -> None:
        conn = await idle.get()
        waiter: asyncio.Future[Any] = loop.create_future()

        def ready() -> None:
            loop.remove_reader(conn.fileno())
            waiter.set_result(pickle.loads(conn.recv_bytes()))

        loop.add_reader(conn.fileno(), ready)
        conn.send_bytes(
            pickle.dumps((task, (BODY, f"http://x/{i}", work)), pickle.HIGHEST_PROTOCOL)
        )
        await waiter
        idle.put_nowait(conn)

    await asyncio.gather(*(one(i) for i in range(tasks)))


def measure(label: str, run: Callable[[], None], tasks: int, work: float) -> None:
    """Per task: the caller's CPU, the tree's without the tasks' own work, and wall time."""
    run()  # warm: workers started, modules imported
    own, tree, wall = own_cpu(), tree_cpu(), time.perf_counter()
    run()
    own, tree, wall = own_cpu() - own, tree_cpu() - tree - tasks * work, time.perf_counter() - wall
    print(
        f"{label:<8}{1e6 * own / tasks:>12.0f}{1e6 * tree / tasks:>12.0f}"
        f"{1e6 * wall / tasks:>12.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--work-ms",
        type=float,
        default=0.0,
        help="CPU each task spends in its worker (a light page's extraction: ~8 ms)",
    )
    args = parser.parse_args(argv)
    work = args.work_ms / 1000
    context = multiprocessing.get_context("forkserver")
    print(
        f"{args.tasks:,} tasks of {args.work_ms:g} ms, {IN_FLIGHT} in flight, "
        f"{args.workers} workers; µs a task, the tasks' own work left out:"
    )
    print(f"{'':<8}{'caller CPU':>12}{'tree CPU':>12}{'wall':>12}")
    pool = ProcessPool(max_workers=args.workers, context=context)
    try:
        measure(
            "pebble",
            lambda: asyncio.run(through_pebble(pool, args.tasks, work)),
            args.tasks,
            work,
        )
    finally:
        pool.close()
        pool.join()
    conns, workers = [], []
    for _ in range(args.workers):
        here, there = multiprocessing.Pipe()
        worker = context.Process(target=serve, args=(there,), daemon=True)
        worker.start()
        there.close()
        conns.append(here)
        workers.append(worker)
    try:
        measure(
            "pipes", lambda: asyncio.run(through_pipes(conns, args.tasks, work)), args.tasks, work
        )
    finally:
        for conn in conns:
            conn.close()
        for worker in workers:
            worker.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
