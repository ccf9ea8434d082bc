"""The ``[archive]`` table of ``wirewatch.toml``: where the raw pages are kept as WARC.

Example::

    [archive]
    enabled = true              # the default once the table is there
    dir = "/srv/wirewatch/warc" # default: $WIREWATCH_HOME/archive; relative to this file
    include_listings = false    # also keep feeds, sitemaps and section pages
    max_file_mb = 1000          # a run's file is closed and a new one begun past this size

Archiving is off unless the file has an ``[archive]`` table: raw pages cost
disk (about a third of the page, gzipped), and a tool left running for years
must not start filling a disk nobody chose.  Declaring the table is the
choice; ``enabled = false`` keeps the table but stops archiving.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.validation import Problems, check_keys, check_type

# warcio, Heritrix and wget roll their files at about 1 GB too.
DEFAULT_MAX_FILE_MB = 1000
MAX_FILE_MB_LIMIT = 100_000
_KEYS = {"enabled", "dir", "include_listings", "max_file_mb"}


@dataclass(frozen=True)
class ArchiveSettings:
    """Parsed ``[archive]``; ``ArchiveSettings()`` is what a file without the table means."""

    enabled: bool = False
    # None: $WIREWATCH_HOME/archive (resolved when used, like the database's directory).
    dir: Path | None = None
    include_listings: bool = False
    max_file_mb: int = DEFAULT_MAX_FILE_MB

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    def path(self) -> Path:
        """The archive directory (not created here)."""
        if self.dir is not None:
            return self.dir
        from pipelines.db import wirewatch_home

        return wirewatch_home() / "archive"


def parse(table: Any, problems: Problems) -> ArchiveSettings:
    """Validator of ``[archive]`` (registered in ``crawler.config.SECTIONS``): every
    problem is added to ``problems``; the settings returned keep the valid fields."""
    if not isinstance(table, dict):
        problems.add("[archive]", "must be a table")
        return ArchiveSettings()
    check_keys(table, _KEYS, set(), "[archive]", problems)
    values: dict[str, Any] = {"enabled": True}
    for key in sorted(_KEYS & set(table)):
        where, value = f"[archive]: field {key!r}", table[key]
        if key in ("enabled", "include_listings"):
            if check_type(value, bool, where, problems):
                values[key] = value
        elif key == "max_file_mb":
            if check_type(value, int, where, problems):
                if 1 <= value <= MAX_FILE_MB_LIMIT:
                    values[key] = value
                else:
                    problems.add(where, f"must be between 1 and {MAX_FILE_MB_LIMIT} (MB)")
        elif key == "dir" and check_type(value, str, where, problems):
            if not value.strip():
                problems.add(where, "must name a directory")
            elif "\0" in value:
                problems.add(where, "contains a NUL character")
            else:
                values[key] = _resolve(value, problems.path)
    return ArchiveSettings(**values)


def _resolve(value: str, config_path: Path | str) -> Path:
    """``~`` expanded; a relative directory is taken from the configuration file's,
    so the archive does not move with the directory cron happens to start in."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return Path(config_path).resolve().parent / path
