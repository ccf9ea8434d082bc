"""Offline newsrooms for the demo, the tests and the benchmarks.

* ``site/`` — a small hand-written fixture newsroom (one wire service, three
  outlets) with a ``MANIFEST.json`` of the expected results;
* :mod:`crawler.demo.server` — a loopback HTTP server for it (and for
  generated sites), with hit counters and misbehaving routes for tests;
* :mod:`crawler.demo.generated` — a deterministic generator of large
  newsrooms served straight from memory.

Browse either by hand with ``python -m crawler.demo.server [--generated N]``.
The static site is written by ``python -m crawler.demo.build_site`` from the
prose in :mod:`crawler.demo.newsroom_content`; edit those, not the HTML.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: Placeholder origin written into the static fixture files; the server
#: replaces it with its real ``base_url`` when serving text files.
PLACEHOLDER_ORIGIN = "http://newsroom.example"


def site_dir() -> Path:
    """The directory of the bundled fixture newsroom (package data)."""
    return Path(str(resources.files(__package__).joinpath("site")))


def sources_toml(base_url: str) -> str:
    """The bundled ``sources.toml`` with ``{base}`` filled in."""
    text = resources.files(__package__).joinpath("sources.toml").read_text("utf-8")
    return text.replace("{base}", base_url.rstrip("/"))
