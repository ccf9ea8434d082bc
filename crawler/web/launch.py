"""``wirewatch schedule`` with ``[web] enabled = true``: the web app beside the daemon.

The app runs in a child process of its own (``wirewatch web``), like every
crawl: its pool, threads and event loop never share the daemon's, and a
crash of one does not take the other down.  The daemon stops it when it
stops.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from wirewatch.crawler.config import Config
from wirewatch.crawler.daemon_children import stop_with_parent
from wirewatch.crawler.web.settings import bind_problem, web_settings
from wirewatch.pipelines.errors import UsageError

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0


def web_command(child_args: Sequence[str]) -> list[str]:
    """The child's command line: the daemon's global options (config, logging), then ``web``."""
    return [sys.executable, "-m", "wirewatch.crawler.cli", *child_args, "web"]


@contextmanager
def web_beside_daemon(
    config: Config, child_args: Sequence[str], database_url: str
) -> Iterator[subprocess.Popen | None]:
    """Run ``wirewatch web`` for as long as the block runs, when ``[web] enabled``."""
    settings = web_settings(config)
    if not settings.enabled:
        yield None
        return
    if reason := bind_problem(settings):
        raise UsageError(reason)
    settings.password(), settings.tokens()  # an unset variable fails now, not in the child
    child = subprocess.Popen(
        web_command(child_args),
        stdin=subprocess.DEVNULL,
        env=dict(os.environ, DATABASE_URL=database_url),
        start_new_session=True,  # Ctrl-C reaches the daemon, which stops it once
        # A daemon killed with SIGKILL takes the app with it, so the restarted
        # daemon's app can bind the port again.
        preexec_fn=stop_with_parent(),
    )
    log.info("web interface started on %s:%s (pid %s)", settings.host, settings.port, child.pid)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
