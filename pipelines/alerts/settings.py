"""The ``[smtp]``, ``[alerts]`` and ``[[alert]]`` tables of ``wirewatch.toml``, and
``WIREWATCH_SMTP_URL``.

The SMTP password is never in the file: ``password_env`` names the variable
that holds it (or it travels in ``WIREWATCH_SMTP_URL``), and
:class:`SmtpSettings` keeps it out of ``repr`` and :meth:`SmtpSettings.describe`,
so it cannot reach a log line by accident.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from wirewatch.pipelines.alerts.addresses import (
    SUBSCRIPTION_CHECKS,
    AlertTable,
    SubscriptionSpec,
    email_problem,
)
from wirewatch.pipelines.errors import ConfigError
from wirewatch.pipelines.validation import (
    NUMBER,
    Problems,
    at_least,
    between,
    env_name,
    one_of,
    parse_table,
    positive,
    refuse,
    setting,
    timezone_problem,
)

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
SMTP_URL_ENV = "WIREWATCH_SMTP_URL"


def _unsubscribe_problem(url: str) -> str | None:
    if url.startswith(("https://", "http://", "mailto:")):
        return None
    return "must be an https:, http: or mailto: URL"


@dataclass(frozen=True)
class SmtpSettings:
    """The ``[smtp]`` table (``from`` is ``from_addr``), or ``WIREWATCH_SMTP_URL``."""

    host: str = setting(str)
    from_addr: str = setting(str, refuse(email_problem), key="from")
    # Without a port in the table: the port of the security mode (DEFAULT_PORTS).
    port: int = setting(int, between(1, 65535, "must be between 1 and 65535"), default=587)
    security: str = setting(str, one_of(SECURITY_MODES), default="starttls")
    username: str | None = setting(str, default=None)
    password_env: str | None = setting(str, env_name(), default=None)
    # Only set from WIREWATCH_SMTP_URL; excluded from repr so it is never logged.
    password: str | None = field(default=None, repr=False)
    timeout: float = setting(NUMBER, positive, float, default=30.0)
    # Further connection attempts (with 1 s, 2 s… backoff) before the run gives up.
    connect_retries: int = setting(int, at_least(0, "must be 0 or more"), default=2)
    # PEM file of the CA that signed the server's certificate (a private relay);
    # by default the system's trusted CAs. Certificates are always verified.
    ca_file: str | None = setting(str, default=None)
    # Optional https URL for List-Unsubscribe, with {id} and {name} filled in.
    unsubscribe_url: str | None = setting(str, refuse(_unsubscribe_problem), default=None)

    def describe(self) -> str:
        """Where mail goes, for logs and messages: no password."""
        user = f"{self.username}@" if self.username else ""
        return f"smtp://{user}{self.host}:{self.port} ({self.security})"

    def resolve_password(self, environ: Mapping[str, str] = os.environ) -> str | None:
        if self.password is not None:
            return self.password
        if self.password_env:
            value = environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"[smtp] password_env names {self.password_env}, which is not set"
                )
            return value
        return None


def _no_password(values: Mapping[str, Any], table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if "password" in table:
        yield (
            "password",
            "not allowed in the file: put the password in an environment variable "
            "and name that variable in password_env",
        )


def parse_smtp_table(table: Any, problems: Problems) -> SmtpSettings | None:
    """Validate ``[smtp]``; problems name the table and the field."""
    smtp = parse_table(
        SmtpSettings, table, "[smtp]", problems, checks=(_no_password,), also=("password",)
    )
    if smtp is None or "port" in table:
        return smtp
    return replace(smtp, port=DEFAULT_PORTS[smtp.security])


def parse_smtp_url(url: str, base: SmtpSettings | None = None) -> SmtpSettings:
    """``smtp://user:pass@host:587?security=starttls&from=alerts@example.org`` (``smtps://`` = ssl).

    Overrides the connection of ``[smtp]``; ``from`` and ``unsubscribe_url``
    fall back to the table when the URL does not give them.
    """
    where = f"{SMTP_URL_ENV}"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{where}: not a valid URL: {exc}") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError(f"{where}: scheme must be smtp:// or smtps://")
    if not parts.hostname:
        raise ConfigError(f"{where}: no host")
    params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(params) - {"security", "from", "timeout", "ca_file"})
    if unknown:
        raise ConfigError(f"{where}: unknown parameter {unknown[0]!r}")
    security = params.get("security", "ssl" if parts.scheme == "smtps" else "starttls")
    if security not in SECURITY_MODES:
        raise ConfigError(f"{where}: security must be one of {', '.join(SECURITY_MODES)}")
    from_addr = params.get("from") or (base.from_addr if base else None)
    if not from_addr:
        raise ConfigError(f"{where}: no sender: add ?from=ADDRESS or set 'from' in [smtp]")
    if reason := email_problem(from_addr):
        raise ConfigError(f"{where}: from: {reason}")
    try:
        timeout = float(params.get("timeout", base.timeout if base else 30.0))
    except ValueError:
        raise ConfigError(f"{where}: timeout must be a number of seconds") from None
    return SmtpSettings(
        host=parts.hostname,
        from_addr=from_addr,
        port=port or DEFAULT_PORTS[security],
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
        connect_retries=base.connect_retries if base else 2,
        ca_file=params.get("ca_file") or (base.ca_file if base else None),
        unsubscribe_url=base.unsubscribe_url if base else None,
    )


def smtp_settings(
    table: SmtpSettings | None, environ: Mapping[str, str] = os.environ
) -> SmtpSettings | None:
    """The effective SMTP settings: ``WIREWATCH_SMTP_URL`` over ``[smtp]``; None if neither."""
    url = environ.get(SMTP_URL_ENV)
    if url:
        return parse_smtp_url(url, table)
    return replace(table) if table else None


@dataclass(frozen=True)
class AlertOptions:
    """The ``[alerts]`` table: how alert messages present what they carry."""

    # IANA name of the zone the times in messages are shown in.
    timezone: str = setting(str, refuse(timezone_problem), default="UTC")

    @property
    def zone(self) -> tzinfo:
        return UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)


def parse_alerts_table(table: Any, problems: Problems) -> AlertOptions | None:
    """Validate ``[alerts]`` (``timezone``); problems name the table and the field."""
    return parse_table(AlertOptions, table, "[alerts]", problems)


def _named(values: Mapping[str, Any], table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """An [[alert]] table is named: the name keeps it apart from others across edits."""
    if "name" not in table:
        yield "name", "missing required field"


def parse_alert_tables(tables: Any, problems: Problems) -> tuple[SubscriptionSpec, ...]:
    """Validate ``[[alert]]`` tables into subscription specs (the query is parsed here)."""
    if not isinstance(tables, list):
        problems.add("[alert]", "alerts are declared as [[alert]] tables")
        return ()
    specs: list[SubscriptionSpec] = []
    for index, table in enumerate(tables):
        name = table.get("name") if isinstance(table, dict) else None
        label = f"alert {name!r}" if isinstance(name, str) and name else f"alert #{index + 1}"
        if not isinstance(table, dict):
            problems.add(label, "each [[alert]] must be a table")
            continue
        checks = (_named, *SUBSCRIPTION_CHECKS)
        if (alert := parse_table(AlertTable, table, label, problems, checks=checks)) is None:
            continue
        if any(spec.name == alert.name for spec in specs):
            problems.add(f"{label}: field 'name'", "duplicate alert name")
            continue
        specs.append(alert.spec())
    return tuple(specs)
