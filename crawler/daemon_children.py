"""The scheduler daemon's child processes: each crawl or alert run is a ``wirewatch`` child.

Children run in sessions of their own, so Ctrl-C in a terminal reaches only
the daemon, which then asks each child exactly once to finish (Scrapy takes
a second SIGTERM as "force an unclean shutdown", which would leave its run
half-recorded).  If the daemon is killed outright, the kernel asks instead
(``stop_with_parent``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from wirewatch.crawler.config import SKIP_BAD_SOURCES_ENV

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send ``signum`` to the child when we die.

    Linux only (None elsewhere: children then finish on their own).  The
    signal fires when the thread that started the child ends; ours waits for
    the child, so in practice that is when the daemon dies.  The C function
    is looked up before the fork: between fork and exec the child only calls
    it and ``getppid``, and exits at once if the daemon died before it asked.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signum), 0, 0, 0)
        if os.getppid() != parent:  # orphaned already: the kernel will not tell us
            os._exit(1)

    return preexec


class Children:
    """Starts ``wirewatch`` children, waits for them, and signals the running ones."""

    def __init__(self, child_args: list[str], database_url: str, stopping: threading.Event):
        self.child_args = child_args
        self.database_url = database_url
        self.stopping = stopping
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        # Children already asked to stop: never ask twice (see the module's docstring).
        self.terminated: set[int] = set()
        self.lock = threading.Lock()

    def run(self, job: str, args: list[str]) -> int:
        """Run ``wirewatch ARGS`` for ``job`` to its end; its exit code."""
        command = [sys.executable, "-m", "wirewatch.crawler.cli", *self.child_args, *args]
        # The daemon already logged any broken source: the children skip them too.
        env = dict(os.environ, DATABASE_URL=self.database_url, **{SKIP_BAD_SOURCES_ENV: "1"})
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            preexec_fn=stop_with_parent(),
        )
        with self.lock:
            self.running[job] = child
        try:
            if self.stopping.is_set():
                child.send_signal(signal.SIGTERM)
            return child.wait()
        finally:
            with self.lock:
                self.running.pop(job, None)

    def signal(self, signum: int) -> None:
        """Send ``signum`` to every running child (SIGTERM at most once to each)."""
        with self.lock:
            children = [c for c in self.running.values() if c.poll() is None]
            if signum == signal.SIGTERM:
                children = [c for c in children if c.pid not in self.terminated]
                self.terminated.update(c.pid for c in children)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)
