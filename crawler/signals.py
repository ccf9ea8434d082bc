"""wirewatch's own Scrapy signals."""

# Sent by spiders when a page could not be fetched or read; arguments:
# url (str), kind (str, e.g. "http_404", "timeout", "bad_sitemap"), message (str),
# listing (bool: a feed/sitemap/section page rather than an article).
page_failed = object()

# Sent when a feed, sitemap or section page was read; argument: url.
listing_read = object()
