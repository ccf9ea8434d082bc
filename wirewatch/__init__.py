"""wirewatch as a library: extract articles, fold copies into stories, read the store.

The command line is one way in; notebooks, Airflow tasks and other programs
use these functions instead of shelling out::

    import wirewatch

    article = wirewatch.extract(html, url="https://example.org/news/1")
    groups = wirewatch.dedupe({"a": text_a, "b": text_b, "c": text_c})
    with wirewatch.connect() as ww:               # $DATABASE_URL or the embedded server
        for story in ww.stories(limit=10): ...
        hits = ww.search('"Mansur" AND taliban')
        for change in ww.changes(since="0"): ...
        ww.crawl(["rferl"])                       # needs wirewatch.toml

Everything here is a thin layer over ``wirewatch.pipelines`` (the domain) and
``wirewatch.crawler`` (the Scrapy project, the command line); the command line
calls the same functions.

The names are loaded on first use: ``python -m wirewatch.crawler.cli`` and
the extraction workers import this package first, and should not pay for
the database and extraction modules they may never touch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wirewatch.api import Store, connect, dedupe, extract

__all__ = ["Store", "__version__", "connect", "dedupe", "extract"]

_WHERE = {
    "Store": "wirewatch.api",
    "connect": "wirewatch.api",
    "dedupe": "wirewatch.api",
    "extract": "wirewatch.api",
    "__version__": "wirewatch.pipelines",
}


def __getattr__(name: str) -> Any:
    """Import ``wirewatch.<name>`` from where it lives when first asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module 'wirewatch' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
