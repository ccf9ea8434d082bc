"""Scrapy settings of the wirewatch project: every default in one place.

``wirewatch crawl`` overrides a few of these from the ``[crawl]`` table of
``wirewatch.toml`` (see ``crawler.runner.settings_for``); ``scrapy crawl``
from the repository root uses them as they are.
"""

from scrapy.settings import default_settings

from wirewatch.crawler import __version__

BOT_NAME = "wirewatch"
SPIDER_MODULES = ["wirewatch.crawler.spiders"]
NEWSPIDER_MODULE = "wirewatch.crawler.spiders"

# Politeness: identify ourselves, obey robots.txt, and let AutoThrottle slow
# down for slow sites on top of a small per-domain concurrency.
USER_AGENT = f"wirewatch/{__version__} (+https://github.com/wirewatch/wirewatch)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Bad input must not stall or swamp a crawl.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# Only http(s) is ever fetched (pipelines/url_policy.py): no local files, data:
# URLs, FTP or S3 buckets named by a feed.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
# Refuses DNS answers that are not public addresses at connection time, unless
# the host is one of the crawled sources' own (crawler/middlewares/url_guard.py).
TWISTED_DNS_RESOLVER = "wirewatch.crawler.middlewares.url_guard.GuardedResolver"

# Depth-first order keeps memory flat: a listing's articles are fetched
# before the next listing's URLs pile up in the scheduler.
DEPTH_PRIORITY = 0
# Bytes of downloaded pages waiting for the item pipelines (extraction is the
# bottleneck).  Scrapy's 5 MB lets thousands of pages queue up per crawler;
# 250 kB keeps a crawl's memory flat from 1,000 to 10,000 articles at the
# same speed (benchmarks/crawl.py).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 250_000
# Items of one response processed at once.  An article page yields one item, a
# listing yields requests (scheduled at once, not processed): Scrapy's 100
# started 101 asyncio tasks per page for nothing (issue 21's task churn).
CONCURRENT_ITEMS = 1
# Scrapy's check for generator callbacks that return a value re-reads and parses the
# callback's source on every response: its cache holds callables weakly, and a bound
# method dies at once, so it never hits (~0.1-0.3 ms a page).  The spiders' callbacks
# are checked once, by tests/test_spider_callbacks.py, with Scrapy's own function.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Scrapy's memory stats without its per-access deprecation shim (crawler/stats.py).
STATS_CLASS = "wirewatch.crawler.stats.CrawlStats"

# Polite, incremental fetching (crawler/middlewares): Retry-After and per-domain
# backoff extend RetryMiddleware; listings are fetched conditionally (580 sits
# after decompression, before retry, in response order); stored articles are
# dropped before they are scheduled.
DOWNLOADER_MIDDLEWARES = {
    # First in line: every request, redirect hop and robots.txt passes the URL policy.
    "wirewatch.crawler.middlewares.url_guard.UrlGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "wirewatch.crawler.middlewares.backoff.BackoffRetryMiddleware": 550,
    "wirewatch.crawler.middlewares.conditional.ConditionalGetMiddleware": 580,
    # Meta refresh looked for in the page's head, without decoding the whole page.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "wirewatch.crawler.middlewares.meta_refresh.HeadMetaRefreshMiddleware": 581,
}
SPIDER_MIDDLEWARES = {
    # The raw-page archive ([archive]): article pages kept as WARC before they become items.
    "wirewatch.crawler.middlewares.archive.ArchiveMiddleware": 900,
    "wirewatch.crawler.middlewares.incremental.KnownArticlesMiddleware": 950,
    # Scale-out ([scale] in wirewatch.toml): one worker seeds a round's listings.
    "wirewatch.crawler.middlewares.seed_once.SeedOnceMiddleware": 960,
}

ITEM_PIPELINES = {
    # Refuses blocked pages and consent redirects first (pipelines.page_gate), then
    # extracts; challenges, consent walls and paywall teasers are rejected by kind.
    "wirewatch.pipelines.extraction.ExtractionPipeline": 300,
    # Fingerprints the text; storage files the article under its story.
    "wirewatch.pipelines.dedupe.DedupePipeline": 500,
    "wirewatch.pipelines.storage.StoragePipeline": 800,
}

EXTENSIONS = {
    "wirewatch.crawler.extensions.crawl_runs.CrawlRunRecorder": 500,
    "wirewatch.crawler.extensions.progress.CrawlProgress": 510,
}
# Scrapy's own extensions but its remote control: off (REMOTE_CONTROL_ENABLED below), and
# not even imported, which imports aiohttp (~0.25 s of every crawl process's start).
# Mapping it to None in EXTENSIONS is not enough: Scrapy imports each key it is given.
EXTENSIONS_BASE = {
    path: order
    for path, order in default_settings.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}

