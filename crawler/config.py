"""``wirewatch.toml``: where it is, what it may contain, and checking it before anything runs.

Every problem is reported at once, each naming the file, the table (and the
source) and the field, so an operator fixes a config in one pass.  Each table
is a frozen dataclass declaring its keys (``pipelines.validation.setting``),
kept next to what it configures, and registered in ``TABLES`` under an
attribute of :class:`Config`; unknown top-level tables and unknown keys are
errors, because a misspelt key that is silently ignored is a crawl that
silently misbehaves.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wirewatch.crawler.scale_config import ScaleOptions, parse_scale
from wirewatch.crawler.schedule_config import ScheduleOptions, cron_problem, parse_schedule
from wirewatch.crawler.web.settings import WebSettings, parse_web
from wirewatch.pipelines.alerts.addresses import SubscriptionSpec
from wirewatch.pipelines.alerts.settings import (
    AlertOptions,
    SmtpSettings,
    parse_alert_tables,
    parse_alerts_table,
    parse_smtp_table,
)
from wirewatch.pipelines.archive.settings import ArchiveSettings
from wirewatch.pipelines.archive.settings import parse as parse_archive_table
from wirewatch.pipelines.errors import ConfigError
from wirewatch.pipelines.redact import redact_url
from wirewatch.pipelines.validation import (
    ENV_NAME,
    NUMBER,
    Problems,
    Validator,
    at_least,
    check_keys,
    check_type,
    matches,
    one_of,
    parse_table,
    positive,
    refuse,
    seconds,
    setting,
    valid_http_url,
)

__all__ = ["Problems", "Validator", "check_keys", "check_type", "valid_http_url"]

SOURCE_KINDS = ("feed", "sitemap", "section")
Checked = Iterator[tuple[str, str]]  # (key, problem) from a whole-table check
_ENV = "must name an environment variable ([A-Za-z_][A-Za-z0-9_]*)"


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from None
    return pattern


def _username_problem(value: Any) -> str | None:
    if isinstance(value, str) and value and ":" not in value:
        return None
    return "must be a non-empty string without ':'"


def _password_env_problem(value: Any) -> str | None:
    """The variable must be set now, so a crawl does not fail at fetch time; the
    message names the variable, never its value."""
    if not isinstance(value, str) or not ENV_NAME.match(value):
        return _ENV
    return None if value in os.environ else f"environment variable {value} is not set"


@dataclass(frozen=True)
class Source:
    """One monitored source, as declared by a ``[[source]]`` table."""

    name: str = setting(str, matches(r"^[a-z0-9_-]+$", "must match [a-z0-9_-]+"))
    kind: str = setting(str, one_of(SOURCE_KINDS))
    # ``url`` or ``urls``: read by _source_urls.  (mypy takes the setting()s above,
    # dataclasses.field()s without a default, for fields with one.)
    urls: tuple[str, ...] = field()  # type: ignore[misc]
    schedule: str | None = setting(str, refuse(cron_problem), default=None)
    wire: bool = setting(bool, default=False)
    follow: str | None = setting(str, _regex, default=None)
    outlet: str | None = setting(str, default=None)
    enabled: bool = setting(bool, default=True)
    max_pages: int | None = setting(int, at_least(1), default=None)
    # Seconds during which a stored article is fetched again when listed
    # (to catch updated stories); None: a stored article is never refetched.
    recheck_after: float | None = setting(None, seconds, default=None)
    # HTTP basic auth for this source's own host: the user name, and the
    # environment variable holding the password (never the password itself).
    username: str | None = setting(None, refuse(_username_problem), default=None)
    password_env: str | None = setting(None, refuse(_password_env_problem), default=None)
    # The URLs are homepages (feed, sitemap): each crawl finds the site's
    # current feeds or sitemaps on them (crawler.source_discovery).
    discover: bool = setting(bool, default=False)

    def as_row(self) -> dict[str, Any]:
        """Parameters of the ``upsert_source`` query."""
        from psycopg.types.json import Jsonb

        settings = {
            "follow": self.follow,
            "outlet": self.outlet,
            "max_pages": self.max_pages,
            "recheck_after": self.recheck_after,
            "discover": self.discover or None,
        }
        return {
            "name": self.name,
            "kind": self.kind,
            "urls": [redact_url(url) for url in self.urls],
            "wire": self.wire,
            "schedule": self.schedule,
            "settings": Jsonb({k: v for k, v in settings.items() if v is not None}),
        }


@dataclass(frozen=True)
class CrawlOptions:
    """The ``[crawl]`` table: politeness and limits that apply to every source."""

    user_agent: str | None = setting(str, default=None)
    concurrency_per_domain: int = setting(int, positive, default=4)
    download_delay: float = setting(NUMBER, at_least(0, "must be 0 or more"), float, default=0.0)
    download_timeout: float = setting(NUMBER, positive, float, default=30.0)
    max_page_bytes: int = setting(int, positive, default=10 * 1024 * 1024)
    obey_robots: bool = setting(bool, default=True)
    # Listing pages visited per run of a source, and how deep indexes may nest
    # (WIREWATCH_MAX_LISTINGS_PER_RUN / WIREWATCH_MAX_LISTING_DEPTH).
    max_listings_per_run: int = setting(int, positive, default=1000)
    max_listing_depth: int = setting(int, positive, default=5)
    # Fetch from non-public addresses (loopback, RFC 1918, link-local...) that
    # are not a source's own host; off by default (pipelines.url_policy).
    allow_private_addresses: bool = setting(bool, default=False)


@dataclass(frozen=True)
class Config:
    path: Path | None
    sources: tuple[Source, ...] = ()
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    # [scale]: when present, every crawl shares its frontier in Redis.
    scale: ScaleOptions | None = None
    web: WebSettings = field(default_factory=WebSettings)
    schedule: ScheduleOptions = field(default_factory=ScheduleOptions)
    smtp: SmtpSettings | None = None
    alerts: AlertOptions = field(default_factory=AlertOptions)
    # [[alert]] tables: subscriptions kept in step with the file (origin 'config').
    subscriptions: tuple[SubscriptionSpec, ...] = ()
    # [archive]: raw pages kept as WARC (off without the table).
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    # Sources left out by ``skip_bad_sources``: name (or "source #N") -> problems.
    rejected: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source named {name!r} (configured: {known})")

    def select(self, names: list[str] | None) -> list[Source]:
        if not names:
            return [s for s in self.sources if s.enabled]
        return [self.source(n) for n in names]


def auth_domain(url: str) -> str:
    """The host[:port] a source's basic-auth password may be sent to."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _auth_on_one_host(values: Mapping[str, Any], table: Mapping[str, Any]) -> Checked:
    """The password is sent to one host only, so every URL must be on it."""
    if "username" in table and len({auth_domain(url) for url in values["urls"]}) > 1:
        yield "username", "basic auth needs every URL of the source on one host"


