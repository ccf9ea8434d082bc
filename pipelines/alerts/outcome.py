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
    # A permanent failure that says the subscription's target is bad (a refused
    # recipient, a webhook URL that answers 404): counted towards disabling the
    # subscription.  False for failures of one message (a refusal after DATA,
    # attempts used up), which say nothing about the address.
    disables: bool = True


class ChannelDown(Exception):
    """The channel cannot be used at all right now (server unreachable, login refused,
    sender refused).

    Nothing is marked: every pending alert is simply tried on the next run.
    """


def classify_code(code: int, detail: str, *, disables: bool = True) -> Outcome:
    """SMTP-style reply codes: 5xx is permanent, everything else temporary."""
    return Outcome(FAILED if 500 <= code < 600 else RETRY, f"{code} {detail}".strip(), disables)
