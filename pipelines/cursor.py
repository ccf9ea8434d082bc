"""Feed cursors: the position of one change in the change log, as a string.

A cursor is the change's ``seq``, a number assigned when the writing
transaction commits, in commit order (see migration 0030).  A reader that
resumes after the last cursor it handled therefore misses nothing and sees
nothing twice.  Consumers treat the string as opaque: store it, pass it back.
"""

from __future__ import annotations

import re

from wirewatch.pipelines.errors import UsageError

_CURSOR = re.compile(r"^[0-9]{1,18}$")

START = 0


class CursorError(UsageError):
    """A cursor that was never handed out: malformed, or ahead of the feed (exit 2)."""


def parse_cursor(text: str | None) -> int:
    """The position in ``text``; None or empty means the beginning of the feed."""
    if text is None or not text.strip():
        return START
    if not _CURSOR.match(text.strip()):
        raise CursorError(
            f"malformed cursor {text!r}: expected the 'cursor' value of a change, e.g. 1042"
        )
    return int(text)


def check_not_ahead(cursor: int, last_seq: int) -> None:
    """Reject a cursor beyond the newest change: this database never handed it out."""
    if cursor > last_seq:
        raise CursorError(
            f"cursor {cursor} is ahead of the feed (its newest change is {last_seq}): "
            "it was not handed out by this database"
        )
