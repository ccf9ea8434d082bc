"""Section pages ("World", "Politics"...) whose links lead to articles."""

from __future__ import annotations

from collections.abc import Iterable

import scrapy
from scrapy.http import Response, TextResponse

from wirewatch.crawler.discovery import section_links
from wirewatch.crawler.spiders.base import SourceSpider


class SectionSpider(SourceSpider):
    name = "section"
    kind = "section"

    def parse(self, response: Response) -> Iterable[scrapy.Request]:
        assert self.source is not None
        if not isinstance(response, TextResponse):
            self.report_failure(response.url, "not_html", "section page is not HTML", listing=True)
            return
        listings = section_links(response.text, response.url, self.source.follow)
        yield from self.article_requests(listings, response.url)
