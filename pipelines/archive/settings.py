"""The ``[archive]`` table of ``wirewatch.toml``: where the raw pages are kept as WARC.

Example::

    [archive]
    enabled = true              # the default once the table is there
    dir = "/srv/wirewatch/warc" # default: $WIREWATCH_HOME/archive; relative to this file
    include_listings = false    # also keep feeds, sitemaps and section pages
    max_file_mb = 1000          # a run's file is closed and a new one begun past this size
    keep = "180d"               # the daemon's housekeeping prunes older files (default: keep all)

Archiving is off unless the file has an ``[archive]`` table: raw pages cost
disk (about a quarter of each page, gzipped), and a tool left running for years
must not start filling a disk nobody chose.  Declaring the table is the
choice; ``enabled = false`` keeps the table but stops archiving.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from wirewatch.pipelines.durations import parse_duration
from wirewatch.pipelines.validation import Problems, between, parse_table, refuse, setting

# warcio, Heritrix and wget roll their files at about 1 GB too.
DEFAULT_MAX_FILE_MB = 1000
MAX_FILE_MB_LIMIT = 100_000


# A shorter horizon would race the crawl that is still writing a file.
MIN_KEEP = timedelta(hours=1)


def _keep(value: Any) -> timedelta:
    """How long archive files are kept: a duration of at least an hour."""
    age = parse_duration(value)
    if age < MIN_KEEP:
        raise ValueError(f"must be at least {MIN_KEEP}")
    return age


def _dir_problem(value: str) -> str | None:
    if not value.strip():
        return "must name a directory"
    return "contains a NUL character" if "\0" in value else None


@dataclass(frozen=True)
class ArchiveSettings:
    """Parsed ``[archive]``; ``ArchiveSettings()`` is what a file without the table means."""

    enabled: bool = setting(bool, default=False)
    # None: $WIREWATCH_HOME/archive (resolved when used, like the database's directory).
    dir: Path | None = setting(str, refuse(_dir_problem), Path, default=None)
    include_listings: bool = setting(bool, default=False)
    max_file_mb: int = setting(
        int,
        between(1, MAX_FILE_MB_LIMIT, f"must be between 1 and {MAX_FILE_MB_LIMIT} (MB)"),
        default=DEFAULT_MAX_FILE_MB,
    )
    # None: files are kept until `wirewatch prune --archive-older-than` removes them.
    keep: timedelta | None = setting(None, _keep, default=None)

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    def path(self) -> Path:
        """The archive directory (not created here)."""
        if self.dir is not None:
            return self.dir
        from wirewatch.pipelines.db import wirewatch_home

        return wirewatch_home() / "archive"


def parse(table: Any, problems: Problems) -> ArchiveSettings | None:
    """Validator of ``[archive]`` (registered in ``crawler.config.TABLES``): declaring the
    table turns archiving on, so ``enabled`` is true unless the table says otherwise."""
    given = {"enabled": True} | table if isinstance(table, dict) else table
    settings = parse_table(ArchiveSettings, given, "[archive]", problems)
    if settings is None or settings.dir is None:
        return settings
    return replace(settings, dir=_resolve(settings.dir, problems.path))


def _resolve(value: Path, config_path: Path | str) -> Path:
    """``~`` expanded; a relative directory is taken from the configuration file's,
    so the archive does not move with the directory cron happens to start in."""
    path = value.expanduser()
    if path.is_absolute():
        return path
    return Path(config_path).resolve().parent / path
