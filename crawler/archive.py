"""The archive directory the configuration names, for the commands that read or prune it.

``reextract`` and ``prune --archive-older-than`` need only ``[archive] dir``;
without a configuration file (or without the table) the archive is where a
crawl would have written it, ``$WIREWATCH_HOME/archive``.
"""

from __future__ import annotations

from pathlib import Path

from wirewatch.crawler.config import config_path, load_config
from wirewatch.pipelines.archive.settings import ArchiveSettings


def archive_dir(explicit_config: str | None) -> Path:
    """``[archive] dir`` of the configuration (``--config`` must exist when given)."""
    settings = ArchiveSettings()
    if explicit_config or config_path().exists():
        settings = load_config(explicit_config).archive
    return settings.path()