def _follow_on_sections(values: Mapping[str, Any], table: Mapping[str, Any]) -> Checked:
    if values.get("follow") is not None and values.get("kind") in ("feed", "sitemap"):
        yield "follow", "only section sources follow links"


def _discover_on_lists(values: Mapping[str, Any], table: Mapping[str, Any]) -> Checked:
    if values.get("discover") and values.get("kind") == "section":
        yield "discover", "only feed and sitemap sources discover"


_SOURCE_CHECKS = (_auth_on_one_host, _follow_on_sections, _discover_on_lists)


def _source_label(table: Any, index: int) -> str:
    name = table.get("name") if isinstance(table, dict) else None
    return f"source {name!r}" if isinstance(name, str) and name else f"source #{index + 1}"


def _source_urls(table: Mapping[str, Any], label: str, problems: Problems) -> tuple[str, ...]:
    """``url = "..."`` or ``urls = [...]``: the URLs given as strings, each checked."""
    if "url" in table and "urls" in table:
        problems.add(f"{label}: field 'urls'", "give either 'url' or 'urls', not both")
        return ()
    if "url" not in table and "urls" not in table:
        problems.add(f"{label}: field 'url'", "missing required field ('url' or 'urls')")
        return ()
    key = "url" if "url" in table else "urls"
    where = f"{label}: field {key!r}"
    given = [table["url"]] if key == "url" else table["urls"]
    if not check_type(given, list, where, problems):
        return ()
    if not given:
        problems.add(where, "must not be empty")
    urls = tuple(url for url in given if check_type(url, str, where, problems))
    for url in urls:
        if reason := valid_http_url(url):
            problems.add(where, reason)
    return urls


