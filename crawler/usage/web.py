"""Serve the web interface and JSON API: stories and their copies, sources, alerts.

Listens on 127.0.0.1:8080 unless told otherwise (``[web]`` or --host/--port).
Any address other than loopback needs ``[web] password_env`` (or
``tokens_env``): the interface then asks for a login, and the API for a
bearer token.  Reads the configuration for its sources and ``[[alert]]``
tables when there is one; works without.
"""

from __future__ import annotations

import argparse

NAME = "web"
HELP = "serve the web interface and the JSON API (stories, sources, alerts)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", metavar="ADDRESS", help="listen address (default: [web] host, 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, metavar="PORT", help="TCP port (default: [web] port, 8080)"
    )
