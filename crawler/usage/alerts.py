"""Keyword alerts: manage subscriptions, deliver what is due, preview what would be sent.

Query language: words, "exact phrases", AND / OR / NOT (upper case; adjacent
terms are ANDed), parentheses, title:/source:/lang: fields, prefix* and
=word for exact-only. Examples:

  wirewatch alerts add --query '"Mansur" AND Taliban' --email desk@example.org
  wirewatch alerts add --query 'Wagner NOT music' --email me@example.org --digest daily
  wirewatch alerts add --query 'source:tass sanction*' --webhook https://hooks.example.org/ww \\
      --secret-env WW_HOOK_KEY
  wirewatch alerts add --query Zelensky --email desk@example.org --name kyiv --backfill 7d
  wirewatch alerts add --query 'Wagner' --email desk@example.org --on-edit headline
  wirewatch alerts backfill kyiv --since 7d   # queue stories stored before it existed
  wirewatch alerts send            # from cron: deliver what is due
  wirewatch alerts retry kyiv      # requeue failed alerts, and those waiting to be retried
  wirewatch alerts check --query 'Mansur AND Taliban' story.txt   # try a query
"""

from __future__ import annotations

import argparse

from wirewatch.crawler.usage._types import since_duration
from wirewatch.pipelines.alerts.addresses import DIGESTS, ON_EDIT

NAME = "alerts"
HELP = "keyword alerts: add, list, remove, enable, disable, send, preview, backfill, retry, check"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="alerts_command", metavar="ACTION")
    sub.required = True

    add = sub.add_parser(
        "add", help="subscribe a query to an e-mail address, webhook or Apprise URL"
    )
    add.add_argument("--query", required=True, metavar="Q", help="alert query (see README)")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--email", metavar="ADDR", help="send e-mail to this address")
    target.add_argument("--webhook", metavar="URL", help="POST signed JSON to this URL")
    target.add_argument("--apprise", metavar="URL", help="notify through this Apprise URL")
    add.add_argument(
        "--secret-env",
        metavar="VAR",
        help="webhook: environment variable holding the HMAC signing key",
    )
    add.add_argument(
        "--digest",
        choices=[d for d in DIGESTS if d != "immediate"],
        help="one e-mail per period listing the stories, instead of one per story",
    )
    add.add_argument("--name", metavar="N", help="a name to refer to it by (else its id)")
    add.add_argument(
        "--exact", action="store_true", help="match words exactly (no spelling variants)"
    )
    add.add_argument(
        "--on-edit",
        choices=ON_EDIT,
        help="also one message per edit of a story already alerted on: when its headline "
        "changes (headline), or its headline or at least 10%% of its words (substantive)",
    )
    add.add_argument(
        "--backfill",
        metavar="DURATION",
        type=since_duration,
        help="also queue the stored stories first seen this far back that match (e.g. 7d)",
    )

    listing = sub.add_parser("list", help="list subscriptions with their delivery counts")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")

    remove = sub.add_parser("remove", help="delete a subscription and its pending alerts")
    remove.add_argument("subscription", metavar="N", help="id or name")

    enable = sub.add_parser("enable", help="re-enable a subscription disabled by bounces")
    enable.add_argument("subscription", metavar="N", help="id or name")

    disable = sub.add_parser("disable", help="stop sending a subscription's alerts for now")
    disable.add_argument("subscription", metavar="N", help="id or name")

    send = sub.add_parser("send", help="deliver the alerts that are due (run it from cron)")
    send.add_argument(
        "--quiet", action="store_true", help="print nothing when there was nothing to do"
    )

    check = sub.add_parser(
        "check", help="parse a query, and say whether it matches a text (no database needed)"
    )
    check.add_argument("--query", required=True, metavar="Q")
    check.add_argument("--exact", action="store_true", help="no spelling variants")
    check.add_argument("--title", default="", help="the story's title")
    check.add_argument("file", nargs="?", metavar="FILE", help="story text to match ('-' = stdin)")

    show = sub.add_parser("preview", help="show what would be sent to a subscription")
    show.add_argument("subscription", metavar="N", help="id or name")
    show.add_argument("--limit", type=int, default=20, metavar="K", help="at most K messages")
    show.add_argument("--html", action="store_true", help="print the HTML part, not the text")
    show.add_argument(
        "--since",
        metavar="DURATION",
        type=since_duration,
        default="7d",
        help="with nothing pending: count the stored stories this far back that match "
        "(default: 7d)",
    )

    backfill = sub.add_parser(
        "backfill", help="queue the stored stories of a window that a subscription matches"
    )
    backfill.add_argument("subscription", metavar="N", help="id or name")
    backfill.add_argument(
        "--since",
        metavar="DURATION",
        type=since_duration,
        required=True,
        help="stories first seen this far back (e.g. 7d, 2w)",
    )

    retry = sub.add_parser(
        "retry", help="requeue failed alerts, and pending ones waiting to be retried"
    )
    retry.add_argument("subscription", metavar="N", nargs="?", help="id or name (default: all)")
    retry.add_argument(
        "--failed", action="store_true", help="only failed alerts, not those waiting for a retry"
    )
