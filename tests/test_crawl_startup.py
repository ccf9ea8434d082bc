"""What a crawl process loads at start: only what the crawl uses.

Each library imported for a component that then declines costs every crawl
process its import time, run after run from cron (issue 21).
"""

from __future__ import annotations

from tests.support.probes import python_says
from wirewatch.crawler.middlewares.seed_once import SHARED_SCHEDULER

PROBE = """
import sys
from scrapy.core.spidermw import SpiderMiddlewareManager
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.extension import ExtensionManager
from scrapy.pipelines import ItemPipelineManager
from scrapy.utils.reactor import install_reactor
from scrapy.utils.test import get_crawler
from wirewatch.crawler import settings as project
from wirewatch.crawler.commands import crawl

install_reactor(project.TWISTED_REACTOR)
values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
crawler = get_crawler(settings_dict={**values, **EXTRA})
for manager in (
    ExtensionManager, SpiderMiddlewareManager, DownloaderMiddlewareManager, ItemPipelineManager
):
    enabled = manager.from_crawler(crawler).middlewares
    print(" ".join(type(m).__name__ for m in enabled))
print("LOADED", " ".join(m for m in WATCHED if m in sys.modules))
"""

# Libraries of scale-out (the remote control, the shared scheduler).
SCALE_OUT = ("aiohttp", "redis", "scrapy_redis")
# The extractor: its workers import it, the crawl process only names their task.
EXTRACTOR = ("trafilatura", "htmldate", "justext")


def started(extra: dict[str, str], watched: tuple[str, ...] = SCALE_OUT) -> tuple[str, list[str]]:
    """(which of ``watched`` are loaded, enabled components) of a crawler built from the
    project's settings, with the crawl command imported."""
    code = PROBE.replace("EXTRA", repr(extra)).replace("WATCHED", repr(watched))
    out = python_says(code).splitlines()
    return out[-1].removeprefix("LOADED").strip(), " ".join(out[:-1]).split()


def test_a_crawl_without_scale_out_loads_neither_the_remote_control_nor_redis() -> None:
    loaded, enabled = started({})
    assert loaded == ""
    assert "RemoteControl" not in enabled and "SeedOnceMiddleware" not in enabled
    assert "CrawlRunRecorder" in enabled and "CoreStats" in enabled  # Scrapy's own still load


def test_scale_out_still_seeds_once() -> None:
    _, enabled = started({"SCHEDULER": SHARED_SCHEDULER})
    assert "SeedOnceMiddleware" in enabled


def test_the_crawl_process_leaves_the_extractor_to_its_workers() -> None:
    """Its item pipelines name the workers' task; only the workers import trafilatura."""
    loaded, enabled = started({}, EXTRACTOR)
    assert "ExtractionPipeline" in enabled
    assert loaded == ""


HEAP_PROBE = """
import gc, weakref
from wirewatch.crawler import heap

class Node: pass
gc.disable()  # only settling may find the cycle
gc.set_threshold(YOUNG, 10, 10)
cycle = Node(); cycle.self = cycle; alive = weakref.ref(cycle); del cycle
kept = [Node() for _ in range(1000)]
heap.settle_after_start_up()
print(gc.get_freeze_count(), alive() is None, gc.get_threshold()[0], gc.get_threshold()[1:])
"""


def settled(young: int) -> list[str]:
    """(objects frozen, start-up cycle freed, young threshold, older thresholds) after settling."""
    code = HEAP_PROBE.replace("YOUNG", str(young))
    return python_says(code).split(maxsplit=3)


def test_the_start_up_heap_is_frozen_and_its_garbage_freed_first() -> None:
    frozen, freed, young, older = settled(700)
    assert int(frozen) > 1000  # at least what the probe kept, beside every module
    assert freed == "True"  # a start-up reference cycle was collected, not frozen
    assert int(young) == 10_000 and older.strip() == "(10, 10)"


def test_a_higher_young_threshold_is_kept() -> None:
    _, _, young, _ = settled(50_000)
    assert int(young) == 50_000
