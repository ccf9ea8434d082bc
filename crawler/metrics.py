"""Prometheus metrics of the scheduler daemon (``prometheus_client``).

Kept in a registry of their own so tests can read them and a daemon never
mixes in another library's defaults.  Figures per source come from the
``crawl_runs`` row each child crawl wrote, so they match ``wirewatch status``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

log = logging.getLogger(__name__)

_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)


class DaemonMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        # The daemon's own memory and CPU (process_resident_memory_bytes, ...).
        ProcessCollector(registry=r)
        self.crawls = Counter(
            "wirewatch_crawls",
            "Crawl runs finished, by source and status.",
            ["source", "status"],
            registry=r,
        )
        self.skipped = Counter(
            "wirewatch_crawls_skipped",
            "Crawl turns skipped, by source and reason (still_running, locked, backoff).",
            ["source", "reason"],
            registry=r,
        )
        self.pages = Counter(
            "wirewatch_pages_fetched", "Pages fetched by crawls.", ["source"], registry=r
        )
        self.articles_new = Counter(
            "wirewatch_articles_new", "New articles stored.", ["source"], registry=r
        )
        self.errors = Counter(
            "wirewatch_crawl_errors", "Errors recorded by crawls.", ["source"], registry=r
        )
        self.duration = Histogram(
            "wirewatch_crawl_duration_seconds",
            "Wall time of a crawl child process.",
            ["source"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.latency = Gauge(
            "wirewatch_latency_seconds",
            "Median latency of new articles, by stage: published_to_discovered and "
            "discovered_to_stored (last run), stored_to_alerted (last hour).",
            ["source", "stage"],
            registry=r,
        )
        self.extraction_yield = Gauge(
            "wirewatch_extraction_yield",
            "Share of article pages with a real body in the last run.",
            ["source"],
            registry=r,
        )
        self.alarms = Gauge(
            "wirewatch_source_alarms", "Drift alarms currently raised.", ["source"], registry=r
        )
        self.running = Gauge("wirewatch_crawls_running", "Crawl processes running.", registry=r)
        self.waiting = Gauge(
            "wirewatch_crawls_waiting",
            "Crawls due and waiting for a free slot (the queue).",
            registry=r,
        )
        self.last_run = Gauge(
            "wirewatch_last_run_timestamp_seconds",
            "Start of the last crawl.",
            ["source"],
            registry=r,
        )
        self.next_run = Gauge(
            "wirewatch_next_run_timestamp_seconds",
            "Next scheduled crawl.",
            ["source"],
            registry=r,
        )
        self.alerts_pending = Gauge(
            "wirewatch_alerts_pending",
            "Alerts waiting in the outbox (the delivery queue), after the last send.",
            registry=r,
        )
        self.jobs = Counter(
            "wirewatch_jobs",
            "Other scheduled jobs run, by job and outcome.",
            ["job", "outcome"],
            registry=r,
        )

    def observe_run(self, source: str, run: Mapping[str, Any] | None, seconds: float) -> None:
        """Account one finished crawl child; ``run`` is its ``crawl_runs`` row, if it wrote one."""
        self.duration.labels(source).observe(seconds)
        if run is None:
            self.crawls.labels(source, "failed").inc()
            return
        self.crawls.labels(source, run["status"]).inc()
        self.pages.labels(source).inc(run["pages_fetched"])
        self.articles_new.labels(source).inc(run["articles_new"])
        self.errors.labels(source).inc(run["errors"])
        self.last_run.labels(source).set(run["started_at"].timestamp())
        stats = run.get("stats") or {}
        if stats.get("extraction_yield") is not None:
            self.extraction_yield.labels(source).set(stats["extraction_yield"])
        for stage, value in (stats.get("latency_s") or {}).items():
            if value is not None:
                self.latency.labels(source, stage).set(value)


# A probe's answer: (healthy, one line saying why).
Probe = Callable[[], tuple[bool, str]]


def _always_ok() -> tuple[bool, str]:
    return True, "ok"


class MetricsServer:
    """The daemon's HTTP endpoint: ``/metrics`` for Prometheus, ``/healthz``, ``/readyz``.

    ``/healthz`` (liveness) says whether the daemon's loop still turns;
    ``/readyz`` (readiness) whether it can reach its database.  Each answers
    200 or 503 with one line of text, for systemd, Kubernetes or a load
    balancer.  Every other path is a 404.
    """

    def __init__(
        self,
        metrics: DaemonMetrics,
        address: str,
        port: int,
        *,
        alive: Probe = _always_ok,
        ready: Probe = _always_ok,
    ):
        routes: dict[str, Callable[[], tuple[int, str, bytes]]] = {
            "/metrics": lambda: (200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry)),
            "/healthz": lambda: _probe_answer(alive),
            "/readyz": lambda: _probe_answer(ready),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                status, kind, body = route() if route else (404, "text/plain", b"not found\n")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # no access log
                return

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="wirewatch-metrics", daemon=True
        )
        self.thread.start()
        log.info("metrics on http://%s:%s/metrics (and /healthz, /readyz)", address, self.port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _probe_answer(probe: Probe) -> tuple[int, str, bytes]:
    try:
        healthy, why = probe()
    except Exception as exc:  # a probe that breaks is an unhealthy answer, not a 500
        healthy, why = False, f"probe failed: {type(exc).__name__}"
    return (200 if healthy else 503), "text/plain; charset=utf-8", f"{why}\n".encode()
