"""Keeping secrets out of what wirewatch prints, logs and stores.

A URL can carry a password (``https://user:pass@host/``) or a token in its
query (``?api_key=…``), and feeds, redirects and error messages hand us such
URLs.  Every URL that reaches a log line, a ``crawl_errors`` row or the
``sources`` table goes through :func:`redact_url` (or :func:`redact_text` for
free text that may contain URLs) first.  Only the secret parts are replaced,
so the redacted URL still says which page it was.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"

# Query (and fragment) parameters whose value is a credential, compared after
# lower-casing and turning "-" into "_".
SECRET_PARAMS = frozenset(
    {
        "token",
        "key",
        "api_key",
        "apikey",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "auth_token",
        "sig",
        "signature",
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "private_token",
        "session",
        "sessionid",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
        "x_goog_signature",
        "x_goog_credential",
    }
)
# Any parameter named like ``<something>_token`` is a credential too.
_SECRET_SUFFIXES = ("_token", "_secret", "_password", "_signature", "_apikey", "_api_key")

# A URL inside free text: a scheme, "://", then anything up to white space,
# a quote or an angle bracket (Scrapy writes requests as ``<GET url>``).
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_USERINFO = re.compile(r"(//)[^/?#@\s]*@")
_PARAM = re.compile(r"([?&;#])([^=&;#?]+)=([^&;#]*)")


def is_secret_param(name: str) -> bool:
    """Whether a query parameter of this name holds a credential."""
    folded = unquote(name).strip().lower().replace("-", "_")
    return folded in SECRET_PARAMS or folded.endswith(_SECRET_SUFFIXES)


def _redact_params(text: str) -> str:
    """``a=1&token=x`` -> ``a=1&token=***``; separators and order kept."""
    if not text:
        return text
    pieces = re.split(r"([&;])", text)
    for i in range(0, len(pieces), 2):
        name, eq, value = pieces[i].partition("=")
        if eq and value and is_secret_param(name):
            pieces[i] = f"{name}={MASK}"
    return "".join(pieces)


def _mask_param(match: re.Match[str]) -> str:
    sep, name, value = match.groups()
    return f"{sep}{name}={MASK}" if value and is_secret_param(name) else match.group(0)


def has_userinfo(url: str) -> bool:
    """Whether the URL carries ``user[:password]@`` before its host."""
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return bool(_USERINFO.search(url))


def redact_url(url: str) -> str:
    """The URL with its userinfo and secret query/fragment values replaced by ``***``."""
    if not isinstance(url, str) or not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed URL (bad IPv6 literal...): redact by pattern
        return _PARAM.sub(_mask_param, _USERINFO.sub(rf"\1{MASK}@", url))
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query, fragment = _redact_params(parts.query), _redact_params(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url  # nothing secret: the URL exactly as it was
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_text(text: str) -> str:
    """Free text (a log line, an error message) with every URL in it redacted."""
    if not isinstance(text, str) or "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
