"""Find an outlet's feeds, sitemaps and section pages, ready to paste or add as sources.

``wirewatch sources discover URL...`` starts from each homepage: the feeds
it links (RSS, Atom, JSON Feed) and the common feed paths, the sitemaps in
robots.txt and at the common paths (with the Google News sitemaps inside
sitemap indexes), and the section pages of its navigation.  Each is fetched
once (robots.txt obeyed) and reported with its kind, item count, newest item
and a suggested schedule; then come ready ``[[source]]`` tables.  ``--add``
appends them to the configuration file, keeping its comments and layout.
"""

from __future__ import annotations

import argparse

NAME = "sources"
HELP = "find a site's feeds, sitemaps and section pages (sources discover URL...)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sources_command", metavar="ACTION")
    sub.required = True
    discover = sub.add_parser(
        "discover", help="find feeds, sitemaps and section pages from homepages"
    )
    discover.add_argument("urls", nargs="+", metavar="URL", help="an outlet's homepage")
    discover.add_argument(
        "--add", action="store_true", help="append the suggested sources to the config file"
    )
    discover.add_argument("--json", action="store_true", help="print the findings as JSON")
