"""``wirewatch schedule`` serves the web interface when ``[web] enabled = true``, and stops it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.web import free_port, wait_for_port


@pytest.mark.slow
def test_the_daemon_starts_and_stops_the_web_app(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "wirewatch.toml"
    config.write_text(
        f'[schedule]\nalerts_interval = "off"\n\n[web]\nenabled = true\nport = {port}\n',
        encoding="utf-8",
    )
    daemon = subprocess.Popen(
        [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "schedule"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, daemon, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/stories", timeout=10) as r:
            assert r.status == 200
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0, daemon.stderr.read() if daemon.stderr else ""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the web app outlived the daemon")
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def test_a_public_address_without_a_password_is_refused(tmp_path: Path) -> None:
    from tests.conftest import run_wirewatch

    config = tmp_path / "wirewatch.toml"
    config.write_text('[web]\nhost = "0.0.0.0"\n', encoding="utf-8")
    result = run_wirewatch("--config", str(config), "web")
    assert result.returncode == 2
    assert "password_env" in result.stderr
    config.write_text("", encoding="utf-8")
    result = run_wirewatch("--config", str(config), "web", "--host", "0.0.0.0")
    assert result.returncode == 2 and "password_env" in result.stderr
