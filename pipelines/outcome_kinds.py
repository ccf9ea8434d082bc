"""The kinds of outcome of a fetched page that did not become an article.

Plain strings, importable without Scrapy: the extraction workers name their
verdicts with them and so never load the crawler's libraries (Scrapy, Twisted,
OpenSSL: ~30 MB in every worker).  ``pipelines.outcomes`` adds ``PageRejected``,
the Scrapy exception the pipelines raise with one of them.
"""

NOT_ARTICLE = "not_article"  # index/tag page, or too little text to be an article
EXTRACTION_FAILED = "extraction_failed"  # extractor crashed or timed out on the page
NOT_HTML = "not_html"  # binary or other non-HTML response
TOO_LARGE = "too_large"
BLOCKED = "blocked"  # 403, captcha or bot-challenge page
CONSENT_WALL = "consent_wall"
PAYWALL = "paywall"
