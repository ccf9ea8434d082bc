"""Alerts on edits (issue 17 part 3): one message per revision of a story's canonical copy,
to the subscriptions that opted in (--on-edit) and were already told about the story."""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.policy import default
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.alerts import (
    WIRE_TEXT,
    HookReceiver,
    SmtpSink,
    add_source,
    outbox,
    store,
    subscribe,
)
from tests.support.dedupe_texts import article, first_words, rewritten_top, with_quote
from wirewatch.crawler.cli import main
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.pipelines import db
from wirewatch.pipelines.alerts import diff as diff_module
from wirewatch.pipelines.alerts.diff import text_diff
from wirewatch.pipelines.alerts.edits import substantive
from wirewatch.pipelines.alerts.render import (
    SubscriptionView,
    edit_view,
    email_message,
    render,
    story_view,
)
from wirewatch.pipelines.alerts.sender import SendPolicy, send_due
from wirewatch.pipelines.queries import Q

KEY = "webhook-signing-key"
FAST = SendPolicy(backoff_base=0)

# ~120 words; "afternon" is the typo a later revision fixes.
PARAGRAPHS = [
    "The harbour board approved the dredging plan on Tuesday after a debate that lasted "
    "most of the afternon and ended in a narrow vote of five to four.",
    "Fishermen said the work would close the inner basin for most of the summer, and "
    "several of them asked the board to pay for berths in the outer harbour while it lasts.",
    "The chairman said the board would publish a timetable next month. Engineers expect "
    "the first dredgers to arrive in June, weather permitting, and the work to take ten weeks.",
    "Opponents argued that the plan had been rushed through without a study of its effect "
    "on the seagrass beds near the breakwater, and promised to appeal to the ministry.",
]
HEADLINE = "Harbour board approves dredging plan"
NEW_HEADLINE = "Dredging approved: inner harbour basin to close all summer"
ADDED = (
    "A spokesman for the fishermen's association said on Wednesday evening that its members "
    "would meet the board next week to negotiate compensation for the lost season, and that "
    "a protest at the harbour entrance had not been ruled out if the talks failed."
)


