"""Delivering an alert to any service Apprise supports (Slack, Telegram, Matrix, Teams…)."""

from __future__ import annotations

from wirewatch.pipelines.alerts.outcome import FAILED, RETRY, SENT, Outcome


class AppriseChannel:
    def send(self, url: str, title: str, body: str) -> Outcome:
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(url):
            return Outcome(FAILED, "not a URL Apprise understands")
        # Apprise reports only success or failure; a failure is retried with
        # backoff and given up after the attempt limit.
        if notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT):
            return Outcome(SENT, "delivered by Apprise")
        return Outcome(RETRY, "Apprise could not deliver the notification")
