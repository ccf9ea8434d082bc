"""Shared pieces of the alert tests: a real SMTP server on loopback and stored stories."""

from __future__ import annotations

import email
import hashlib
import ipaddress
import itertools
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from wirewatch.pipelines.alerts.addresses import SubscriptionSpec
from wirewatch.pipelines.alerts.settings import SmtpSettings
from wirewatch.pipelines.alerts.subscriptions import add_subscription
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import StoreResult, store_article

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
_slugs = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps what it accepts.

    ``refuse`` maps a recipient to the reply it gets at RCPT (e.g. a 550);
    ``data_reply`` answers every DATA with that reply instead of accepting;
    ``mail_reply`` answers every MAIL FROM with that reply (a relay refusing us).
    """

    def __init__(
        self,
        port: int | None = None,
        auth: tuple[str, str] | None = None,
        tls: tuple[str, ssl.SSLContext] | None = None,
    ):
        self.port = port or free_port()
        self.auth = auth
        self.tls = tls  # ("starttls" | "ssl", server context)
        self.logins: list[str] = []
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}
        self.data_reply: str | None = None
        self.mail_reply: str | None = None
        self.mail_commands = 0
        self._controller: Controller | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_commands += 1
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (auth_data.login.decode(), auth_data.password.decode()) == self.auth
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    def start(self) -> SmtpSink:
        extra: dict[str, Any] = {}
        if self.auth:
            extra = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        if self.tls and self.tls[0] == "starttls":
            extra.update(tls_context=self.tls[1], require_starttls=True)
        elif self.tls:
            extra["ssl_context"] = self.tls[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self) -> SmtpSettings:
        return SmtpSettings(
            host="127.0.0.1",
            port=self.port,
            security="none",
            from_addr="alerts@wirewatch.example",
            timeout=5,
        )

    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?security=none&from=alerts@wirewatch.example"


def add_source(conn: psycopg.Connection, name: str, wire: bool = False) -> None:
    conn.execute(
        Q.upsert_source,
        {
            "name": name,
            "kind": "feed",
            "urls": [f"https://{name}.example/feed"],
            "wire": wire,
            "schedule": None,
            "settings": "{}",
        },
    )
    conn.commit()


def store(
    conn: psycopg.Connection,
    source: str,
    title: str,
    text: str,
    *,
    outlet: str | None = None,
    minutes: int = 0,
    language: str | None = "en",
    slug: str | None = None,
    wire: bool = False,
) -> StoreResult:
    """Store one article through the real storage step (article, story, outbox) and commit."""
    slug = slug or f"story-{next(_slugs)}"
    outlet = outlet or f"{source}.example"
    result = store_article(
        conn,
        {
            "url": f"https://{outlet}/news/{slug}",
            "source": source,
            "outlet": outlet,
            "wire": wire,
            "title": title,
            "text": text,
            "language": language,
            "published": T0 + timedelta(minutes=minutes),
            "fetched_at": T0 + timedelta(minutes=minutes + 1),
            "content_hash": hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
        },
    )
    conn.commit()
    return result


def subscribe(conn: psycopg.Connection, query: str, target: str = "desk@example.org",
              **kwargs: Any) -> int:  # fmt: skip
    channel = kwargs.pop("channel", "email")
    row = add_subscription(conn, SubscriptionSpec(query=query, channel=channel, target=target,
                                                  **kwargs))  # fmt: skip
    conn.commit()
    return row["id"]


def outbox(conn: psycopg.Connection, subscription_id: int | None = None) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT * FROM alert_outbox WHERE %(s)s::bigint IS NULL OR subscription_id = %(s)s "
        "ORDER BY id",
        {"s": subscription_id},
    ).fetchall()
    conn.commit()
    return rows


WIRE_TEXT = (
    "KYIV, Ukraine (AP) - Ukrainian President Volodymyr Zelenskyy said on Tuesday that "
    "air defences shot down most of the drones launched overnight at the capital, while "
    "repair crews worked to restore power to several districts.\n\n"
    "Officials said debris fell on a residential building in the Darnytskyi district, "
    "injuring three people, none of them seriously. Schools in the area switched to "
    "remote lessons for the day.\n\n"
    "Zelenskyy renewed his appeal to allies for more air defence systems, saying the "
    "winter would test the country's grid more than any previous season. The energy "
    "ministry said rolling outages could last into the weekend.\n\n"
    "Moscow did not comment on the overnight attack. The Russian defence ministry said "
    "separately that its forces had intercepted several Ukrainian drones over the "
    "Belgorod region near the border."
)


class HookReceiver:
    """A real HTTP server on 127.0.0.1 that records POSTs and answers with ``statuses`` in turn."""

    def __init__(self, statuses: list[int] | None = None):
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append((self.path, dict(self.headers.items()), body))
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> HookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written as PEM files (for TLS tests)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wirewatch test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
