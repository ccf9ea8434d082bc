"""What a crawl process loads at start: only what the crawl uses.

Each library imported for a component that then declines costs every crawl
process its import time, run after run from cron (issue 21).
"""

from __future__ import annotations

import subprocess
import sys

from wirewatch.crawler.middlewares.seed_once import SHARED_SCHEDULER

PROBE = """
import sys
from scrapy.core.spidermw import SpiderMiddlewareManager
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.extension import ExtensionManager
from scrapy.utils.reactor import install_reactor
from scrapy.utils.test import get_crawler
from wirewatch.crawler import settings as project

install_reactor(project.TWISTED_REACTOR)
values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
crawler = get_crawler(settings_dict={**values, **EXTRA})
for manager in (ExtensionManager, SpiderMiddlewareManager, DownloaderMiddlewareManager):
    enabled = manager.from_crawler(crawler).middlewares
    print(" ".join(type(m).__name__ for m in enabled))
print("LOADED", " ".join(m for m in ("aiohttp", "redis", "scrapy_redis") if m in sys.modules))
"""


def started(extra: dict[str, str]) -> tuple[str, list[str]]:
    """(libraries loaded, enabled components) of a crawler built from the project's settings."""
    code = PROBE.replace("EXTRA", repr(extra))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    return out[-1].removeprefix("LOADED").strip(), " ".join(out[:-1]).split()


def test_a_crawl_without_scale_out_loads_neither_the_remote_control_nor_redis() -> None:
    loaded, enabled = started({})
    assert loaded == ""
    assert "RemoteControl" not in enabled and "SeedOnceMiddleware" not in enabled
    assert "CrawlRunRecorder" in enabled and "CoreStats" in enabled  # Scrapy's own still load


def test_scale_out_still_seeds_once() -> None:
    _, enabled = started({"SCHEDULER": SHARED_SCHEDULER})
    assert "SeedOnceMiddleware" in enabled
