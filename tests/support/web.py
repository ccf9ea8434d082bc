"""Browser tests of ``wirewatch web``: the demo newsroom in a database, the app in a child
process, headless Chromium (Debian's ``chromium`` + ``chromium-driver``) through Selenium.

Loaded by the browser test modules with ``pytest_plugins``; it adds a report
hook so a failed test leaves a screenshot of every page it had open, in
``$WIREWATCH_SCREENSHOTS`` (default: ``screenshots/`` under pytest's base temp).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"wirewatch web exited: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"wirewatch web did not listen on {port} within {timeout} s")


@dataclass
class DemoDatabase:
    url: str
    config: Path  # the demo's wirewatch.toml (its sources)
    home: Path


@pytest.fixture(scope="module")
def demo_db(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDatabase]:
    """The demo newsroom crawled by ``wirewatch demo`` into a database of this module's own."""
    name = f"ww_t_web_{uuid.uuid4().hex[:10]}"
    home = tmp_path_factory.mktemp("web-home")
    env = {
        **os.environ,
        "DATABASE_URL": pg_server_url,
        "WIREWATCH_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("WIREWATCH_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", "demo", "--database", name],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    try:
        yield DemoDatabase(
            make_conninfo(pg_server_url, dbname=name), home / "demo" / "wirewatch.toml", home
        )
    finally:
        import psycopg

        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass
class WebServer:
    base: str
    process: subprocess.Popen
    env: dict[str, str] = field(default_factory=dict)

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        return _send(urllib.request.Request(self.base + path, headers=headers or {}))

    def get_json(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        status, _, body = self.get(path, headers)
        return status, json.loads(body) if body else None

    def post(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        return _send(
            urllib.request.Request(self.base + path, data=body, headers=headers, method="POST")
        )


def _send(request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers and body of any answer, error statuses included."""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def start_web(
    demo: DemoDatabase, *, config_text: str = "", env: dict[str, str] | None = None
) -> WebServer:
    """``wirewatch --config FILE web`` on a free loopback port; the demo's sources plus
    ``config_text`` (e.g. a ``[web]`` table) in FILE."""
    port = free_port()
    config = demo.home / f"web-{port}.toml"
    config.write_text(
        demo.config.read_text(encoding="utf-8") + "\n" + config_text, encoding="utf-8"
    )
    child_env = {
        **os.environ,
        "DATABASE_URL": demo.url,
        "WIREWATCH_HOME": str(demo.home),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wirewatch.crawler.cli",
            "--config",
            str(config),
            "web",
            "--port",
            str(port),
        ],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_port(port, process)
    return WebServer(f"http://127.0.0.1:{port}", process, child_env)


def stop_web(server: WebServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per module."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1400",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(
    browser: Any, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The module's browser, with a fresh cookie jar; a screenshot of each page it opened
    (and of where it ended) when the test fails."""
    browser.delete_all_cookies()
    opened: list[str] = []
    original_get = browser.get

    def get(url: str) -> None:
        opened.append(url)
        original_get(url)

    browser.get = get
    try:
        yield browser
    finally:
        browser.get = original_get
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            folder = Path(
                os.environ.get("WIREWATCH_SCREENSHOTS")
                or tmp_path_factory.getbasetemp() / "screenshots"
            )
            folder.mkdir(parents=True, exist_ok=True)
            stem = request.node.name.replace("/", "_")
            final = folder / f"{stem}-last.png"
            browser.save_screenshot(str(final))
            for i, url in enumerate(opened):
                try:
                    original_get(url)
                    browser.save_screenshot(str(folder / f"{stem}-{i:02d}.png"))
                except Exception:  # a screenshot must never hide the failure
                    break
            print(f"screenshots of {request.node.name}: {folder}")


@pytest.fixture(scope="module")
def launch_web() -> Iterator[Any]:
    """``start_web`` for the module; every server it started is stopped at the end."""
    started: list[WebServer] = []

    def launch(demo: DemoDatabase, **kwargs: Any) -> WebServer:
        server = start_web(demo, **kwargs)
        started.append(server)
        return server

    try:
        yield launch
    finally:
        for server in started:
            stop_web(server)
