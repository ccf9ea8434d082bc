"""``python -m wirewatch.crawl_json [--config F] [--source NAME]...``: crawl, summaries as JSON.

The child process behind ``wirewatch.Store.crawl``; exit status as ``wirewatch crawl``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def main(argv: list[str] | None = None) -> int:
    from wirewatch.crawler.config import load_config
    from wirewatch.crawler.logs import configure_logging
    from wirewatch.crawler.runner import run_crawls

    parser = argparse.ArgumentParser(prog="wirewatch.crawl_json")
    parser.add_argument("--config")
    parser.add_argument("--source", action="append")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    config = load_config(args.config)
    summaries = run_crawls(config, config.select(args.source))
    print(json.dumps([asdict(s) for s in summaries], default=str))
    return 1 if any(s.status == "failed" for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main())