@pytest.fixture
def sender_conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def _sources(conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    add_source(conn, "herald")
    add_source(conn, "wire", wire=True)
    add_source(conn, "paper")
    monkeypatch.setenv("WW_HOOK_KEY", KEY)


def text(*, typo: bool = True, added: bool = False) -> str:
    paragraphs = list(PARAGRAPHS)
    if not typo:
        paragraphs[0] = paragraphs[0].replace("afternon", "afternoon")
    if added:
        paragraphs.insert(2, ADDED)
    return "\n\n".join(paragraphs)


def bodies(message: email.message.EmailMessage) -> tuple[str, str]:
    """The text part with its lines unwrapped, and the HTML part."""
    plain = " ".join(message.get_body(("plain",)).get_content().split())
    return plain, message.get_body(("html",)).get_content()


def subject(message: email.message.EmailMessage) -> str:
    """The Subject as a reader sees it (a long one is folded onto the next header line)."""
    return " ".join(str(message["Subject"]).split())


def edit_rows(conn: psycopg.Connection) -> list[dict]:
    return [r for r in outbox(conn) if r["revision"] is not None]


# --- the threshold and the diff, as functions ---------------------------------------------


def test_a_substantive_edit_is_a_tenth_of_the_words_at_least_five_or_a_hundred_words() -> None:
    assert not substantive(1, 1, 120)  # a typo fix
    assert not substantive(6, 5, 120)  # 11 words of 120: under a tenth
    assert substantive(12, 0, 120)
    assert not substantive(3, 1, 20)  # a tenth of 20 is 2, but fewer than 5 words changed
    assert substantive(5, 0, 20)
    assert substantive(100, 0, 5000)  # a new paragraph of 100 words, however long the text
    assert not substantive(60, 39, 5000)


def test_the_diff_shows_each_changed_place_with_a_few_words_around_it() -> None:
    old = text()
    new = text(typo=False, added=True)
    diff = text_diff(old, new)
    assert len(diff.places) == 2 and diff.more == 0 and not diff.truncated
    typo, paragraph = diff.places
    kinds = [(p.kind, p.text) for p in typo.parts]
    assert ("removed", "afternon") in kinds and ("added", "afternoon") in kinds
    assert kinds[0] == ("same", "after a debate that lasted most of the")  # 8 words of context
    assert typo.before and typo.after
    assert [p.text for p in paragraph.parts if p.kind == "added"] == [ADDED]
    assert not [p for p in paragraph.parts if p.kind == "removed"]
    assert text_diff(old, old).empty


def test_the_diff_of_a_rewrite_stays_bounded() -> None:
    old = " ".join(f"w{i}" for i in range(30_000))
    new = " ".join(f"w{i}" if i % 40 else f"new{i}" + "x" * 2000 for i in range(30_000))
    diff = text_diff(old, new)
    assert diff.truncated  # 30,000 words: the first 20,000 compared
    shown = sum(len(p.text) for place in diff.places for p in place.parts)
    assert len(diff.places) <= diff_module.MAX_PLACES
    assert diff.more == 20_000 // 40 - len(diff.places)
    assert shown <= diff_module.MAX_CHARS + diff_module.PART_CHARS * 2 + 200
    assert all(len(p.text) <= diff_module.PART_CHARS for pl in diff.places for p in pl.parts)


# --- the message ----------------------------------------------------------------------------

WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def revision_row(**changes) -> dict:
    return {
        "article_id": 7,
        "revision": 3,
        "fetched_at": WHEN,
        "title": NEW_HEADLINE,
        "text": text(typo=False),
        "words_added": 1,
        "words_removed": 1,
        "headline_changed": True,
        "previous_title": HEADLINE,
        "previous_text": text(),
        "pruned": False,
    } | changes


def edited_story(row: dict) -> object:
    story = {"story_id": 9, "title": "ignored: the revision's title is shown", "text": row["text"],
             "url": "https://herald.example/a", "canonical_url": None, "published": WHEN,
             "first_seen": WHEN}  # fmt: skip
    outlets = [{"outlet": "herald.example", "url": "https://herald.example/a", "first_seen": WHEN}]
    return story_view(story, outlets, ["harbour"], edit_view(row))


def test_an_edit_message_is_marked_as_an_update_and_shows_both_headlines_and_the_diff() -> None:
    sub = SubscriptionView(3, "harbour", "harbour", "desk@example.org")
    rendered = render(sub, [edited_story(revision_row())])
    assert rendered.subject == f"[wirewatch] harbour: Updated: {NEW_HEADLINE}"
    assert f"Headline was: {HEADLINE}" in rendered.text
    assert f"Headline now: {NEW_HEADLINE}" in rendered.text
    assert "[-afternon-] {+afternoon+}" in rendered.text
    assert "1 word added, 1 removed" in rendered.text
    assert "<del" in rendered.html and ">afternon</del>" in rendered.html
    assert ">afternoon</ins>" in rendered.html and "revision 3" in rendered.html


def test_everything_from_the_page_is_escaped_in_the_html_part() -> None:
    hostile = revision_row(
        title="<script>alert(1)</script> headline",
        previous_title="Old & <b>bold</b>",
        text=text() + " <img src=x onerror=alert(2)>",
    )
    msg = email_message(
        render(SubscriptionView(3, None, "harbour", "desk@example.org"), [edited_story(hostile)]),
        from_addr="alerts@example.org", to_addr="desk@example.org", msg_id="<m@example.org>",
        list_unsubscribe="<mailto:alerts@example.org>", subscription_id=3,
    )  # fmt: skip
    parsed = email.message_from_bytes(msg.as_bytes(), policy=default)
    plain, html = bodies(parsed)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "Old &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "{+<img src=x onerror=alert(2)>+}" in plain  # the text part is plain text


def test_a_headline_only_edit_says_the_text_is_unchanged_and_a_digest_counts_updates() -> None:
    row = revision_row(text=text(), words_added=0, words_removed=0)
    daily = SubscriptionView(3, "harbour", "harbour", "desk@example.org", "daily")
    other = {"story_id": 8, "title": "Other story", "text": WIRE_TEXT, "url": None,
             "canonical_url": None, "published": WHEN, "first_seen": WHEN}  # fmt: skip
    story = story_view(other, [], [])
    rendered = render(daily, [story, edited_story(row)])
    assert rendered.subject == "[wirewatch] harbour: 1 story, 1 update (daily digest)"
    assert "Text unchanged." in rendered.text and "Updated: " + NEW_HEADLINE in rendered.text
    assert "Text unchanged." in rendered.html


# --- queueing and sending, on a real database and SMTP server -------------------------------


def test_headline_alerts_once_per_headline_change_and_never_twice(conn, sender_conn, smtp) -> None:
    edits = subscribe(conn, "harbour AND dredging", name="edits", on_edit="headline")
    plain = subscribe(conn, "harbour AND dredging", "plain@example.org", name="plain")
    first = store(conn, "herald", HEADLINE, text(), slug="dredging")
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 2

    fixed = store(conn, "herald", HEADLINE, text(typo=False), slug="dredging", minutes=10)
    assert (fixed.article_id, fixed.alerts_queued) == (first.article_id, 0)  # text only
    retitled = store(conn, "herald", NEW_HEADLINE, text(typo=False), slug="dredging", minutes=20)
    assert retitled.alerts_queued == 1
    [row] = edit_rows(conn)
    assert (row["subscription_id"], row["story_id"]) == (edits, first.story_id)
    assert (row["article_id"], row["revision"]) == (first.article_id, 3)

    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 0  # nothing twice
    # The same page stored again, and the same revision's rows queued again, add nothing.
    store(conn, "herald", NEW_HEADLINE, text(typo=False), slug="dredging", minutes=30)
    again = conn.execute(Q.enqueue_edit_alert, {"subscription_id": edits,
                         "story_id": first.story_id, "article_id": first.article_id,
                         "revision": 3}).rowcount  # fmt: skip
    conn.commit()
    assert again == 0
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 0

    assert [env[1] for env in smtp.envelopes] == [
        ["desk@example.org"], ["plain@example.org"], ["desk@example.org"]]  # fmt: skip
    update = smtp.messages[2]
    assert subject(update) == f"[wirewatch] edits: Updated: {NEW_HEADLINE}"
    assert update["Message-ID"].startswith(f"<wirewatch.{edits}.edit{first.article_id}.3.")
    assert update["Message-ID"] != smtp.messages[0]["Message-ID"]
    plain_text, _ = bodies(update)
    assert f"Headline was: {HEADLINE}" in plain_text and "Text unchanged." in plain_text
    assert [r["status"] for r in outbox(conn, plain)] == ["sent"]  # no --on-edit: no edit alerts


def test_substantive_alerts_on_a_big_text_change_not_on_a_typo_fix(conn, sender_conn, smtp) -> None:
    sub = subscribe(conn, "harbour", name="subst", on_edit="substantive")
    first = store(conn, "herald", HEADLINE, text(), slug="dredging")
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    assert store(conn, "herald", HEADLINE, text(typo=False), slug="dredging",
                 minutes=10).alerts_queued == 0  # fmt: skip
    grown = store(conn, "herald", HEADLINE, text(typo=False, added=True), slug="dredging",
                  minutes=20)  # fmt: skip
    assert grown.alerts_queued == 1
    assert [(r["subscription_id"], r["revision"]) for r in edit_rows(conn)] == [(sub, 3)]
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    plain_text, html = bodies(smtp.messages[1])
    assert subject(smtp.messages[1]) == f"[wirewatch] subst: Updated: {HEADLINE}"
    assert "Headline unchanged." in plain_text
    assert f"{len(ADDED.split())} words added, 0 removed" in plain_text
    assert "{+A spokesman for the fishermen's association" in plain_text
    assert "<ins" in html and "fishermen&#39;s association" in html
    # A headline change is substantive too.
    store(conn, "herald", NEW_HEADLINE, text(typo=False, added=True), slug="dredging", minutes=30)
    assert [r["revision"] for r in edit_rows(conn)] == [3, 4]
    assert first.story_id == edit_rows(conn)[1]["story_id"]


def test_no_edit_alert_before_the_story_alert_went_out(conn, sender_conn, smtp) -> None:
    """A story alert still waiting shows the edited version when it goes: no update needed."""
    subscribe(conn, "harbour", name="edits", on_edit="headline")
    store(conn, "herald", HEADLINE, text(), slug="dredging")
    store(conn, "herald", NEW_HEADLINE, text(), slug="dredging", minutes=10)
    assert edit_rows(conn) == [] and len(outbox(conn)) == 1
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    assert subject(smtp.messages[0]) == f"[wirewatch] edits: {NEW_HEADLINE}"


def test_a_subscription_that_never_alerted_on_the_story_gets_no_edit_alert(
    conn, sender_conn, smtp
) -> None:
    """An edit that makes the story match queues its first alert, not an update."""
    store(conn, "herald", HEADLINE, text(), slug="dredging")
    sub = subscribe(conn, "seagrass AND compensation", name="late", on_edit="substantive")
    store(conn, "herald", HEADLINE, text(added=True), slug="dredging", minutes=10)
    assert [(r["subscription_id"], r["revision"]) for r in outbox(conn)] == [(sub, None)]
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    assert not subject(smtp.messages[0]).startswith("[wirewatch] late: Updated")


def test_only_the_canonical_copy_s_edits_count(conn, sender_conn, smtp) -> None:
    subscribe(conn, "Zelensky", name="kyiv", on_edit="headline")
    wire = store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True, slug="w")
    copy = store(conn, "paper", "Drones downed over Kyiv", WIRE_TEXT, minutes=5, slug="p")
    assert copy.story_id == wire.story_id
    canonical = conn.execute(Q.story_by_id, {"story_id": wire.story_id}).fetchone()
    assert canonical["canonical_article_id"] == wire.article_id
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1

    store(conn, "paper", "Kyiv: most drones downed, says Zelenskyy", WIRE_TEXT, minutes=15,
          slug="p")  # fmt: skip
    assert edit_rows(conn) == []  # another outlet editing its copy is not the story changing
    store(conn, "wire", "Zelenskyy: air defences downed most drones", WIRE_TEXT, wire=True,
          minutes=20, slug="w")  # fmt: skip
    assert [r["article_id"] for r in edit_rows(conn)] == [wire.article_id]
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    assert "Updated: Zelenskyy: air defences" in subject(smtp.messages[1])


