"""``wirewatch.toml``: where it is, what it may contain, and checking it before anything runs.

Every problem is reported at once, each naming the file, the table (and the
source) and the field, so an operator fixes a config in one pass.  Sections
other than ``[[source]]`` and ``[crawl]`` register a validator in
``SECTIONS``; unknown top-level tables and unknown keys are errors, because a
misspelt key that is silently ignored is a crawl that silently misbehaves.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.scale_config import ScaleOptions, parse_scale
from crawler.schedule_config import ScheduleOptions, cron_problem, parse_duration, parse_schedule
from crawler.web.settings import WebSettings, parse_web
from pipelines.alerts.settings import (
    AlertOptions,
    SmtpSettings,
    parse_alerts_table,
    parse_smtp_table,
)
from pipelines.errors import ConfigError
from pipelines.redact import redact_url
from pipelines.validation import (
    Problems,
    Validator,
    check_keys,
    check_type,
    valid_http_url,
)

__all__ = ["Problems", "Validator", "check_keys", "check_type", "valid_http_url"]

SOURCE_KINDS = ("feed", "sitemap", "section")
_NAME = re.compile(r"^[a-z0-9_-]+$")


@dataclass(frozen=True)
class Source:
    """One monitored source, as declared by a ``[[source]]`` table."""

    name: str
    kind: str
    urls: tuple[str, ...]
    schedule: str | None = None
    wire: bool = False
    follow: str | None = None
    outlet: str | None = None
    enabled: bool = True
    max_pages: int | None = None
    # Seconds during which a stored article is fetched again when listed
    # (to catch updated stories); None: a stored article is never refetched.
    recheck_after: float | None = None
    # HTTP basic auth for this source's own host: the user name, and the
    # environment variable holding the password (never the password itself).
    username: str | None = None
    password_env: str | None = None
    # The URLs are homepages (feed, sitemap): each crawl finds the site's
    # current feeds or sitemaps on them (crawler.source_discovery).
    discover: bool = False

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

    user_agent: str | None = None
    concurrency_per_domain: int = 4
    download_delay: float = 0.0
    download_timeout: float = 30.0
    max_page_bytes: int = 10 * 1024 * 1024
    obey_robots: bool = True
    # Listing pages visited per run of a source, and how deep indexes may nest
    # (WIREWATCH_MAX_LISTINGS_PER_RUN / WIREWATCH_MAX_LISTING_DEPTH).
    max_listings_per_run: int = 1000
    max_listing_depth: int = 5
    # Fetch from non-public addresses (loopback, RFC 1918, link-local...) that
    # are not a source's own host; off by default (pipelines.url_policy).
    allow_private_addresses: bool = False


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
    sections: Mapping[str, Any] = field(default_factory=dict)
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


_SOURCE_FIELDS = {
    "name",
    "kind",
    "url",
    "urls",
    "schedule",
    "wire",
    "follow",
    "outlet",
    "enabled",
    "max_pages",
    "recheck_after",
    "username",
    "password_env",
    "discover",
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def basic_auth_problems(table: Mapping[str, Any], urls: list[str]) -> list[tuple[str, str]]:
    """(field, problem) pairs for a source's ``username`` / ``password_env``.

    The variable must be set now, so a crawl does not fail at fetch time; the
    message names the variable, never its value.  Every URL must be on one
    host, because the password is sent to that host only.
    """
    if "username" not in table and "password_env" not in table:
        return []
    found: list[tuple[str, str]] = []
    username, variable = table.get("username"), table.get("password_env")
    if not isinstance(username, str) or not username or ":" in username:
        found.append(("username", "must be a non-empty string without ':'"))
    if not isinstance(variable, str) or not _ENV_NAME.match(variable):
        found.append(("password_env", "must name an environment variable ([A-Za-z_][A-Za-z0-9_]*)"))
    elif variable not in os.environ:
        found.append(("password_env", f"environment variable {variable} is not set"))
    if len({auth_domain(url) for url in urls}) > 1:
        found.append(("username", "basic auth needs every URL of the source on one host"))
    return found


def auth_domain(url: str) -> str:
    """The host[:port] a source's basic-auth password may be sent to."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def parse_source(table: Any, index: int, problems: Problems) -> Source | None:
    label = f"source #{index + 1}"
    if not isinstance(table, dict):
        problems.add(label, "each [[source]] must be a table")
        return None
    name = table.get("name")
    if isinstance(name, str) and name:
        label = f"source {name!r}"
    before = len(problems.messages)
    check_keys(table, _SOURCE_FIELDS, {"name", "kind"}, label, problems)
    if "name" in table and check_type(name, str, f"{label}: field 'name'", problems):
        if not _NAME.match(name):
            problems.add(f"{label}: field 'name'", "must match [a-z0-9_-]+")
    kind = table.get("kind")
    if "kind" in table and check_type(kind, str, f"{label}: field 'kind'", problems):
        if kind not in SOURCE_KINDS:
            problems.add(f"{label}: field 'kind'", f"must be one of {', '.join(SOURCE_KINDS)}")
    urls: list[str] = []
    if "url" in table and "urls" in table:
        problems.add(f"{label}: field 'urls'", "give either 'url' or 'urls', not both")
    elif "url" in table:
        if check_type(table["url"], str, f"{label}: field 'url'", problems):
            urls = [table["url"]]
    elif "urls" in table:
        value = table["urls"]
        if check_type(value, list, f"{label}: field 'urls'", problems):
            if not value:
                problems.add(f"{label}: field 'urls'", "must not be empty")
            for item in value:
                if check_type(item, str, f"{label}: field 'urls'", problems):
                    urls.append(item)
    else:
        problems.add(f"{label}: field 'url'", "missing required field ('url' or 'urls')")
    field_name = "url" if "url" in table else "urls"
    for url in urls:
        if reason := valid_http_url(url):
            problems.add(f"{label}: field {field_name!r}", reason)
    for key, reason in basic_auth_problems(table, urls):
        problems.add(f"{label}: field {key!r}", reason)
    schedule = table.get("schedule")
    if schedule is not None and check_type(schedule, str, f"{label}: field 'schedule'", problems):
        if reason := cron_problem(schedule):
            problems.add(f"{label}: field 'schedule'", reason)
    if "discover" in table and check_type(
        table["discover"], bool, f"{label}: field 'discover'", problems
    ):
        if table["discover"] and kind == "section":
            problems.add(f"{label}: field 'discover'", "only feed and sitemap sources discover")
    for flag in ("wire", "enabled"):
        if flag in table:
            check_type(table[flag], bool, f"{label}: field {flag!r}", problems)
    follow = table.get("follow")
    if follow is not None and check_type(follow, str, f"{label}: field 'follow'", problems):
        try:
            re.compile(follow)
        except re.error as exc:
            problems.add(f"{label}: field 'follow'", f"bad regular expression: {exc}")
        if kind in ("feed", "sitemap"):
            problems.add(f"{label}: field 'follow'", "only section sources follow links")
    if "outlet" in table:
        check_type(table["outlet"], str, f"{label}: field 'outlet'", problems)
    if (
        "max_pages" in table
        and check_type(table["max_pages"], int, f"{label}: field 'max_pages'", problems)
        and table["max_pages"] < 1
    ):
        problems.add(f"{label}: field 'max_pages'", "must be at least 1")
    recheck_after = None
    if "recheck_after" in table:
        try:
            recheck_after = parse_duration(table["recheck_after"]).total_seconds()
        except ValueError as exc:
            problems.add(f"{label}: field 'recheck_after'", str(exc))
    if len(problems.messages) > before:
        return None
    return Source(
        name=name,
        kind=kind,
        urls=tuple(urls),
        schedule=schedule,
        wire=table.get("wire", False),
        follow=follow,
        outlet=table.get("outlet"),
        enabled=table.get("enabled", True),
        max_pages=table.get("max_pages"),
        recheck_after=recheck_after,
        username=table.get("username"),
        password_env=table.get("password_env"),
        discover=table.get("discover", False),
    )


