"""Article extraction: pure functions from (html, url, site knowledge) to an ``Extracted``.

trafilatura does the main-content detection; this package adds decoding of
raw bytes, structured-metadata preference, junk-line rules, site-level
boilerplate learning, a fallback for pages trafilatura gives up on, and the
wire credit and dateline the dedupe and the feed use.  Nothing here does I/O.
"""

from wirewatch.pipelines.extract.batch import extract_batch
from wirewatch.pipelines.extract.core import Extracted, apply_site, extract_article, extract_page
from wirewatch.pipelines.extract.sitelearn import SiteKnowledge

__all__ = [
    "Extracted",
    "SiteKnowledge",
    "apply_site",
    "extract_article",
    "extract_batch",
    "extract_page",
]
