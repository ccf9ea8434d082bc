"""The daemon's HTTP endpoint: metrics for Prometheus, liveness and readiness probes."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from wirewatch.crawler.metrics import DaemonMetrics, MetricsServer


def get(server: MetricsServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read().decode()


@pytest.fixture
def state() -> dict[str, tuple[bool, str]]:
    return {"alive": (True, "ok"), "ready": (True, "ok")}


@pytest.fixture
def server(state: dict[str, tuple[bool, str]]) -> Iterator[MetricsServer]:
    metrics = DaemonMetrics()
    metrics.running.set(2)
    srv = MetricsServer(
        metrics, "127.0.0.1", 0, alive=lambda: state["alive"], ready=lambda: state["ready"]
    )
    yield srv
    srv.close()


def test_metrics_include_the_process_own_memory_and_cpu(server: MetricsServer) -> None:
    status, text = get(server, "/metrics")
    assert status == 200
    assert "wirewatch_crawls_running 2.0" in text
    assert "process_resident_memory_bytes" in text and "process_cpu_seconds_total" in text


def test_probes_answer_200_while_healthy_and_503_with_the_reason_when_not(
    server: MetricsServer, state: dict[str, tuple[bool, str]]
) -> None:
    assert get(server, "/healthz") == (200, "ok\n")
    assert get(server, "/readyz") == (200, "ok\n")
    state["ready"] = (False, "database unreachable")
    assert get(server, "/readyz") == (503, "database unreachable\n")
    assert get(server, "/healthz") == (200, "ok\n")  # alive, though not ready
    state["alive"] = (False, "main loop silent for 75s")
    assert get(server, "/healthz") == (503, "main loop silent for 75s\n")


def test_a_broken_probe_is_unhealthy_not_a_server_error() -> None:
    def broken() -> tuple[bool, str]:
        raise RuntimeError("boom")

    srv = MetricsServer(DaemonMetrics(), "127.0.0.1", 0, ready=broken)
    try:
        assert get(srv, "/readyz") == (503, "probe failed: RuntimeError\n")
    finally:
        srv.close()


def test_other_paths_are_not_found(server: MetricsServer) -> None:
    assert get(server, "/")[0] == 404
    assert get(server, "/metrics/../etc/passwd")[0] == 404