def parse_crawl_options(table: Any, problems: Problems) -> CrawlOptions:
    if not isinstance(table, dict):
        problems.add("[crawl]", "must be a table")
        return CrawlOptions()
    defaults = CrawlOptions()
    allowed = set(CrawlOptions.__dataclass_fields__)
    check_keys(table, allowed, set(), "[crawl]", problems)
    values: dict[str, Any] = {}
    for key in allowed & set(table):
        default = getattr(defaults, key)
        expected: type | tuple[type, ...]
        if key == "user_agent":
            expected = str
        elif isinstance(default, float):
            expected = (int, float)
        else:
            expected = type(default)
        where = f"[crawl]: field {key!r}"
        if check_type(table[key], expected, where, problems):
            if isinstance(table[key], int | float) and not isinstance(table[key], bool):
                if table[key] < 0 or (key != "download_delay" and table[key] == 0):
                    problems.add(where, "must be positive")
                    continue
            values[key] = table[key]
    return CrawlOptions(**values)


def _alert_section(tables: Any, problems: Problems) -> Any:
    from pipelines.alerts.settings import parse_alert_tables

    return parse_alert_tables(tables, problems)


def _archive_section(table: Any, problems: Problems) -> Any:
    from pipelines.archive.settings import parse

    return parse(table, problems)


# Typed top-level tables: TOML name -> (attribute of Config, parser).
TABLES: dict[str, tuple[str, Validator]] = {
    "scale": ("scale", parse_scale),
    "web": ("web", parse_web),
    "schedule": ("schedule", parse_schedule),
    "smtp": ("smtp", parse_smtp_table),
    "alerts": ("alerts", parse_alerts_table),
}

# Extra top-level tables: name -> validator returning the parsed value.
SECTIONS: dict[str, Validator] = {
    "alert": _alert_section,  # tuple of SubscriptionSpec, from [[alert]] tables
    "archive": _archive_section,  # ArchiveSettings: raw pages kept as WARC
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
    known = {"source", "crawl", *TABLES, *SECTIONS}
    for key in sorted(set(data) - known):
        problems.add(f"[{key}]", "unknown table or key")
    sources: list[Source] = []
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        problems.add("[source]", "sources are declared as [[source]] tables")
        raw_sources = []
    seen: set[str] = set()
    rejected: dict[str, tuple[str, ...]] = {}
    for index, table in enumerate(raw_sources):
        own = Problems(path) if skip_bad_sources else problems
        source = parse_source(table, index, own)
        if own is not problems and own.messages:
            name = table.get("name") if isinstance(table, dict) else None
            label = name if isinstance(name, str) and name else f"source #{index + 1}"
            rejected[label] = tuple(own.messages)
            continue
        if source is None:
            continue
        if source.name in seen:
            problems.add(f"source {source.name!r}: field 'name'", "duplicate source name")
            continue
        seen.add(source.name)
        sources.append(source)
    crawl = parse_crawl_options(data.get("crawl", {}), problems)
    sections = {
        name: validator(data[name], problems)
        for name, validator in SECTIONS.items()
        if name in data
    }
    tables = {
        attribute: parse(data[name], problems)
        for name, (attribute, parse) in TABLES.items()
        if name in data
    }
    problems.raise_if_any()
    return Config(
        path=Path(path),
        sources=tuple(sources),
        crawl=crawl,
        sections=sections,
        rejected=rejected,
        **tables,
    )


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
