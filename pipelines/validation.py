"""Validation shared by every configuration table, whoever reads it.

A table is a frozen dataclass whose fields say how they are read from TOML
(:func:`setting`: accepted types, rules, default); :func:`parse_table` is the
one interpreter of those declarations.  Problems are reported the same way for
every table: all at once, each naming the file, the table and the field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wirewatch.pipelines.durations import parse_duration
from wirewatch.pipelines.errors import ConfigError
from wirewatch.pipelines.redact import has_userinfo, redact_url


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


def type_problem(value: Any, expected: type | tuple[type, ...]) -> str | None:
    """Why ``value`` is not of the ``expected`` TOML type(s), or None."""
    accepted = expected if isinstance(expected, tuple) else (expected,)
    # bool is an int in Python; a TOML `port = true` must not pass as a number.
    if isinstance(value, accepted) and (bool in accepted or not isinstance(value, bool)):
        return None
    names = " or ".join(t.__name__ for t in accepted)
    return f"expected {names}, got {type(value).__name__} {value!r}"


def check_type(
    value: Any, expected: type | tuple[type, ...], where: str, problems: Problems
) -> bool:
    reason = type_problem(value, expected)
    if reason:
        problems.add(where, reason)
    return reason is None


# -- Declaring a table -------------------------------------------------------

# A rule takes a value read from TOML and returns the value to keep (the same
# or converted); it raises ValueError with the reason when the value is wrong.
Rule = Callable[[Any], Any]
NUMBER = (int, float)
_SPEC = "wirewatch.toml"


@dataclasses.dataclass(frozen=True)
class Key:
    """How one TOML key becomes one dataclass field."""

    types: type | tuple[type, ...] | None  # None: the first rule decides (e.g. durations)
    rules: tuple[Rule, ...] = ()
    name: str | None = None  # the TOML key, when it is not the field's name

    def read(self, value: Any) -> Any:
        if self.types is not None and (reason := type_problem(value, self.types)):
            raise ValueError(reason)
        for rule in self.rules:
            value = rule(value)
        return value


def setting(
    types: type | tuple[type, ...] | None,
    *rules: Rule,
    default: Any = dataclasses.MISSING,
    key: str | None = None,
) -> Any:
    """A dataclass field read from the TOML key of its name (or ``key``); no default: required."""
    return dataclasses.field(default=default, metadata={_SPEC: Key(types, rules, key)})


def table_keys(cls: type) -> dict[str, tuple[dataclasses.Field[Any], Key]]:
    """TOML key -> (field, how it is read), in declaration order."""
    keys = {}
    for f in dataclasses.fields(cls):
        if (spec := f.metadata.get(_SPEC)) is not None:
            keys[spec.name or f.name] = (f, spec)
    return keys


def defaults(cls: type) -> dict[str, Any]:
    """The fields of ``cls`` that have a default, with it."""
    found = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            found[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            found[f.name] = f.default_factory()
    return found


# Whole-table checks see the values read (defaults for the keys not given; a
# key given but wrong is absent) and the table as written; they yield
# (TOML key, reason) for what is wrong between fields.
Check = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterable[tuple[str, str]]]
T = TypeVar("T")


def read_table(
    cls: type,
    table: Mapping[str, Any],
    *,
    checks: Iterable[Check] = (),
    also: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The valid values of ``table`` by field name, and (TOML key, reason) for each problem.

    Unknown keys (other than ``also``, which the caller reads itself), missing
    required keys, every key's type and rules (in key order), then the
    whole-table ``checks``.
    ``extra`` are field values the caller read itself.
    """
    keys = table_keys(cls)
    known = defaults(cls)
    found = [(key, "unknown key") for key in sorted(set(table) - set(keys) - set(also))]
    required = {key for key, (f, _) in keys.items() if f.name not in known}
    found += [(key, "missing required field") for key in sorted(required - set(table))]
    values: dict[str, Any] = {}
    for key in sorted(keys.keys() & table.keys()):
        f, spec = keys[key]
        try:
            values[f.name] = spec.read(table[key])
        except ValueError as exc:
            found.append((key, str(exc)))
    values.update(extra or {})
    given = {f.name for key, (f, _) in keys.items() if key in table}
    effective = {k: v for k, v in known.items() if k not in given} | values
    for check in checks:
        found.extend(check(effective, table))
    return values, found


def parse_table(
    cls: type[T],
    table: Any,
    where: str,
    problems: Problems,
    *,
    checks: Iterable[Check] = (),
    also: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> T | None:
    """``table`` (the TOML table at ``where``) read into ``cls``; None when anything is wrong."""
    if not isinstance(table, dict):
        problems.add(where, "must be a table")
        return None
    values, found = read_table(cls, table, checks=checks, also=also, extra=extra)
    for key, reason in found:
        problems.add(f"{where}: field {key!r}", reason)
    return None if found else cls(**values)


# -- Rules -------------------------------------------------------------------


def refuse(problem: Callable[[Any], str | None]) -> Rule:
    """A rule from a function saying why a value is wrong (None when it is right)."""

    def rule(value: Any) -> Any:
        if reason := problem(value):
            raise ValueError(reason)
        return value

    return rule


def at_least(low: float, message: str | None = None) -> Rule:
    return refuse(lambda v: (message or f"must be at least {low}") if v < low else None)


def between(low: float, high: float, message: str) -> Rule:
    """Inclusive bounds."""
    return refuse(lambda v: None if low <= v <= high else message)


def positive(value: Any) -> Any:
    """More than zero: a number or a duration."""
    if value <= type(value)():
        raise ValueError("must be positive")
    return value


def one_of(choices: Iterable[str]) -> Rule:
    allowed = tuple(choices)
    return refuse(lambda v: None if v in allowed else f"must be one of {', '.join(allowed)}")


def matches(pattern: str, message: str) -> Rule:
    compiled = re.compile(pattern)
    return refuse(lambda v: None if compiled.match(v) else message)


def seconds(value: Any) -> float:
    """A duration (``30``, ``"90s"``, ``"15m"``...) as seconds."""
    return parse_duration(value).total_seconds()


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_name(message: str = "must be an environment variable name") -> Rule:
    """The value names an environment variable (a secret is never in the file itself)."""
    return refuse(lambda v: None if isinstance(v, str) and ENV_NAME.match(v) else message)


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


# An IANA key such as Europe/Kyiv or UTC: never a path, however ZoneInfo would read it.
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")


def timezone_problem(name: str) -> str | None:
    """Why ``name`` is not a time zone this system knows, or None when it is."""
    if not _ZONE_NAME.match(name) or len(name) > 64:
        return f"{name!r} is not an IANA time zone name (e.g. 'Europe/Kyiv', 'UTC')"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name!r} (use an IANA name such as 'Europe/Kyiv' or 'UTC')"
    return None