def test_an_edit_alert_waits_for_the_subscription_s_digest(conn) -> None:
    sub = subscribe(conn, "harbour", name="daily", on_edit="headline", digest="daily")
    store(conn, "herald", HEADLINE, text(), slug="dredging")
    # The daily digest that carried the story went out.
    conn.execute("UPDATE alert_outbox SET status = 'sent', sent_at = now(), message_id = 'm1'")
    conn.commit()
    store(conn, "herald", NEW_HEADLINE, text(), slug="dredging", minutes=10)
    [row] = edit_rows(conn)
    assert row["subscription_id"] == sub
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert row["due_at"] == tomorrow + timedelta(days=1)


def test_a_failed_delivery_of_an_edit_alert_is_retried_and_sent_once(
    conn, sender_conn, smtp
) -> None:
    subscribe(conn, "harbour", name="edits", on_edit="headline")
    store(conn, "herald", HEADLINE, text(), slug="dredging")
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    store(conn, "herald", NEW_HEADLINE, text(), slug="dredging", minutes=10)
    smtp.data_reply = "451 try again later"
    report = send_due(sender_conn, smtp.settings(), policy=FAST)
    assert (report.sent, report.retried) == (0, 1)
    smtp.data_reply = None
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 1
    assert send_due(sender_conn, smtp.settings(), policy=FAST).sent == 0
    assert [subject(m).startswith("[wirewatch] edits: Updated:") for m in smtp.messages] == [
        False, True]  # fmt: skip


