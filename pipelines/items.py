"""The one item wirewatch's spiders yield and its pipelines fill in."""

from __future__ import annotations

import scrapy

from wirewatch.pipelines.article import FIELDS


class ArticleItem(scrapy.Item):
    """A fetched page on its way to becoming a stored article.

    Spiders set the fetch fields; ``ExtractionPipeline`` fills the extracted
    ones and drops the raw ``body``; ``DedupePipeline`` adds the fingerprint;
    ``StoragePipeline`` writes it in one transaction.  The fields are the
    ones ``pipelines.article.FIELDS`` declares (Scrapy's item class starts
    from a ``fields`` mapping given in the class body), each carrying its
    declaration's ``set_by``, ``stored`` and ``doc`` as field metadata.
    """

    fields = {  # noqa: RUF012 - Scrapy's declared form, read once by its item metaclass
        f.name: scrapy.Field(set_by=f.set_by, stored=f.stored, doc=f.doc) for f in FIELDS
    }