# wirewatch settings.
# Database URL; None means pipelines.db.database_url() ($DATABASE_URL or embedded).
DATABASE_URL = None
# Configuration file the spiders read their source from; None = the usual lookup.
WIREWATCH_CONFIG = None
# True when the process running the crawl already holds the source's advisory
# lock (crawler.runner does); otherwise the crawl-run recorder takes it.
WIREWATCH_SOURCE_LOCKED = False
# Connections of the process's one database pool (pipelines.resources), shared
# by every source's crawler and component: storage, the crawl-run recorder,
# fetch state, boilerplate learning.  A ``wirewatch crawl`` holds this many plus
# one for the sources' locks, whatever the number of sources.
WIREWATCH_DB_POOL_SIZE = 6
# Database outages (a restart, a failover): an article that cannot be stored
# is tried this many times, pausing 4, 8, 16, 32 s (the delay doubles), then
# recorded as store_failed and fetched again by the next run.
WIREWATCH_STORE_TRIES = 5
WIREWATCH_STORE_RETRY_DELAY = 4.0
# Seconds to wait for a database connection before a try counts as failed.
WIREWATCH_DB_CONNECT_TIMEOUT = 10
# At the end of a run, how long (s) the crawl-run recorder keeps trying to
# write the run's end and its errors while the database is away.
WIREWATCH_RECORDER_CLOSE_WAIT = 60.0
# Send stored ETag/Last-Modified for feeds, sitemaps and section pages.
WIREWATCH_CONDITIONAL_GET = True
# Every n-th fetch of a listing is a full one, to catch servers whose
# validators stay the same while the content changes (0: never).
WIREWATCH_VALIDATOR_VERIFY_EVERY = 12
# crawl --full: ignore stored validators and stored articles (after a config
# change or a fix): every listing and every listed article is fetched again.
WIREWATCH_FULL_REFETCH = False
# A progress bar per source on stderr (crawler.extensions.progress); `wirewatch crawl`
# sets it when stderr is its terminal and it is not --quiet.
WIREWATCH_PROGRESS = False
# Never fetch an article URL (by url_key) that is stored already.
WIREWATCH_SKIP_KNOWN_ARTICLES = True
# Article URLs looked up in the database per query.
WIREWATCH_KNOWN_LOOKUP_BATCH = 500
# Longest Retry-After (seconds) a run sits out; longer ones are stored and
# the host is left alone until then, by this run and the next ones.
WIREWATCH_RETRY_AFTER_MAX = 120.0
# Backoff after a 429/503 without Retry-After: base * 2**attempt seconds.
WIREWATCH_BACKOFF_BASE = 1.0
# Listings (feeds, sitemaps, section pages) are visited once per run; these
# bound how deep sitemap indexes may nest (start URLs are depth 0) and how many
# listing pages one run of a source may fetch.  Hitting one is a listing_limit error.
WIREWATCH_MAX_LISTING_DEPTH = 5
WIREWATCH_MAX_LISTINGS_PER_RUN = 1000
# Fetch from hosts that are, or resolve to, loopback/private/link-local/...
# addresses even when they are not the source's own ([crawl] allow_private_addresses).
WIREWATCH_ALLOW_PRIVATE_ADDRESSES = False
# The raw-page archive ([archive] in wirewatch.toml, crawler.middlewares.archive): off
# unless configured; the directory defaults to $WIREWATCH_HOME/archive.
WIREWATCH_ARCHIVE_ENABLED = False
WIREWATCH_ARCHIVE_DIR = None
WIREWATCH_ARCHIVE_INCLUDE_LISTINGS = False
WIREWATCH_ARCHIVE_MAX_FILE_MB = 1000
# Extraction (pipelines.extraction): worker processes, so the reactor thread never parses
# HTML; one set per process, shared by every source's crawler.
EXTRACTION_WORKERS = 2
# A page whose extraction takes longer is rejected as extraction_failed; its worker is replaced.
EXTRACTION_TIMEOUT = 30.0
# Workers are recycled after this many pages (bounds memory growth in lxml).
EXTRACTION_WORKER_MAX_TASKS = 500
# Learn each site's repeated blocks (boilerplate) and keep them in PostgreSQL.
EXTRACTION_LEARN_BOILERPLATE = True
# Save what was learned every this many pages, and at spider close.
EXTRACTION_LEARN_FLUSH_PAGES = 200

LOG_LEVEL = "INFO"
# Dropped and stored items are one short line each (URL, kind, reason), never
# the item: items carry the raw page until extraction.
LOG_FORMATTER = "wirewatch.crawler.logformatter.QuietLogFormatter"
LOGSTATS_INTERVAL = 30.0
# No remote consoles: a crawler that runs for months unattended opens no ports.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
