"""Delivering an alert as a signed JSON POST.

The receiver checks ``X-Wirewatch-Signature: sha256=<hex>``, the HMAC-SHA256
of ``<X-Wirewatch-Timestamp>.<body>`` under the shared key (read from the
environment variable the subscription names), and may drop repeats by
``X-Wirewatch-Delivery``, which stays the same when a delivery is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from wirewatch.pipelines import __version__
from wirewatch.pipelines.alerts.outcome import FAILED, RETRY, SENT, Outcome

TEMPORARY_STATUSES = {408, 425, 429}


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirected POST would lose its body: report it instead


class WebhookChannel:
    def __init__(self, *, timeout: float = 10.0, environ: Mapping[str, str] = os.environ):
        self.timeout = timeout
        self.environ = environ
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(
        self, url: str, secret_env: str | None, body: Mapping[str, Any], delivery_id: str
    ) -> Outcome:
        key = self.environ.get(secret_env or "")
        if not key:
            return Outcome(FAILED, f"webhook key variable {secret_env} is not set")
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": f"wirewatch/{__version__}",
                "X-Wirewatch-Delivery": delivery_id,
                "X-Wirewatch-Timestamp": timestamp,
                "X-Wirewatch-Signature": signature(key.encode(), timestamp, data),
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Outcome(SENT, f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            status = exc.code
            if 300 <= status < 400:
                return Outcome(FAILED, f"HTTP {status}: webhooks are not followed across redirects")
            if status in TEMPORARY_STATUSES or status >= 500:
                return Outcome(RETRY, f"HTTP {status}")
            return Outcome(FAILED, f"HTTP {status}")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Outcome(RETRY, f"cannot reach the webhook: {reason}")
