"""What a subscription is and whether its parts are acceptable, checked before anything is saved.

Addresses and URLs end up in mail headers and HTTP requests: anything with
CR/LF, control characters or a shape that is not an address is refused here,
so header injection cannot start from a subscription.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from wirewatch.pipelines.alerts.query import QuerySyntaxError, parse
from wirewatch.pipelines.durations import parse_duration
from wirewatch.pipelines.validation import (
    env_name,
    one_of,
    read_table,
    refuse,
    setting,
    valid_http_url,
)

CHANNELS = ("email", "webhook", "apprise")
DIGESTS = ("immediate", "hourly", "daily")
ON_EDIT = ("headline", "substantive")  # see pipelines.alerts.edits
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
Checked = Iterator[tuple[str, str]]  # (key, problem) from a whole-table check


@dataclass(frozen=True)
class SubscriptionSpec:
    """A subscription as given on the command line or in an ``[[alert]]`` table."""

    query: str
    channel: str  # one of CHANNELS
    target: str  # address, webhook URL or Apprise URL
    name: str | None = None
    digest: str = "immediate"
    exact: bool = False
    secret_env: str | None = None  # webhook: variable holding the HMAC key
    on_edit: str | None = None  # one of ON_EDIT: also alert on edits of stories alerted on
    # [[alert]] backfill: match the stories stored this far back when the
    # subscription is created or its query changes (not a column of the row).
    backfill: timedelta | None = None

    def as_row(self, origin: str = "cli") -> dict[str, object]:
        return {
            "name": self.name,
            "query": self.query,
            "exact": self.exact,
            "channel": self.channel,
            "target": normalise_target(self.channel, self.target),
            "secret_env": self.secret_env,
            "digest": self.digest,
            "origin": origin,
            "on_edit": self.on_edit,
        }


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def email_problem(address: str) -> str | None:
    """Why ``address`` is not a plain ``local@domain`` address, or None when it is."""
    if _has_control(address):
        return "an address must not contain line breaks or control characters"
    if address != address.strip() or " " in address:
        return f"{address!r} contains spaces; give the bare address (no display name)"
    if address.count("@") != 1:
        return f"{address!r} is not an address of the form name@domain"
    local, domain = address.split("@")
    if not local or len(local) > 64:
        return f"{address!r}: the part before @ must have 1 to 64 characters"
    if not local.isascii():
        return f"{address!r}: non-ASCII names before @ are not supported"
    if not _LOCAL.match(local):
        return f"{address!r}: characters not allowed before @"
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{address!r}: {domain!r} is not a valid domain"
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"{address!r}: {domain!r} is not a valid domain"
    return None


def normalise_target(channel: str, target: str) -> str:
    """The stored form: e-mail domains in IDNA (ASCII), URLs as given."""
    if channel == "email":
        local, domain = target.split("@")
        return f"{local}@{domain.encode('idna').decode('ascii').lower()}"
    return target


def webhook_problem(url: str) -> str | None:
    if _has_control(url):
        return "a URL must not contain line breaks or control characters"
    return valid_http_url(url)


def apprise_problem(url: str) -> str | None:
    if _has_control(url) or any(ch.isspace() for ch in url):
        return "an Apprise URL must not contain spaces, line breaks or control characters"
    try:
        import apprise
    except ImportError:  # pragma: no cover - a dependency of the package
        return "the apprise library is not installed"
    if apprise.Apprise.instantiate(url) is None:
        return "not a URL Apprise understands (see the Apprise wiki for supported services)"
    return None


def name_problem(name: str) -> str | None:
    if not NAME_PATTERN.match(name):
        return "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter/digit"
    if name.isdigit():
        return "must not be all digits (those are subscription ids)"
    return None


def query_problem(query: str) -> str | None:
    try:
        parse(query)
    except QuerySyntaxError as exc:
        return str(exc)
    return None


def _longer_than_0(value: timedelta) -> timedelta:
    if not value:
        raise ValueError("must be longer than 0")
    return value


@dataclass(frozen=True, kw_only=True)
class AlertTable:
    """A subscription's parts as an ``[[alert]]`` table names them: one key per channel."""

    name: str | None = setting(str, refuse(name_problem), default=None)
    query: str = setting(str, refuse(query_problem))
    email: str | None = setting(str, refuse(email_problem), default=None)
    webhook: str | None = setting(str, refuse(webhook_problem), default=None)
    apprise: str | None = setting(str, refuse(apprise_problem), default=None)
    # webhook: the variable holding the key its requests are signed with.
    secret_env: str | None = setting(str, env_name(), default=None)
    digest: str = setting(str, one_of(DIGESTS), default="immediate")
    exact: bool = setting(bool, default=False)
    on_edit: str | None = setting(str, one_of(ON_EDIT), default=None)
    backfill: timedelta | None = setting(None, parse_duration, _longer_than_0, default=None)

    def spec(self) -> SubscriptionSpec:
        channel = next(c for c in CHANNELS if getattr(self, c) is not None)
        return SubscriptionSpec(
            query=self.query,
            channel=channel,
            target=getattr(self, channel),
            name=self.name,
            digest=self.digest,
            exact=self.exact,
            secret_env=self.secret_env,
            on_edit=self.on_edit,
            backfill=self.backfill,
        )


def _channel(table: Mapping[str, Any]) -> str | None:
    given = [c for c in CHANNELS if c in table]
    return given[0] if len(given) == 1 else None


def _one_channel(values: Mapping[str, Any], table: Mapping[str, Any]) -> Checked:
    if _channel(table) is None:
        yield "email", "give exactly one of 'email', 'webhook' or 'apprise'"


def _signed_webhooks(values: Mapping[str, Any], table: Mapping[str, Any]) -> Checked:
    channel = _channel(table)
    if channel == "webhook" and not table.get("secret_env"):
        yield (
            "secret_env",
            "a webhook needs secret_env: the variable holding the key its requests are signed with",
        )
    if channel not in (None, "webhook") and "secret_env" in table:
        yield "secret_env", "only webhooks are signed"


def _digests_by_email(values: Mapping[str, Any], table: Mapping[str, Any]) -> Checked:
    if _channel(table) not in (None, "email") and values.get("digest") != "immediate":
        yield "digest", "digests are sent by e-mail only"


# What is wrong between the parts of a subscription, whoever gives it.
SUBSCRIPTION_CHECKS = (_one_channel, _signed_webhooks, _digests_by_email)


def validate_spec(spec: SubscriptionSpec) -> list[tuple[str, str]]:
    """(field, reason) for everything wrong with ``spec``; empty when it can be saved."""
    if spec.channel not in CHANNELS:
        return [("channel", f"must be one of {', '.join(CHANNELS)}")]
    parts = {
        "name": spec.name,
        "query": spec.query,
        spec.channel: spec.target,
        "secret_env": spec.secret_env,
        "digest": spec.digest,
        "exact": spec.exact,
        "on_edit": spec.on_edit,
    }
    given = {key: value for key, value in parts.items() if value is not None}
    return read_table(AlertTable, given, checks=SUBSCRIPTION_CHECKS)[1]
