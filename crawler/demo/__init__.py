"""What ``wirewatch demo`` serves: the bundled fixture newsroom, and the server for it.

* ``site/`` — a small hand-written fixture newsroom (one wire service, three
  outlets) with a ``MANIFEST.json`` of the expected results, and
  ``sources.toml``: package data, read only by ``wirewatch demo`` and tests;
* :mod:`crawler.demo.server` — a loopback HTTP server for it (and for
  generated sites), with hit counters and misbehaving routes for tests.

The builders of that site and of the larger newsrooms of the tests and
benchmarks are development code in the repository's top-level ``demo/``
folder (not installed): ``python -m demo.build_site`` writes ``site/`` from
the prose in ``demo/newsroom_content.py``; edit those, not the HTML.
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
