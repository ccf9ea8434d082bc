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

Everything here is a thin layer over ``pipelines`` (the domain) and
``crawler`` (the Scrapy project); the command line calls the same functions.
"""

from __future__ import annotations

from pipelines import __version__
from wirewatch.api import Store, connect, dedupe, extract

__all__ = ["Store", "__version__", "connect", "dedupe", "extract"]
