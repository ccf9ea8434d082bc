"""Article extraction: pure functions from (html, url, site knowledge) to an ``Extracted``.

trafilatura does the main-content detection; this package adds decoding of
raw bytes, structured-metadata preference, junk-line rules, site-level
boilerplate learning, a fallback for pages trafilatura gives up on, and the
wire credit and dateline the dedupe and the feed use.  Nothing here does I/O.

The names are imported on first use (PEP 562): the crawl process imports this
package for its site knowledge (``sitelearn``) but never extracts, its workers
do.  Importing trafilatura, htmldate and justext there too cost every crawl
~0.13 s of CPU for nothing (issue 21).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wirewatch.pipelines.extract.batch import extract_batch
    from wirewatch.pipelines.extract.core import (
        Extracted,
        apply_site,
        extract_article,
        extract_page,
    )
    from wirewatch.pipelines.extract.sitelearn import SiteKnowledge

__all__ = [
    "Extracted",
    "SiteKnowledge",
    "apply_site",
    "extract_article",
    "extract_batch",
    "extract_page",
]

_HOMES = {
    "Extracted": "core",
    "apply_site": "core",
    "extract_article": "core",
    "extract_page": "core",
    "extract_batch": "batch",
    "SiteKnowledge": "sitelearn",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # looked up once
    return value
