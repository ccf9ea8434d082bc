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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.validation import (
    Problems,
    between,
    env_name,
    parse_table,
    refuse,
    setting,
    valid_http_url,
)

if TYPE_CHECKING:
    from wirewatch.crawler.config import Config

_ENV = "must name an environment variable ([A-Za-z_][A-Za-z0-9_]*)"


def _host_problem(host: str) -> str | None:
    if host and not any(ch.isspace() for ch in host):
        return None
    return "must be an address or host name"


def _public_url_problem(url: str) -> str | None:
    if reason := valid_http_url(url):
        return reason
    return "must not have a query or fragment" if "?" in url or "#" in url else None


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = setting(bool, default=False)
    host: str = setting(str, refuse(_host_problem), default="127.0.0.1")
    port: int = setting(int, between(1, 65535, "must be a TCP port (1-65535)"), default=8080)
    public_url: str | None = setting(
        str, refuse(_public_url_problem), lambda url: url.rstrip("/"), default=None
    )
    password_env: str | None = setting(str, env_name(_ENV), default=None)
    tokens_env: str | None = setting(str, env_name(_ENV), default=None)
    public_read: bool = setting(bool, default=False)
    secret_env: str | None = setting(str, env_name(_ENV), default=None)

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
        'set [web] password_env (or tokens_env), or keep host = "127.0.0.1"'
    )


def _reachable(values: Mapping[str, Any], table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A ``host`` other than loopback needs a password or tokens."""
    if "host" in table and "host" in values:
        if reason := bind_problem(WebSettings(**values)):
            yield "host", reason


def parse_web(table: Any, problems: Problems) -> WebSettings | None:
    return parse_table(WebSettings, table, "[web]", problems, checks=(_reachable,))


def web_settings(config: Config | None, **overrides: Any) -> WebSettings:
    """The ``[web]`` table of ``config`` (defaults without one), with CLI ``overrides``."""
    settings = config.web if config is not None else WebSettings()
    given = {k: v for k, v in overrides.items() if v is not None}
    return replace(settings, **given) if given else settings