def test_a_webhook_edit_event_carries_both_headlines_and_the_diff(conn, sender_conn) -> None:
    with HookReceiver() as hook:
        subscribe(conn, "harbour", f"{hook.base_url}/hook", channel="webhook",
                  secret_env="WW_HOOK_KEY", name="hook", on_edit="substantive")  # fmt: skip
        first = store(conn, "herald", HEADLINE, text(), slug="dredging")
        assert send_due(sender_conn, None).sent == 1
        store(conn, "herald", NEW_HEADLINE, text(typo=False), slug="dredging", minutes=10)
        assert send_due(sender_conn, None).sent == 1
        assert send_due(sender_conn, None).sent == 0
    story_event, edit_event = (json.loads(body) for _, _, body in hook.requests)
    assert story_event["event"] == "alert" and "edit" not in story_event["stories"][0]
    assert edit_event["event"] == "edit"
    [story] = edit_event["stories"]
    assert story["story_id"] == first.story_id and story["title"] == NEW_HEADLINE
    edit = story["edit"]
    assert (edit["article_id"], edit["revision"]) == (first.article_id, 2)
    assert (edit["previous_title"], edit["title"], edit["headline_changed"]) == (
        HEADLINE, NEW_HEADLINE, True)  # fmt: skip
    assert (edit["words_added"], edit["words_removed"]) == (1, 1)
    [place] = edit["diff"]
    assert {"kind": "removed", "text": "afternon"} in place
    assert {"kind": "added", "text": "afternoon"} in place
    assert hook.requests[1][1]["X-Wirewatch-Delivery"] == edit_event["delivery_id"]
    assert f".edit{first.article_id}.2." in edit_event["delivery_id"]


