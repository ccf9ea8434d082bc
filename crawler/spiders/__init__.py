"""One spider per kind of source: ``feed``, ``sitemap`` and ``section``.

Run one with ``scrapy crawl <kind> -a source=NAME`` (the source must be of
that kind); ``wirewatch crawl`` picks the spider for each source itself.
"""
