"""The ``[scale]`` table of ``wirewatch.toml``: the shared frontier in Redis.

Example::

    [scale]
    redis_url = "redis://127.0.0.1:6379/0"
    key_prefix = "wirewatch"      # Redis keys: <prefix>:<source>:...
    idle_timeout = "30s"          # how long an idle worker waits for work

Kept apart from :mod:`crawler.redis_scale` (Scrapy, scrapy-redis) so that
reading the configuration imports neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wirewatch.pipelines.validation import Problems, matches, parse_table, refuse, seconds, setting


def _redis_url(url: str) -> str | None:
    return None if re.match(r"^(redis|rediss|unix)://", url) else f"not a Redis URL: {url!r}"


@dataclass(frozen=True)
class ScaleOptions:
    """The ``[scale]`` table; its presence makes every crawl share its frontier."""

    redis_url: str = setting(str, refuse(_redis_url))
    key_prefix: str = setting(
        str, matches(r"^[A-Za-z0-9_.:-]+$", "must match [A-Za-z0-9_.:-]+"), default="wirewatch"
    )
    idle_timeout: float = setting(None, seconds, default=30.0)


def parse_scale(table: Any, problems: Problems) -> ScaleOptions | None:
    return parse_table(ScaleOptions, table, "[scale]", problems)