def test_a_pending_edit_alert_follows_its_story_into_a_merge(conn) -> None:
    """The story-merging rules drop repeated story alerts; an edit alert is kept and moved."""
    wire_text = with_quote(article(600, paragraphs=28))
    sub = subscribe(conn, "Zelenskyy", name="kyiv", on_edit="headline")
    lede = store(conn, "herald", "Lede", "Zelenskyy spoke.\n\n" + first_words(wire_text, 170),
                 slug="lede")  # fmt: skip
    top_text = "Zelenskyy and officials spoke.\n\n" + rewritten_top(wire_text)
    top = store(conn, "paper", "Top", top_text, minutes=5, slug="top")
    assert lede.story_id != top.story_id
    conn.execute("UPDATE alert_outbox SET status = 'sent', sent_at = now(), message_id = 'm'")
    conn.commit()
    store(conn, "paper", "Top, retitled", top_text, minutes=6, slug="top")
    assert [(r["story_id"], r["status"]) for r in edit_rows(conn)] == [(top.story_id, "pending")]
    merged = store(conn, "wire", "Original", "Zelenskyy.\n\n" + wire_text, minutes=10,
                   wire=True, slug="original")  # fmt: skip
    assert merged.story_id == lede.story_id
    rows = outbox(conn, sub)
    assert [(r["story_id"], r["revision"], r["status"]) for r in rows] == [
        (lede.story_id, None, "sent"), (top.story_id, None, "sent"),
        (lede.story_id, 2, "pending")]  # fmt: skip


# --- the command line -----------------------------------------------------------------------


def test_on_edit_is_stored_listed_and_checked(conn, capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:  # fmt: skip
    assert main(["alerts", "add", "--query", "harbour", "--email", "desk@example.org",
                 "--name", "edits", "--on-edit", "substantive"]) == 0  # fmt: skip
    assert main(["alerts", "add", "--query", "harbour", "--email", "x@example.org"]) == 0
    capsys.readouterr()
    assert main(["alerts", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["on_edit"] for r in rows] == ["substantive", None]
    assert main(["alerts", "list"]) == 0
    assert "(immediate, cli, on edit: substantive)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["alerts", "add", "--query", "harbour", "--email", "y@example.org",
              "--on-edit", "always"])  # fmt: skip
    assert refused.value.code == 2
    assert "invalid choice: 'always'" in capsys.readouterr().err

    config = tmp_path / "wirewatch.toml"
    config.write_text('[[alert]]\nname = "desk"\nquery = "harbour"\nemail = "d@example.org"\n'
                      'on_edit = "headline"\n')  # fmt: skip
    assert main(["--config", str(config), "alerts", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["on_edit"]) for r in rows][-1] == ("desk", "headline")
    config.write_text(config.read_text().replace('"headline"', '"sometimes"'))
    assert main(["--config", str(config), "alerts", "list"]) == 2
    assert "field 'on_edit': must be one of headline, substantive" in capsys.readouterr().err


def test_the_web_interface_shows_and_takes_on_edit(conn, db_url: str) -> None:
    from fastapi.testclient import TestClient

    from wirewatch.crawler.web.app import create_app
    from wirewatch.crawler.web.context import WebContext
    from wirewatch.crawler.web.settings import WebSettings

    pool = db.open_pool(db_url, max_size=2)
    try:
        app = create_app(WebContext(WebSettings(), None, pool, b"k" * 32, None, ()))
        client = TestClient(app, base_url="http://127.0.0.1:8080")
        added = client.post("/api/v1/alerts", json={"query": "harbour", "target": "a@example.org",
                                                     "on_edit": "headline"})  # fmt: skip
        assert added.status_code == 201 and added.json()["alert"]["on_edit"] == "headline"
        refused = client.post("/api/v1/alerts", json={"query": "harbour",
                              "target": "a@example.org", "on_edit": "sometimes"})  # fmt: skip
        assert refused.status_code == 422
        assert [a["on_edit"] for a in client.get("/api/v1/alerts").json()["alerts"]] == [
            "headline"]  # fmt: skip
        assert "on edit: headline" in client.get("/alerts").text
        assert "on edit: headline" in client.get("/alerts/1").text
        story = store(conn, "herald", HEADLINE, text(), slug="dredging").story_id
        conn.execute("UPDATE alert_outbox SET status = 'sent', sent_at = now(), message_id = 'm'")
        conn.commit()
        store(conn, "herald", NEW_HEADLINE, text(), slug="dredging", minutes=10)
        assert "(update: revision 2)" in client.get(f"/stories/{story}").text
        alerts = client.get(f"/api/v1/stories/{story}").json()["alerts"]
        assert [(a["status"], a["revision"]) for a in alerts] == [("sent", None), ("pending", 2)]
    finally:
        pool.close()


