"""``python -m demo [DIR | --generated N]``: browse a fixture site by hand."""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path

from demo.generated import GeneratedNewsroom
from wirewatch.crawler.demo import site_dir
from wirewatch.crawler.demo.server import FixtureServer, SiteProvider


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "root", nargs="?", help="directory to serve (default: the bundled newsroom)"
    )
    parser.add_argument("--generated", type=int, metavar="N", help="serve a generated newsroom")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    site: str | Path | SiteProvider
    if args.generated:
        site = GeneratedNewsroom(args.generated, seed=args.seed)
    else:
        site = args.root or site_dir()
    what = args.root or ("a generated newsroom" if args.generated else "the fixture newsroom")
    with FixtureServer(site, port=args.port, keep_log=False) as srv:
        print(f"serving {what} at {srv.base_url}/ (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
