"""Alert messages and SMTP settings: escaping, bounded sizes, stable ids, no password leaks."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default

import pytest

from wirewatch.pipelines.alerts.render import (
    SubscriptionView,
    clean_line,
    email_message,
    message_id,
    render,
    snippet,
    story_view,
    unsubscribe_header,
)
from wirewatch.pipelines.alerts.settings import SmtpSettings, parse_smtp_url, smtp_settings
from wirewatch.pipelines.errors import ConfigError

WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SUB = SubscriptionView(3, "kyiv", "Zelensky", "desk@example.org")


def view(title: str, text: str, url: str = "https://news.example/a", outlets=None, terms=()):
    story = {
        "story_id": 9,
        "title": title,
        "text": text,
        "url": url,
        "canonical_url": None,
        "published": WHEN,
        "first_seen": WHEN,
    }
    rows = outlets or [{"outlet": "news.example", "url": url, "first_seen": WHEN}]
    return story_view(story, rows, list(terms))


def roundtrip(title: str, text: str, **kwargs) -> email.message.EmailMessage:
    rendered = render(SUB, [view(title, text, **kwargs)])
    msg = email_message(
        rendered,
        from_addr="alerts@example.org",
        to_addr="desk@example.org",
        msg_id=message_id(3, "9", "salt", "example.org"),
        list_unsubscribe=unsubscribe_header(SUB, "alerts@example.org", None),
        subscription_id=3,
    )
    return email.message_from_bytes(msg.as_bytes(), policy=default)


def test_non_latin_titles_survive_the_subject_and_both_parts() -> None:
    msg = roundtrip("Зеленский: «ПВО сбила дроны» — 普京", "Зеленский сказал. " * 10)
    assert msg["Subject"] == "[wirewatch] kyiv: Зеленский: «ПВО сбила дроны» — 普京"
    assert "Зеленский" in msg.get_body(("plain",)).get_content()
    assert "普京" in msg.get_body(("html",)).get_content()


def test_a_huge_story_makes_a_small_email() -> None:
    text = ("Zelensky spoke to reporters about the grid. " * 200_000)[:8_000_000]
    msg = roundtrip("Huge " * 500, text, terms=["Zelensky"])
    assert len(msg.as_bytes()) < 30_000
    subject = render(SUB, [view("Huge " * 500, "text")]).subject
    assert len(subject) == 140 and subject.endswith("…")
    assert msg["Subject"].startswith("[wirewatch] kyiv: Huge Huge")


def test_only_http_links_become_links() -> None:
    msg = roundtrip("Title", "Text " * 20, url="javascript:alert(1)")
    html = msg.get_body(("html",)).get_content()
    assert "javascript:" not in html and "<a href" not in html.split("<ul>")[0]


def test_line_breaks_and_control_characters_never_reach_a_header() -> None:
    assert clean_line("a\r\nBcc: x\u2028y\x00z\tw") == "a Bcc: x y z w"
    msg = roundtrip("Evil\r\nBcc: victim@example.org\nX-Injected: 1", "text " * 10)
    assert msg["Bcc"] is None and msg["X-Injected"] is None


def test_snippet_marks_matched_words_near_where_most_of_them_are() -> None:
    text = "Taliban statement. " + "filler words here. " * 60 + "Mansour and the Taliban met."
    segments = snippet(text, ["Mansour", "Taliban"], width=120)
    marked = [s.text for s in segments if s.hit]
    assert marked == ["Mansour", "Taliban"]
    assert sum(len(s.text) for s in segments) <= 125


def test_message_ids_are_stable_per_subscription_and_story() -> None:
    one = message_id(3, "9", "2026-03-01T00:00:00+00:00", "example.org")
    assert one == message_id(3, "9", "2026-03-01T00:00:00+00:00", "example.org")
    assert one != message_id(3, "10", "2026-03-01T00:00:00+00:00", "example.org")
    assert one != message_id(4, "9", "2026-03-01T00:00:00+00:00", "example.org")
    assert one != message_id(3, "9", "2026-04-01T00:00:00+00:00", "example.org")
    assert one.startswith("<wirewatch.3.9.") and one.endswith("@example.org>")


def test_list_unsubscribe_names_the_subscription_safely() -> None:
    sub = SubscriptionView(5, "a&b", "q", "x@example.org")
    assert unsubscribe_header(sub, "alerts@example.org", None) == (
        "<mailto:alerts@example.org?subject=unsubscribe%20a%26b>"
    )
    header = unsubscribe_header(sub, "alerts@example.org", "https://ww.example/u/{id}/{name}")
    assert header.startswith("<https://ww.example/u/5/a%26b>, <mailto:")


def test_the_outlet_list_names_every_outlet_once_and_caps_its_length() -> None:
    rows = [
        {"outlet": f"paper{i % 300}.example", "url": f"https://paper{i}.example/x",
         "first_seen": WHEN}
        for i in range(600)
    ]  # fmt: skip
    story = view("T", "text", outlets=rows)
    assert len(story.outlets) == 200 and story.more_outlets == 100
    text = render(SUB, [story]).text
    assert "Carried by 300 outlets" in text and "and 100 more" in text


def test_smtp_url_parsing_and_override() -> None:
    table = SmtpSettings(host="mail.example.org", from_addr="alerts@example.org",
                         unsubscribe_url="https://ww.example/u/{id}")  # fmt: skip
    s = parse_smtp_url("smtps://bob%40corp:p%40ss%3Aword@smtp.example.org", table)
    assert (s.host, s.port, s.security, s.username) == ("smtp.example.org", 465, "ssl", "bob@corp")
    assert s.password == "p@ss:word" and s.from_addr == "alerts@example.org"
    assert s.unsubscribe_url == "https://ww.example/u/{id}"
    s = parse_smtp_url("smtp://h:2525?security=none&from=x@example.org")
    assert (s.port, s.security, s.from_addr, s.password) == (2525, "none", "x@example.org", None)
    assert smtp_settings(table, {"WIREWATCH_SMTP_URL": "smtp://u:pw@other:587"}).host == "other"
    assert smtp_settings(table, {}) == table
    assert smtp_settings(None, {}) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h", "scheme must be smtp"),
        ("smtp://", "no host"),
        ("smtp://h", "no sender"),
        ("smtp://h?security=tls&from=a@example.org", "security must be one of"),
        ("smtp://h?from=a@example.org&colour=red", "unknown parameter 'colour'"),
        ("smtp://h:99999?from=a@example.org", "not a valid URL"),
        ("smtp://h?from=a%0d%0aBcc:b@example.org", "line breaks"),
    ],
)
def test_bad_smtp_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_smtp_url(url)
    assert caught.value.exit_status == 2


def test_the_password_is_in_no_printable_form_of_the_settings() -> None:
    s = parse_smtp_url("smtp://bob:hunter2@smtp.example.org:587?from=a@example.org")
    assert s.resolve_password() == "hunter2"
    for text in (repr(s), str(s), s.describe()):
        assert "hunter2" not in text
    with pytest.raises(ConfigError, match="WW_NOPE, which is not set"):
        SmtpSettings(host="h", from_addr="a@example.org", password_env="WW_NOPE").resolve_password(
            {}
        )