def parse_source(table: Any, index: int, problems: Problems) -> Source | None:
    label = _source_label(table, index)
    if not isinstance(table, dict):
        problems.add(label, "each [[source]] must be a table")
        return None
    if "username" in table or "password_env" in table:
        # Basic auth needs both: the one not given is read as None, so its rule reports it.
        table = {"username": None, "password_env": None} | table
    before = len(problems.messages)
    urls = _source_urls(table, label, problems)
    source = parse_table(
        Source,
        table,
        label,
        problems,
        checks=_SOURCE_CHECKS,
        also=("url", "urls"),
        extra={"urls": urls},
    )
    return source if len(problems.messages) == before else None


def parse_crawl_options(table: Any, problems: Problems) -> CrawlOptions | None:
    return parse_table(CrawlOptions, table, "[crawl]", problems)


# Typed top-level tables: TOML name -> (attribute of Config, parser).
TABLES: dict[str, tuple[str, Validator]] = {
    "crawl": ("crawl", parse_crawl_options),
    "scale": ("scale", parse_scale),
    "web": ("web", parse_web),
    "schedule": ("schedule", parse_schedule),
    "smtp": ("smtp", parse_smtp_table),
    "alerts": ("alerts", parse_alerts_table),
    "alert": ("subscriptions", parse_alert_tables),
    "archive": ("archive", parse_archive_table),
}


def parse_config(
    data: Mapping[str, Any], path: Path | str, *, skip_bad_sources: bool = False
) -> Config:
    """Validate a parsed file; every problem is reported at once.

    ``skip_bad_sources`` is for unattended runs (the daemon, cron mode): a
    source with problems of its own is left out (see ``Config.rejected``) so
    the others keep running; any other problem is still an error.
    """
    problems = Problems(path)
    for key in sorted(set(data) - {"source", *TABLES}):
        problems.add(f"[{key}]", "unknown table or key")
    sources, rejected = _parse_sources(data.get("source", []), problems, skip_bad_sources)
    tables = {
        attribute: parse(data[name], problems)
        for name, (attribute, parse) in TABLES.items()
        if name in data
    }
    problems.raise_if_any()
    return Config(path=Path(path), sources=sources, rejected=rejected, **tables)


def _parse_sources(
    tables: Any, problems: Problems, skip_bad: bool
) -> tuple[tuple[Source, ...], dict[str, tuple[str, ...]]]:
    """The valid sources, and (with ``skip_bad``) the problems of each one left out."""
    if not isinstance(tables, list):
        problems.add("[source]", "sources are declared as [[source]] tables")
        return (), {}
    sources: dict[str, Source] = {}
    rejected: dict[str, tuple[str, ...]] = {}
    for index, table in enumerate(tables):
        own = Problems(problems.path) if skip_bad else problems
        source = parse_source(table, index, own)
        if own is not problems and own.messages:
            name = table.get("name") if isinstance(table, dict) else None
            label = name if isinstance(name, str) and name else f"source #{index + 1}"
            rejected[label] = tuple(own.messages)
        elif source is not None and source.name in sources:
            problems.add(f"source {source.name!r}: field 'name'", "duplicate source name")
        elif source is not None:
            sources[source.name] = source
    return tuple(sources.values()), rejected


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config``, else ``$WIREWATCH_CONFIG``, else ``./wirewatch.toml``."""
    if explicit:
        return Path(explicit)
    if os.environ.get("WIREWATCH_CONFIG"):
        return Path(os.environ["WIREWATCH_CONFIG"])
    return Path("wirewatch.toml")


# Set to 1 by the scheduler daemon for its child commands (and usable in cron
# jobs): every command then leaves broken sources out instead of failing.
SKIP_BAD_SOURCES_ENV = "WIREWATCH_SKIP_BAD_SOURCES"


def load_config(
    explicit: str | os.PathLike[str] | None = None, *, skip_bad_sources: bool = False
) -> Config:
    path = config_path(explicit)
    skip_bad_sources = skip_bad_sources or os.environ.get(SKIP_BAD_SOURCES_ENV) == "1"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found "
            "(give --config FILE, set WIREWATCH_CONFIG, or create ./wirewatch.toml)"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return loads_config(text, path, skip_bad_sources=skip_bad_sources)


def loads_config(
    text: str, path: Path | str = "<string>", *, skip_bad_sources: bool = False
) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    return parse_config(data, path, skip_bad_sources=skip_bad_sources)
