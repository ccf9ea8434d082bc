"""One duration syntax for the whole tool: ``90s``, ``15m``, ``6h``, ``7d``, ``2w``.

The configuration (``recheck_after``, ``idle_timeout``, schedule bounds) and
the command line (``prune --older-than``, ``errors --since``) read durations
the same way, so a value that works in one place works in every other.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?|w|weeks?)?\s*$",
    re.IGNORECASE,
)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
EXAMPLES = "e.g. '90s', '15m', '6h', '7d', '2w'"


def parse_duration(value: Any) -> timedelta:
    """``90`` (seconds), ``"90s"``, ``"15m"``, ``"6h"``, ``"7d"``, ``"2w"`` -> timedelta.

    Long unit names (``"12 hours"``, ``"2 weeks"``) are accepted too; anything
    else, a bool or a negative number is a ValueError saying what is expected.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        unit = (match.group(2) or "s")[0].lower()
        seconds = float(match.group(1)) * _SECONDS[unit]
    else:
        raise ValueError(f"bad duration {value!r} (use seconds or {EXAMPLES})")
    if seconds < 0:
        raise ValueError(f"bad duration {value!r}: negative")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest whole spelling ``parse_duration`` reads back: ``7d``, ``36h``, ``90s``."""
    seconds = value.total_seconds()
    for unit in ("w", "d", "h", "m"):
        if seconds >= _SECONDS[unit] and seconds % _SECONDS[unit] == 0:
            return f"{int(seconds // _SECONDS[unit])}{unit}"
    return f"{seconds:g}s"
