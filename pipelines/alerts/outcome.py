"""What a delivery attempt came to, the same for every channel."""

from __future__ import annotations

from dataclasses import dataclass

SENT = "sent"  # the server accepted it: mark sent
RETRY = "retry"  # temporary (4xx, timeout): try again later, with backoff
FAILED = "failed"  # permanent (5xx, refused address): record it, never retry


@dataclass(frozen=True)
class Outcome:
    kind: str
    detail: str = ""


class ChannelDown(Exception):
    """The channel cannot be used at all right now (server unreachable, login refused).

    Nothing is marked: every pending alert is simply tried on the next run.
    """


def classify_code(code: int, detail: str) -> Outcome:
    """SMTP-style reply codes: 5xx is permanent, everything else temporary."""
    return Outcome(FAILED if 500 <= code < 600 else RETRY, f"{code} {detail}".strip())
