"""Logging setup shared by the CLI, the crawler processes and the daemon."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import time
from typing import Any

from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.redact import redact_text


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line, so log shippers need no parsing rules.

    URLs in the message, fields and traceback lose their passwords and tokens
    (``pipelines.redact``): a safety net for lines from Scrapy and Twisted.
    """

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": redact_text(record.getMessage()),
        }
        for key in ("source", "run_id"):
            if getattr(record, key, None) is not None:
                payload[key] = getattr(record, key)
        for key, value in getattr(record, "fields", {}).items():
            payload[key] = redact_text(value)
        if record.exc_info:
            payload["exc"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)


def add_crawl_context(record: logging.LogRecord) -> bool:
    """Give a record the ``source`` and ``run_id`` of the spider it is about, if any.

    One crawl process runs a crawler per source; Scrapy passes the spider
    with most of its records (``extra={"spider": ...}``), so the source and
    its crawl run can be named on every such line, text or JSON.
    """
    spider = getattr(record, "spider", None)
    source = getattr(spider, "source_name", None)
    if source is not None and getattr(record, "source", None) is None:
        record.source = source
        stats = getattr(getattr(spider, "crawler", None), "stats", None)
        get_value = getattr(stats, "get_value", None)  # a log filter must never raise
        record.run_id = get_value("wirewatch/crawl_run_id") if callable(get_value) else None
    return True


class ContextFormatter(logging.Formatter):
    """Text lines; a crawl's lines say ``[source#run]`` after the logger name.

    Secrets in URLs are redacted, as in :class:`JsonLineFormatter`.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = redact_text(super().format(record))
        source = getattr(record, "source", None)
        if source is None:
            return line
        run = getattr(record, "run_id", None)
        tag = f"[{source}#{run}]" if run is not None else f"[{source}]"
        head = f"{record.name}:"
        return line.replace(head, f"{record.name} {tag}:", 1)


def configure_logging(
    level: str = "INFO", *, json_lines: bool = False, log_file: str | None = None
) -> None:
    """Log lines (text or JSON) to stderr, or with ``log_file`` to that file instead.

    The file is reopened when logrotate moves it away (WatchedFileHandler), so
    no copytruncate is needed; stderr then carries only what a command prints
    for its user (``crawl --quiet`` reports), which is what cron mails.
    """
    if log_file:
        try:
            handler: logging.Handler = logging.handlers.WatchedFileHandler(
                log_file, encoding="utf-8"
            )
        except OSError as exc:
            raise UsageError(f"cannot write the log file {log_file}: {exc.strerror}") from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(add_crawl_context)
    if json_lines:
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(ContextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Scrapy sets its own loggers to DEBUG; the handler's level is what filters.
    handler.setLevel(level)
    if logging.getLevelName(level) >= logging.INFO:
        handler.addFilter(_quiet_start_up)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def scrapy_at_our_level() -> None:
    """Scrapy's loggers take the level the log was configured at.

    Scrapy's own logging set-up (run by ``CrawlerProcess``) puts its loggers at
    DEBUG and leaves the filtering to the handler, so each page's DEBUG lines
    ("Crawled (200) ...", "Stored ...") were built as records, then thrown away
    at INFO: ~3% of a crawl process's CPU (issue 21).  At ``--log-level DEBUG``
    they are written as before.
    """
    logging.getLogger("scrapy").setLevel(logging.getLogger().level)


def quiet_stderr() -> None:
    """Only errors reach stderr from now on (a log file keeps its level)."""
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            handler.setLevel(max(handler.level, logging.ERROR))


# Start-up dumps of every setting and component, and the embedded server's
# chatter: useful when debugging, noise in a cron mail.  A filter on our
# handler, because Scrapy's logging set-up resets the levels of its loggers.
_CHATTY_AT_INFO = (
    "scrapy.middleware",
    "scrapy.addons",
    "scrapy.crawler",
    "scrapy.utils.log",
    "scrapy.extensions.telnet",
    "pgserver",
)


def _quiet_start_up(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or not record.name.startswith(_CHATTY_AT_INFO)


def log_event(logger: logging.Logger, level: int, message: str, *args: Any, **fields: Any) -> None:
    """A log line whose ``fields`` become keys of its JSON line (``--json-logs``)."""
    logger.log(level, message, *args, extra={"fields": fields})
