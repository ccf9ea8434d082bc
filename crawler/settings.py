"""Scrapy settings of the wirewatch project: every default in one place.

``wirewatch crawl`` overrides a few of these from the ``[crawl]`` table of
``wirewatch.toml`` (see ``crawler.runner.settings_for``); ``scrapy crawl``
from the repository root uses them as they are.
"""

from crawler import __version__

BOT_NAME = "wirewatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

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

# Depth-first order keeps memory flat: a listing's articles are fetched
# before the next listing's URLs pile up in the scheduler.
DEPTH_PRIORITY = 0

ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 300,
    # Fingerprints the text; storage files the article under its story.
    "pipelines.dedupe.DedupePipeline": 500,
    "pipelines.storage.StoragePipeline": 800,
}

EXTENSIONS = {
    "crawler.extensions.crawl_runs.CrawlRunRecorder": 500,
}

# wirewatch settings.
# Database URL; None means pipelines.db.database_url() ($DATABASE_URL or embedded).
DATABASE_URL = None
# Configuration file the spiders read their source from; None = the usual lookup.
WIREWATCH_CONFIG = None
# Connections the storage pipeline keeps open per crawl.
WIREWATCH_DB_POOL_SIZE = 4
# Extraction (pipelines.extraction): worker processes, so the reactor thread never parses HTML.
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
LOGSTATS_INTERVAL = 30.0
# No remote consoles: a crawler that runs for months unattended opens no ports.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
