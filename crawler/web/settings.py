"""The ``[web]`` table of ``wirewatch.toml``: where the web interface listens and who may use it.

Example::

    [web]
    enabled = true                 # `wirewatch schedule` serves it too
    host = "127.0.0.1"             # any other address needs password_env or tokens_env
    port = 8080
    public_url = "https://news.example.org/wirewatch"   # links in e-mails (unsubscribe)
    password_env = "WW_WEB_PASSWORD"   # variable holding the login password
    tokens_env = "WW_WEB_TOKENS"       # variable holding API tokens (comma separated)
    public_read = false            # true: stories and sources readable without login
    secret_env = "WW_WEB_SECRET"   # key for cookies and unsubscribe links (default: kept
                                   # in the database, generated on first use)

Secrets are never in the file: only the names of the variables holding them.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pipelines.errors import UsageError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYS = {
    "enabled",
    "host",
    "port",
    "public_url",
    "password_env",
    "tokens_env",
    "public_read",
    "secret_env",
}


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    password_env: str | None = None
    tokens_env: str | None = None
    public_read: bool = False
    secret_env: str | None = None

    @property
    def needs_login(self) -> bool:
        """Whether requests must authenticate (a password or API tokens are configured)."""
        return bool(self.password_env or self.tokens_env)

    def password(self, environ: Mapping[str, str] = os.environ) -> str | None:
        return _from_env(self.password_env, "password_env", environ)

    def tokens(self, environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
        value = _from_env(self.tokens_env, "tokens_env", environ) or ""
        return tuple(t for t in re.split(r"[\s,]+", value) if t)


def _from_env(name: str | None, field: str, environ: Mapping[str, str]) -> str | None:
    if not name:
        return None
    value = environ.get(name)
    if not value:
        raise UsageError(f"[web] {field} names {name}, which is not set or empty")
    return value


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``: the addresses only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_problem(settings: WebSettings) -> str | None:
    """Why the app must not listen where ``settings`` say, or None.

    Anything but loopback is reachable by others, so it needs a password or tokens.
    """
    if is_loopback(settings.host) or settings.needs_login:
        return None
    return (
        f"listening on {settings.host} makes the interface reachable by other machines: "
        "set [web] password_env (or tokens_env), or keep host = \"127.0.0.1\""
    )


def parse_web(table: Any, problems: Any) -> WebSettings:
    """Validator of the ``[web]`` table (registered in ``crawler.config.SECTIONS``)."""
    from crawler.config import check_keys, check_type, valid_http_url

    if not isinstance(table, dict):
        problems.add("[web]", "must be a table")
        return WebSettings()
    check_keys(table, _KEYS, set(), "[web]", problems)
    values: dict[str, Any] = {}
    for key in sorted(_KEYS & set(table)):
        where, value = f"[web]: field {key!r}", table[key]
        if key in ("enabled", "public_read"):
            if check_type(value, bool, where, problems):
                values[key] = value
        elif key == "port":
            if check_type(value, int, where, problems):
                if 1 <= value <= 65535:
                    values[key] = value
                else:
                    problems.add(where, "must be a TCP port (1-65535)")
        elif key == "host":
            if check_type(value, str, where, problems):
                if value and not any(ch.isspace() for ch in value):
                    values[key] = value
                else:
                    problems.add(where, "must be an address or host name")
        elif key == "public_url":
            if check_type(value, str, where, problems):
                if reason := valid_http_url(value):
                    problems.add(where, reason)
                elif "?" in value or "#" in value:
                    problems.add(where, "must not have a query or fragment")
                else:
                    values[key] = value.rstrip("/")
        elif check_type(value, str, where, problems):  # the *_env keys
            if _ENV_NAME.match(value):
                values[key] = value
            else:
                problems.add(where, "must name an environment variable ([A-Za-z_][A-Za-z0-9_]*)")
    settings = WebSettings(**values)
    if "host" in values and (reason := bind_problem(settings)):
        problems.add("[web]: field 'host'", reason)
    return settings


def web_settings(config: Any | None, **overrides: Any) -> WebSettings:
    """The ``[web]`` table of ``config`` (defaults without one), with CLI ``overrides``."""
    settings = config.sections.get("web") if config is not None else None
    settings = settings or WebSettings()
    given = {k: v for k, v in overrides.items() if v is not None}
    return replace(settings, **given) if given else settings
