"""The worker pool: tasks run in other processes, and a slow, dying or used-up worker
costs only its own task."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, wait
from pathlib import Path

import pytest

from wirewatch.pipelines.worker_pool import WorkerDied, WorkerPool

CONTEXT = multiprocessing.get_context("forkserver")


def pid(_: object = None) -> int:
    return os.getpid()


def echo(value: object) -> object:
    return value


def fail(message: str) -> None:
    raise ValueError(message)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def die(code: int) -> None:
    os._exit(code)


def unpicklable() -> object:
    return threading.Lock()


def mark(path: str) -> None:
    Path(path).touch()


def gone(worker: int, within: float = 10.0) -> bool:
    """The process has ended (its forkserver reaps it) within ``within`` seconds."""
    until = time.monotonic() + within
    while time.monotonic() < until:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    made = WorkerPool(2, CONTEXT)
    try:
        yield made
    finally:
        made.stop()
        made.join(30)


def test_tasks_run_in_worker_processes_and_their_results_come_back(pool: WorkerPool) -> None:
    futures = [pool.schedule(echo, args=(n,)) for n in range(20)]
    assert [f.result(timeout=60) for f in futures] == list(range(20))
    pids = {pool.schedule(pid).result(timeout=60) for _ in range(10)}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_an_exception_raised_by_the_task_fails_its_future_alone(pool: WorkerPool) -> None:
    failing = pool.schedule(fail, args=("bad page",))
    after = pool.schedule(echo, args=("next",))
    with pytest.raises(ValueError, match="bad page"):
        failing.result(timeout=60)
    assert after.result(timeout=60) == "next"


def test_a_task_over_its_timeout_fails_and_its_worker_is_replaced(pool: WorkerPool) -> None:
    started = time.monotonic()
    slow = pool.schedule(sleep, args=(60,), timeout=1)
    with pytest.raises(TimeoutError, match="ran over 1 s"):
        slow.result(timeout=30)
    assert time.monotonic() - started < 10
    assert [pool.schedule(echo, args=(n,)).result(timeout=60) for n in range(4)] == [0, 1, 2, 3]


def test_a_worker_that_dies_fails_only_its_task_and_is_replaced() -> None:
    with WorkerPool(1, CONTEXT) as pool:
        before = pool.schedule(pid).result(timeout=60)
        dying = pool.schedule(die, args=(3,))
        queued = [pool.schedule(echo, args=(n,)) for n in range(3)]
        with pytest.raises(WorkerDied) as died:
            dying.result(timeout=60)
        assert died.value.exitcode == 3
        assert [f.result(timeout=60) for f in queued] == [0, 1, 2]
        assert pool.schedule(pid).result(timeout=60) != before


def test_a_worker_is_replaced_after_max_tasks() -> None:
    with WorkerPool(1, CONTEXT, max_tasks=2) as pool:
        pids = [pool.schedule(pid).result(timeout=60) for _ in range(6)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4] == pids[5]


def test_what_cannot_be_pickled_fails_its_own_task(pool: WorkerPool) -> None:
    with pytest.raises(TypeError):
        pool.schedule(echo, args=(threading.Lock(),)).result(timeout=60)
    with pytest.raises(RuntimeError, match="result"):
        pool.schedule(unpicklable).result(timeout=60)
    assert pool.schedule(echo, args=("still here",)).result(timeout=60) == "still here"


def test_close_lets_queued_tasks_finish_then_the_workers_leave() -> None:
    pool = WorkerPool(1, CONTEXT)
    futures = [pool.schedule(sleep, args=(0.05,)) for _ in range(5)]
    worker = pool.schedule(pid)
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.schedule(echo, args=(1,))
    pool.join(60)
    assert [f.result(timeout=0) for f in futures] == [0.05] * 5
    assert gone(worker.result(timeout=0))


def test_join_says_when_the_pool_is_still_busy() -> None:
    pool = WorkerPool(1, CONTEXT)
    pool.schedule(sleep, args=(30,))
    pool.close()
    with pytest.raises(TimeoutError):
        pool.join(0.5)
    pool.stop()
    pool.join(30)


def test_stop_cancels_queued_tasks_and_fails_running_ones() -> None:
    pool = WorkerPool(1, CONTEXT)
    running = pool.schedule(sleep, args=(60,))
    queued: Future[object] = pool.schedule(echo, args=(1,))
    time.sleep(0.5)  # the first task reaches the worker
    started = time.monotonic()
    pool.stop()
    pool.join(30)
    assert time.monotonic() - started < 10
    assert queued.cancelled()
    with pytest.raises(CancelledError):
        running.result(timeout=0)


def test_a_cancelled_task_is_not_run(pool: WorkerPool, tmp_path: Path) -> None:
    blockers = [pool.schedule(sleep, args=(0.5,)) for _ in range(2)]
    cancelled = pool.schedule(mark, args=(str(tmp_path / "ran"),))
    assert cancelled.cancel()
    wait(blockers, timeout=60)
    assert pool.schedule(echo, args=("after",)).result(timeout=60) == "after"
    assert not (tmp_path / "ran").exists()
