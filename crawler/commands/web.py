"""Serve the web interface and JSON API: stories and their copies, sources, alerts.

Its options, and the description `wirewatch web --help` prints, are in
crawler/usage/web.py (imported without this module).
"""

from __future__ import annotations

import argparse
import logging
import sys

from wirewatch.crawler.config import Config, config_path, load_config
from wirewatch.crawler.web.settings import WebSettings, bind_problem, web_settings
from wirewatch.pipelines import db
from wirewatch.pipelines.errors import UsageError

log = logging.getLogger(__name__)


def load_optional_config(explicit: str | None) -> Config | None:
    """The config file when given or present (sources, alerts, [web]); the app runs without."""
    path = config_path(explicit)
    if explicit or path.exists():
        return load_config(path, skip_bad_sources=True)
    return None


def settings_for(config: Config | None, host: str | None, port: int | None) -> WebSettings:
    if port is not None and not 1 <= port <= 65535:
        raise UsageError(f"--port {port}: not a TCP port")
    settings = web_settings(config, host=host, port=port)
    if reason := bind_problem(settings):
        raise UsageError(reason)
    return settings


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from wirewatch.crawler.web.app import create_app
    from wirewatch.crawler.web.context import WebContext
    from wirewatch.pipelines.alerts.settings import smtp_settings
    from wirewatch.pipelines.alerts.subscriptions import sync_config_alerts
    from wirewatch.pipelines.signing import signing_key

    config = load_optional_config(args.config)
    settings = settings_for(config, args.host, args.port)
    password, tokens = settings.password(), settings.tokens()  # fail now if unset
    if settings.password_env and not password:
        raise UsageError(f"[web] password_env: {settings.password_env} is empty")
    url = db.database_url()
    db.ensure_migrated(url)
    pool = db.open_pool(url, min_size=1, max_size=8)
    try:
        with pool.connection() as conn:
            conn.autocommit = True
            key = signing_key(conn, settings.secret_env)
            if config is not None:
                sync_config_alerts(conn, config.subscriptions)
        smtp = smtp_settings(config.smtp if config else None)
        ctx = WebContext(settings, config, pool, key, password, tokens, smtp)
        print(f"wirewatch web: serving on http://{_url_host(settings.host)}:{settings.port}/",
              file=sys.stderr, flush=True)  # fmt: skip
        uvicorn.run(
            create_app(ctx),
            host=settings.host,
            port=settings.port,
            log_level="warning" if args.log_level == "INFO" else args.log_level.lower(),
            server_header=False,
            access_log=args.log_level == "DEBUG",
            log_config=None,  # uvicorn logs through wirewatch's handlers (--json-logs too)
        )
    finally:
        pool.close()
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
