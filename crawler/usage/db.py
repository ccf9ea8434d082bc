"""Database administration for downstream access.

``wirewatch db grant-reader ROLE`` creates ROLE (unless it exists) and lets
it read the documented views of schema ``wirewatch_feed`` — nothing else.
Add ``--login`` for a role that connects by itself, and ``--password-stdin``
to set its password from standard input (hashed before it is sent).
"""

from __future__ import annotations

import argparse

NAME = "db"
HELP = "database administration: grant-reader ROLE, stop (the embedded server)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION")
    actions.required = True
    grant = actions.add_parser(
        "grant-reader",
        help="create/grant a read-only role on the feed schema",
        description=__doc__,
    )
    grant.add_argument("role", metavar="ROLE")
    actions.add_parser(
        "stop",
        help="stop the embedded PostgreSQL (in $WIREWATCH_HOME/pgdata); it starts again on use",
        description="The embedded PostgreSQL keeps running after a command ends, so the next "
        "one starts fast. This stops it; the next command that needs it starts it again.",
    )
    grant.add_argument("--login", action="store_true", help="the role may log in")
    grant.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the role's password from the first line of standard input (implies --login)",
    )
