"""A pool of worker processes, each fed through a pipe of its own and watched by one thread.

What the extraction workers need of a pool (``pipelines.workers``): tasks run in
other processes, a task that runs too long has its worker killed and fails
alone, a worker that dies fails only its own task and is replaced, and a
worker is replaced after ``max_tasks`` tasks (bounding lxml's growth).
pebble did all of it with three threads in the calling process (a task
scheduler, a message manager and a pool manager) and a lock around each pipe:
every page woke two of them, and on the crawl's two cores a page cost ~0.9 ms
of CPU to hand over and back, against ~0.4 ms for plain pipes
(``benchmarks/handover.py --work-ms 8``).  Here the caller writes a task
straight to an idle worker's pipe, and one thread waits on every worker's
pipe and exit at once: a page wakes it once, to read the result.

Results settle ``concurrent.futures.Future`` objects, so sync code waits with
``result()`` and asyncio code with a done-callback (``pipelines.extraction``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as TaskTimeout
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)

# Longest sleep of the watching thread: how late a task's timeout may be noticed.
TIMEOUT_CHECK_SECONDS = 0.25
# How long closing waits for a worker to leave by itself before it is killed.
EXIT_GRACE_SECONDS = 5.0


class WorkerDied(Exception):
    """The worker running a task exited (killed, crashed) before it answered."""

    def __init__(self, exitcode: int | None):
        super().__init__(f"worker exited with code {exitcode}")
        self.exitcode = exitcode


def serve(conn: Connection, max_tasks: int) -> None:
    """A worker's life: a pickled ``(function, args)`` in, a pickled ``(ok, value)`` out,
    until the pipe closes or ``max_tasks`` tasks are done.  Ctrl-C is the pool's to
    handle: a worker ignores it and ends when the pool closes its pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    done = 0
    while not max_tasks or done < max_tasks:
        try:
            function, args = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, function(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            payload = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception
            failure = RuntimeError(f"the task's {'result' if reply[0] else 'error'}: {exc}")
            payload = pickle.dumps((False, failure), pickle.HIGHEST_PROTOCOL)
        try:
            conn.send_bytes(payload)
        except OSError:  # the pool is gone (its process was killed): nobody to answer
            return
        done += 1


@dataclass(eq=False)
class _Task:
    future: Future[Any]
    payload: bytes  # pickled (function, args)
    timeout: float | None


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection  # the pool's end of the worker's pipe
    task: _Task | None = None
    deadline: float | None = None  # time.monotonic() by which the task must be done
    done: int = 0  # tasks answered
    leaving: bool = False  # killed, or told to stop: given no task, removed when it exits


@dataclass(eq=False)
class _Settle:
    future: Future[Any]
    ok: bool
    value: Any

    def apply(self) -> None:
        if self.future.done():  # cancelled after it was sent: nobody waits for it
            return
        if self.ok:
            self.future.set_result(self.value)
        else:
            self.future.set_exception(self.value)


@dataclass(eq=False)
class WorkerPool:
    """``workers`` processes from ``context``, started with the first task.

    ``schedule`` returns a future; ``close`` lets the queued tasks finish, ``stop``
    cancels them and kills the workers; ``join`` waits for the pool to end.
    """

    workers: int
    context: BaseContext
    max_tasks: int = 0  # a worker leaves after this many tasks and is replaced; 0: never
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _pending: deque[_Task] = field(default_factory=deque, init=False, repr=False)
    _running: list[_Worker] = field(default_factory=list, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _wakeup: tuple[int, int] | None = field(default=None, init=False, repr=False)
    _closing: bool = field(default=False, init=False, repr=False)
    _stopped: bool = field(default=False, init=False, repr=False)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
        self.join()

    # -- callers -----------------------------------------------------------------

    def schedule(
        self,
        function: Callable[..., Any],
        args: Sequence[Any] = (),
        timeout: float | None = None,
    ) -> Future[Any]:
        """Run ``function(*args)`` in a worker; its future fails with
        ``concurrent.futures.TimeoutError`` after ``timeout`` seconds of running (its
        worker is killed), with ``WorkerDied`` when its worker exits first, or with
        what the function raised."""
        future: Future[Any] = Future()
        try:
            payload = pickle.dumps((function, tuple(args)), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable argument fails this task alone
            future.set_exception(exc)
            return future
        task = _Task(future, payload, timeout)
        with self._lock:
            if self._closing or self._stopped:
                raise RuntimeError("the worker pool is closed")
            self._start()
            idle = None if self._pending else self._idle()
            if idle is None or not self._dispatch(idle, task):
                self._pending.append(task)
        return future

    def close(self) -> None:
        """Take no more tasks; the workers finish the queued ones, then leave."""
        with self._lock:
            self._closing = True
        self._wake()

    def stop(self) -> None:
        """Cancel the queued tasks and kill the workers; running tasks fail."""
        with self._lock:
            self._closing = self._stopped = True
            cancelled, self._pending = self._pending, deque()
        for task in cancelled:
            task.future.cancel()
        self._wake()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a closed or stopped pool to end; ``TimeoutError`` if it is still busy
        after ``timeout`` seconds."""
        thread = self._thread
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"the worker pool is still busy after {timeout:g} s")

    # -- the watching thread -----------------------------------------------------

    def _start(self) -> None:
        """The workers and the thread watching them, with the first task (lock held)."""
        if self._thread is not None:
            return
        self._wakeup = os.pipe()
        self._replenish()
        self._thread = threading.Thread(target=self._watch, name="wirewatch-workers", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        try:
            while self._turn():
                pass
        except Exception as exc:  # a bug here must not leave callers waiting forever
            log.exception("the worker pool stopped on an error")
            with self._lock:
                self._closing = self._stopped = True
                failed, self._pending = self._pending, deque()
            for task in failed:
                _Settle(task.future, False, RuntimeError(f"the worker pool failed: {exc}")).apply()
        finally:
            self._leave()

    def _turn(self) -> bool:
        """Wait for results, exits and timeouts, and act on them; False once the pool ends."""
        with self._lock:
            if self._stopped or (self._closing and not self._pending and not self._busy()):
                return False
            running = list(self._running)
            sleep = self._sleep(running, time.monotonic())
        assert self._wakeup is not None
        ready = set(
            wait(
                [
                    self._wakeup[0],
                    *(w.conn for w in running),
                    *(w.process.sentinel for w in running),
                ],
                sleep,
            )
        )
        if self._wakeup[0] in ready:
            os.read(self._wakeup[0], 512)
        settled: list[_Settle] = []
        with self._lock:
            for worker in running:
                if worker.conn in ready:
                    self._receive(worker, settled)
            for worker in running:
                if worker.process.sentinel in ready:
                    self._exited(worker, settled)
            self._expire(time.monotonic(), settled)
            if not self._stopped:
                self._replenish()
                self._feed()
        for settle in settled:  # outside the lock: a done-callback may schedule a task
            settle.apply()
        return True

    def _sleep(self, running: list[_Worker], now: float) -> float:
        deadlines = [w.deadline for w in running if w.deadline is not None]
        return max(0.0, min([TIMEOUT_CHECK_SECONDS, *(d - now for d in deadlines)]))

    def _receive(self, worker: _Worker, settled: list[_Settle]) -> None:
        try:
            ok, value = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError):
            return  # it exited: its sentinel says so
        except Exception as exc:  # a result that cannot be unpickled here
            ok, value = False, exc
        task, worker.task, worker.deadline = worker.task, None, None
        worker.done += 1
        if task is not None:
            settled.append(_Settle(task.future, ok, value))

    def _exited(self, worker: _Worker, settled: list[_Settle]) -> None:
        if worker.task is not None and worker.conn.poll(0):  # it answered, then left
            self._receive(worker, settled)
        worker.process.join(0)
        if worker.task is not None:
            settled.append(_Settle(worker.task.future, False, WorkerDied(worker.process.exitcode)))
            worker.task = None
        worker.conn.close()
        self._running.remove(worker)

    def _expire(self, now: float, settled: list[_Settle]) -> None:
        for worker in self._running:
            if worker.task is not None and worker.deadline is not None and worker.deadline <= now:
                task, worker.task, worker.deadline = worker.task, None, None
                settled.append(
                    _Settle(task.future, False, TaskTimeout(f"task ran over {task.timeout:g} s"))
                )
                worker.leaving = True
                worker.process.kill()  # its sentinel fires, and _exited removes it

    def _replenish(self) -> None:
        """Start workers up to the pool's size (not once closing, unless tasks wait)."""
        if self._closing and not self._pending:
            return
        while len([w for w in self._running if not w.leaving]) < max(1, self.workers):
            here, there = self.context.Pipe()
            process = self.context.Process(  # type: ignore[attr-defined]
                target=serve, args=(there, self.max_tasks), daemon=True
            )
            process.start()
            there.close()
            self._running.append(_Worker(process, here))

    def _feed(self) -> None:
        while self._pending and (idle := self._idle()) is not None:
            task = self._pending.popleft()
            if not self._dispatch(idle, task):
                self._pending.appendleft(task)

    def _idle(self) -> _Worker | None:
        for worker in self._running:
            if worker.task is None and not worker.leaving and not self._used_up(worker):
                return worker
        return None

    def _used_up(self, worker: _Worker) -> bool:
        return bool(self.max_tasks) and worker.done >= self.max_tasks

    def _dispatch(self, worker: _Worker, task: _Task) -> bool:
        """Send ``task`` to an idle worker (lock held); False when the worker is gone."""
        if task.future.cancelled():
            return True  # cancelled while queued: nothing to run
        try:
            worker.conn.send_bytes(task.payload)
        except OSError:  # it died meanwhile: its sentinel removes it
            worker.leaving = True
            return False
        worker.task = task
        worker.deadline = None if task.timeout is None else time.monotonic() + task.timeout
        # False when cancelled since the check above: the result is then dropped.
        task.future.set_running_or_notify_cancel()
        return True

    def _busy(self) -> bool:
        return any(worker.task is not None for worker in self._running)

    def _wake(self) -> None:
        if self._wakeup is not None:
            with contextlib.suppress(OSError):
                os.write(self._wakeup[1], b"x")

    def _leave(self) -> None:
        """The pool's end: running tasks fail (a stop), the workers go."""
        with self._lock:
            running, self._running = self._running, []
            stopped = self._stopped
        for worker in running:
            if worker.task is not None:
                _Settle(
                    worker.task.future, False, CancelledError("the worker pool stopped")
                ).apply()
            if stopped:
                worker.process.kill()
            worker.conn.close()  # an idle worker reads the end of its pipe and leaves
        for worker in running:
            worker.process.join(EXIT_GRACE_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        if self._wakeup is not None:
            for end in self._wakeup:
                with contextlib.suppress(OSError):
                    os.close(end)
