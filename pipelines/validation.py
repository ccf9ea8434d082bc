"""Validation helpers shared by every configuration table, whoever reads it.

The ``[[source]]`` and ``[crawl]`` tables (``crawler.config``) and the alert
tables (``pipelines.alerts.settings``) report problems the same way: all at
once, each naming the file, the table and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipelines.errors import ConfigError
from pipelines.redact import has_userinfo, redact_url


class Problems:
    """Collects validation errors, each prefixed with where it was found."""

    def __init__(self, path: Path | str):
        self.path = path
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{self.path}: {where}: {message}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise ConfigError("invalid configuration\n  " + "\n  ".join(self.messages))


Validator = Callable[[Any, Problems], Any]


def check_keys(
    table: Mapping[str, Any], allowed: set[str], required: set[str], where: str, problems: Problems
) -> None:
    for key in sorted(set(table) - allowed):
        problems.add(f"{where}: field {key!r}", "unknown key")
    for key in sorted(required - set(table)):
        problems.add(f"{where}: field {key!r}", "missing required field")


def check_type(
    value: Any, expected: type | tuple[type, ...], where: str, problems: Problems
) -> bool:
    # bool is an int in Python; a TOML `port = true` must not pass as a number.
    if isinstance(value, bool) and expected is not bool and bool not in _as_tuple(expected):
        ok = False
    else:
        ok = isinstance(value, expected)
    if not ok:
        names = " or ".join(t.__name__ for t in _as_tuple(expected))
        problems.add(where, f"expected {names}, got {type(value).__name__} {value!r}")
    return ok


def _as_tuple(expected: type | tuple[type, ...]) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def valid_http_url(url: str) -> str | None:
    """Why ``url`` is not a fetchable http(s) URL, or None when it is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"bad URL {redact_url(url)!r}: {exc}"
    if has_userinfo(url):
        # Named without the URL: it holds a password.
        return "credentials in the URL are not allowed; use username and password_env"
    if parts.scheme not in ("http", "https"):
        return f"bad URL {redact_url(url)!r}: scheme must be http or https"
    if not parts.hostname:
        return f"bad URL {redact_url(url)!r}: no host"
    if any(ch.isspace() for ch in url):
        return f"bad URL {redact_url(url)!r}: contains white space"
    return None
