"""``wirewatch web`` in a real browser, on the demo newsroom: what a user sees and can do."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as wait_for
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.feed_rows import add_article, add_copy, new_story
from wirewatch.pipelines import db, signing
from wirewatch.pipelines.alerts.addresses import SubscriptionSpec
from wirewatch.pipelines.alerts.subscriptions import add_subscription
from wirewatch.pipelines.alerts.unsubscribe import link

pytest_plugins = ("tests.support.web",)
# The first test of the module waits for the demo newsroom (up to 300 s) too.
pytestmark = pytest.mark.timeout(900)

EVIL_TITLE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned=2"> Harbour vote'
DEMO_STORIES = 13


@pytest.fixture(scope="module")
def demo(demo_db: Any) -> Any:
    """The demo newsroom plus a story whose crawled title carries markup."""
    with db.connect(demo_db.url) as conn:
        with conn.transaction():
            first = add_article(
                conn,
                title=EVIL_TITLE,
                text="A quiet vote in the harbour town.",
                outlet="evil.example",
                source="meridian",
            )
            story = new_story(conn, first)
        with conn.transaction():
            add_copy(
                conn,
                story,
                add_article(
                    conn,
                    title=EVIL_TITLE,
                    outlet="evil2.example",
                    source="meridian",
                    text="A quiet vote in the harbour town today.",
                ),
            )
    return demo_db


@pytest.fixture(scope="module")
def web(demo: Any, launch_web: Any) -> Any:
    return launch_web(demo, config_text='[web]\npublic_url = "http://127.0.0.1:1"\n')


def _navigate(page: Any, action: Any) -> None:
    """Run ``action`` (a click, a submit) and wait until the next page has replaced this one."""
    old = page.find_element(By.TAG_NAME, "html")
    action()
    WebDriverWait(page, 15).until(_replaced(old))


def _replaced(old: Any) -> Any:
    """Selenium's ``staleness_of``, plus the other answer ChromeDriver gives for a node of a
    document being torn down: "Node with given id does not belong to the document" (seen once
    in CI, mid-navigation, as an error instead of a stale reference)."""

    def check(_driver: Any) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return check


def _titles(page: Any) -> list[str]:
    return [e.text for e in page.find_elements(By.CSS_SELECTOR, "li.story a.title")]


def test_story_list_shows_the_demo_stories(web: Any, page: Any) -> None:
    page.get(web.base + "/stories")
    titles = _titles(page)
    assert len(titles) == DEMO_STORIES + 1
    assert any("Merrow Pass rail tunnel" in t for t in titles)
    copies = [e.text for e in page.find_elements(By.CSS_SELECTOR, "li.story .copies")]
    assert "4 copies" in copies
    # Search with the alert syntax, in the same page.
    box = page.find_element(By.NAME, "q")
    box.send_keys("tunnel AND Merrow")
    _navigate(page, box.submit)
    assert [t for t in _titles(page)] == [
        "Parliament approves Merrow Pass rail tunnel after decade of debate"
    ]
    page.get(web.base + "/stories?source=valleyherald")
    assert 0 < len(_titles(page)) < DEMO_STORIES


def test_story_page_shows_copies_timeline_and_diff(web: Any, page: Any) -> None:
    page.get(web.base + "/stories")
    _navigate(page, page.find_element(By.PARTIAL_LINK_TEXT, "Merrow Pass rail tunnel").click)
    rows = page.find_elements(By.CSS_SELECTOR, "table.copies tbody tr")
    assert len(rows) == 4
    canonical = [r.text for r in rows if r.text.endswith("canonical")]
    assert len(canonical) == 1 and canonical[0].startswith("Meridian Press Agency")
    assert len(page.find_elements(By.CSS_SELECTOR, "table.timeline tbody tr")) == 4
    herald = next(r for r in rows if r.text.startswith("Valley Herald"))
    _navigate(page, herald.find_element(By.LINK_TEXT, "diff").click)
    heading = page.find_element(By.ID, "diff").text
    assert heading == "Differences: Valley Herald against the canonical text"
    assert page.find_elements(By.CSS_SELECTOR, ".diff del")
    assert page.find_elements(By.CSS_SELECTOR, ".diff ins")
    assert "words cut" in page.find_element(By.CSS_SELECTOR, "#diff + p.meta").text


def test_bad_alert_query_shows_the_caret(web: Any, page: Any) -> None:
    page.get(web.base + "/alerts")
    query = page.find_element(By.ID, "query")
    query.send_keys('Wagner "private army')
    # Checked while typing (query-check.js) ...
    live = WebDriverWait(page, 10).until(
        wait_for.text_to_be_present_in_element((By.ID, "query-check"), "position 8")
    )
    assert live
    # ... and on the server when sent anyway, with the CLI's message.
    page.find_element(By.NAME, "target").send_keys("desk@example.org")
    _navigate(page, page.find_element(By.CSS_SELECTOR, "button[value=add]").click)
    error = page.find_element(By.ID, "error").text
    assert error.splitlines() == [
        "invalid query at position 8: unbalanced quote: this phrase is not closed",
        '  Wagner "private army',
        "         ^",
    ]
    assert "No subscriptions yet" in page.page_source  # nothing was saved
    # A good one is added, listed, and can be disabled.
    query = page.find_element(By.ID, "query")
    query.clear()
    query.send_keys("tunnel AND Merrow")
    _navigate(page, page.find_element(By.CSS_SELECTOR, "button[value=preview]").click)
    assert "Parliament approves Merrow Pass" in page.find_element(By.ID, "preview").text
    _navigate(page, page.find_element(By.CSS_SELECTOR, "button[value=add]").click)
    assert "added subscription" in page.find_element(By.ID, "notice").text
    row = page.find_element(By.CSS_SELECTOR, "table.subscriptions tbody tr")
    assert "tunnel AND Merrow" in row.text and "active" in row.text
    _navigate(page, row.find_element(By.XPATH, ".//button[text()='Disable']").click)
    assert "disabled" in page.find_element(By.CSS_SELECTOR, "table.subscriptions tbody tr").text


def test_unsubscribe_link_works_once(web: Any, demo: Any, page: Any) -> None:
    with db.connect(demo.url, autocommit=True) as conn:
        row = add_subscription(
            conn, SubscriptionSpec("flood*", "email", "reader@example.org", name="floods")
        )
        url = link(web.base, signing.signing_key(conn), row["id"], "reader@example.org")
    page.get(url)
    assert "Stop the alert floods" in page.find_element(By.ID, "state").text
    _navigate(page, page.find_element(By.ID, "confirm").click)
    assert page.find_element(By.ID, "state").text.startswith("You are unsubscribed")
    page.get(url)
    assert page.find_element(By.ID, "state").text.startswith("Already done")
    # RFC 8058: the mail client's one-click POST, without cookies, is as idempotent.
    status, _, body = web.post(
        urllib.parse.urlsplit(url).path,
        b"List-Unsubscribe=One-Click",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200 and b"Already done" in body
    tampered = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    page.get(tampered)
    assert "not valid" in page.find_element(By.ID, "state").text


def test_markup_in_a_crawled_title_is_text(web: Any, page: Any) -> None:
    page.get(web.base + "/stories")
    assert EVIL_TITLE in _titles(page)
    _navigate(page, page.find_element(By.PARTIAL_LINK_TEXT, "Harbour vote").click)
    assert page.find_element(By.TAG_NAME, "h1").text == EVIL_TITLE
    assert page.execute_script("return window.pwned === undefined")
    _, headers, _ = web.get("/stories")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]


def test_api_json_etags_and_cursor_pages(web: Any) -> None:
    seen: list[int] = []
    cursor = ""
    pages = 0
    while True:
        status, body = web.get_json(f"/api/v1/stories?limit=5&cursor={cursor}")
        assert status == 200
        seen += [s["story_id"] for s in body["stories"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert pages == 3 and len(seen) == len(set(seen)) == DEMO_STORIES + 1
    _, headers, _ = web.get("/api/v1/stories?limit=5")
    assert headers["content-type"] == "application/json" and headers["etag"]
    assert web.get("/api/v1/stories?limit=5", {"If-None-Match": headers["etag"]})[0] == 304
    status, story = web.get_json(f"/api/v1/stories/{seen[0]}")
    assert status == 200 and story["copies"] and story["story"]["story_id"] == seen[0]
    # Changes after a cursor: the `wirewatch feed` cursor, paged to the end.
    kinds: list[str] = []
    cursor = ""
    while True:
        status, body = web.get_json(f"/api/v1/changes?limit=10&cursor={cursor}")
        assert status == 200
        kinds += [c["kind"] for c in body["changes"]]
        if not body["changes"]:
            break
        cursor = body["next_cursor"]
    assert kinds.count("story") == DEMO_STORIES + 1
    assert web.get_json("/api/v1/changes?cursor=abc")[0] == 400
    status, sources = web.get_json("/api/v1/sources")
    assert {s["source"] for s in sources["sources"]} == {
        "meridian",
        "dailyharbor",
        "northstar",
        "valleyherald",
    }
    status, bad = web.get_json("/api/v1/query?q=" + urllib.parse.quote('Wagner "private'))
    assert bad["ok"] is False and bad["position"] == 8
    status, openapi = web.get_json("/api/v1/openapi.json")
    assert {"/api/v1/stories", "/api/v1/changes", "/api/v1/sources", "/api/v1/alerts"} <= set(
        openapi["paths"]
    )
    # Writes need a JSON body: a form posted by another site's page is refused.
    form = web.post(
        "/api/v1/alerts",
        b"query=x&target=a@example.org",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form[0] == 415
    alert = json.dumps({"query": "Merrow", "target": "api@example.org"}).encode()
    created = web.post("/api/v1/alerts", alert, {"Content-Type": "application/json"})
    assert created[0] == 201 and json.loads(created[2])["alert"]["query"] == "Merrow"


PASSWORD = "correct horse battery staple"
TOKEN = "t0ken-for-the-api-0123456789"


@pytest.fixture(scope="module")
def locked_web(demo: Any, launch_web: Any) -> Any:
    return launch_web(
        demo,
        config_text=(
            '[web]\npassword_env = "WW_TEST_WEB_PASSWORD"\ntokens_env = "WW_TEST_WEB_TOKENS"\n'
        ),
        env={"WW_TEST_WEB_PASSWORD": PASSWORD, "WW_TEST_WEB_TOKENS": TOKEN},
    )


@pytest.mark.slow
def test_login_csrf_and_tokens(locked_web: Any, page: Any) -> None:
    web = locked_web
    page.get(web.base + "/alerts")
    assert "/login" in page.current_url
    page.find_element(By.ID, "password").send_keys("wrong")
    _navigate(page, page.find_element(By.CSS_SELECTOR, "form.login button").click)
    assert page.find_element(By.ID, "error").text == "Wrong password."
    page.find_element(By.ID, "password").send_keys(PASSWORD)
    _navigate(page, page.find_element(By.CSS_SELECTOR, "form.login button").click)
    assert page.current_url.endswith("/alerts")
    cookie = page.get_cookie("wirewatch_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # A form without this session's CSRF token is refused, even with the cookie.
    status, _, _ = web.post(
        "/alerts",
        b"query=Merrow&target=x%40example.org&csrf=forged",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"wirewatch_session={cookie['value']}",
        },
    )
    assert status == 403
    # The API: nothing without a token, everything with one.
    assert web.get_json("/api/v1/stories")[0] == 401
    status, body = web.get_json("/api/v1/alerts", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and "alerts" in body
    # Guessing is throttled: after 5 failures the address waits.
    statuses = []
    for _ in range(6):
        status, headers, html = web.get("/login")
        csrf = re.search(rb'name="csrf" value="([^"]+)"', html).group(1).decode()
        session = headers["set-cookie"].split(";")[0]
        body = urllib.parse.urlencode({"password": "guess", "csrf": csrf, "next": "/"}).encode()
        statuses.append(
            web.post(
                "/login",
                body,
                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": session},
            )[0]
        )
    assert statuses[-1] == 429 and 401 in statuses