# --- the real crawl -------------------------------------------------------------------------


def page(headline: str, body: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{headline}</title></head><body><article><h1>{headline}</h1>"
        f"{paragraphs}</article></body></html>"
    )


def test_an_article_edited_three_times_between_crawls(
    tmp_path: Path, db_url: str, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """wirewatch crawl and wirewatch alerts send, as cron runs them: a typo fix, a new
    headline, a new paragraph.  --on-edit headline: one update; substantive: two;
    no --on-edit: none."""
    monkeypatch.setenv("WIREWATCH_SMTP_URL", smtp.url())
    config = tmp_path / "wirewatch.toml"
    versions = [
        page(HEADLINE, text()),
        page(HEADLINE, text(typo=False)),
        page(NEW_HEADLINE, text(typo=False)),
        page(NEW_HEADLINE, text(typo=False, added=True)),
    ]
    for name, on_edit in [("headline", "headline"), ("substantive", "substantive"),
                          ("plain", None)]:  # fmt: skip
        extra = ["--on-edit", on_edit] if on_edit else []
        done = run_wirewatch("alerts", "add", "--query", "harbour AND dredging", "--email",
                             f"{name}@example.org", "--name", name, *extra)  # fmt: skip
        assert done.returncode == 0, done.stderr
    sent: list[int] = []
    with FixtureServer() as server:
        server.route("/local/", raw("<html><body><a href='/news/1.html'>One</a></body></html>"))
        config.write_text(
            f'[[source]]\nname = "section"\nkind = "section"\nurl = "{server.base_url}/local/"\n'
            'follow = "/news/"\n'
        )
        for run, version in enumerate([0, 1, 2, 3, 3]):  # the last run finds it unchanged
            server.route("/news/1.html", raw(versions[version]))
            args = ["crawl", "--full"] if run else ["crawl"]
            done = run_wirewatch("--config", str(config), *args)
            assert done.returncode == 0, done.stderr
            before = len(smtp.messages)
            done = run_wirewatch("--config", str(config), "alerts", "send")
            assert done.returncode == 0, done.stderr
            sent.append(len(smtp.messages) - before)
        done = run_wirewatch("--config", str(config), "alerts", "send")  # once more: nothing
        assert done.returncode == 0 and "0 sent" in done.stdout
    assert sent == [3, 0, 2, 1, 0]

    with psycopg.connect(db_url, row_factory=psycopg.rows.dict_row) as conn:
        revisions = conn.execute(
            "SELECT * FROM wirewatch_feed.revisions ORDER BY revision").fetchall()  # fmt: skip
        changes = conn.execute(
            "SELECT * FROM wirewatch.feed_changes WHERE kind = 'revision'").fetchall()  # fmt: skip
    assert [r["revision"] for r in revisions] == [1, 2, 3, 4]
    assert [(r["words_added"], r["words_removed"], r["headline_changed"])
            for r in revisions[1:]] == [(1, 1, False), (0, 0, True),
                                        (len(ADDED.split()), 0, False)]  # fmt: skip
    assert len(changes) == 3 and {c["article_id"] for c in changes} == {revisions[0]["article_id"]}

    by_rcpt: dict[str, list[str]] = {}
    for (_, rcpts), message in zip(smtp.envelopes, smtp.messages, strict=True):
        by_rcpt.setdefault(rcpts[0], []).append(subject(message))
    assert by_rcpt == {
        "headline@example.org": [f"[wirewatch] headline: {HEADLINE}",
                                 f"[wirewatch] headline: Updated: {NEW_HEADLINE}"],
        "substantive@example.org": [f"[wirewatch] substantive: {HEADLINE}",
                                    f"[wirewatch] substantive: Updated: {NEW_HEADLINE}",
                                    f"[wirewatch] substantive: Updated: {NEW_HEADLINE}"],
        "plain@example.org": [f"[wirewatch] plain: {HEADLINE}"],
    }  # fmt: skip
    headline_update = next(m for m in smtp.messages if m["To"] == "headline@example.org"
                           and "Updated" in subject(m))  # fmt: skip
    plain_text, html = bodies(headline_update)
    assert f"Headline was: {HEADLINE}" in plain_text and "revision 3" in plain_text
    assert "Headline now: <ins" in html and "Text unchanged." in html
