"""What a subscription is and whether its parts are acceptable, checked before anything is saved.

Addresses and URLs end up in mail headers and HTTP requests: anything with
CR/LF, control characters or a shape that is not an address is refused here,
so header injection cannot start from a subscription.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from pipelines.alerts.query import QuerySyntaxError, parse

CHANNELS = ("email", "webhook", "apprise")
DIGESTS = ("immediate", "hourly", "daily")
ON_EDIT = ("headline", "substantive")  # see pipelines.alerts.edits
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
    from pipelines.validation import valid_http_url

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


def validate_spec(spec: SubscriptionSpec) -> list[tuple[str, str]]:
    """(field, reason) for everything wrong with ``spec``; empty when it can be saved."""
    problems: list[tuple[str, str]] = []
    if spec.name is not None and not NAME_PATTERN.match(spec.name):
        problems.append(
            ("name", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter/digit")
        )
    if spec.name is not None and spec.name.isdigit():
        problems.append(("name", "must not be all digits (those are subscription ids)"))
    try:
        parse(spec.query)
    except QuerySyntaxError as exc:
        problems.append(("query", str(exc)))
    if spec.digest not in DIGESTS:
        problems.append(("digest", f"must be one of {', '.join(DIGESTS)}"))
    if spec.on_edit is not None and spec.on_edit not in ON_EDIT:
        problems.append(("on_edit", f"must be one of {', '.join(ON_EDIT)}"))
    if spec.channel == "email":
        if reason := email_problem(spec.target):
            problems.append(("email", reason))
    elif spec.channel == "webhook":
        if reason := webhook_problem(spec.target):
            problems.append(("webhook", reason))
        if not spec.secret_env:
            problems.append(
                (
                    "secret_env",
                    "a webhook needs secret_env: the variable holding "
                    "the key its requests are signed with",
                )
            )
    elif spec.channel == "apprise":
        if reason := apprise_problem(spec.target):
            problems.append(("apprise", reason))
    else:
        problems.append(("channel", f"must be one of {', '.join(CHANNELS)}"))
    if spec.secret_env is not None:
        if spec.channel != "webhook":
            problems.append(("secret_env", "only webhooks are signed"))
        elif not _ENV_NAME.match(spec.secret_env):
            problems.append(("secret_env", "must be an environment variable name"))
    if spec.digest != "immediate" and spec.channel != "email":
        problems.append(("digest", "digests are sent by e-mail only"))
    return problems
