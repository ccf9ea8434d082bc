"""The app in-process (httpx through Starlette's TestClient): access rules and headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.feed_rows import add_article, add_source, new_story
from wirewatch.crawler.web.app import create_app
from wirewatch.crawler.web.context import WebContext
from wirewatch.crawler.web.settings import WebSettings
from wirewatch.pipelines import db

KEY = b"k" * 32


@pytest.fixture
def app_for(db_url: str) -> Iterator[Any]:
    pools = []

    def make(settings: WebSettings, password: str | None = None, tokens: tuple = ()) -> TestClient:
        pool = db.open_pool(db_url, max_size=2)
        pools.append(pool)
        ctx = WebContext(settings, None, pool, KEY, password, tokens)
        return TestClient(create_app(ctx), base_url="http://127.0.0.1:8080")

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def story(db_url: str) -> int:
    with db.connect(db_url) as conn:
        add_source(conn)
        story_id = new_story(conn, add_article(conn, title="Harbour <b>vote</b>"))
        conn.commit()
    return story_id


def test_open_on_loopback_but_only_by_loopback_names(app_for: Any, story: int) -> None:
    client = app_for(WebSettings())
    page = client.get("/stories")
    assert page.status_code == 200
    assert "Harbour &lt;b&gt;vote&lt;/b&gt;" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["server-timing"].startswith("app;dur=")
    assert "wirewatch_session" in page.cookies
    # A name that resolves to 127.0.0.1 only because an attacker's DNS says so.
    assert client.get("/stories", headers={"Host": "evil.example:8080"}).status_code == 421
    assert client.get("/stories", headers={"Host": "localhost:8080"}).status_code == 200
    assert client.get(f"/stories/{story}").status_code == 200
    assert client.get("/stories/999999").status_code == 404
    assert client.get("/stories?cursor=nope").status_code == 400


def test_forms_need_the_csrf_token(app_for: Any) -> None:
    client = app_for(WebSettings())
    page = client.get("/alerts")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    form = {"query": "Mansur", "channel": "email", "target": "a@example.org", "action": "add"}
    assert client.post("/alerts", data=form).status_code == 403
    assert client.post("/alerts", data={**form, "csrf": "x" + csrf}).status_code == 403
    added = client.post("/alerts", data={**form, "csrf": csrf}, follow_redirects=False)
    assert added.status_code == 303 and "added+subscription" in added.headers["location"]
    # Another browser (another session) cannot reuse this page's token.
    other = app_for(WebSettings())
    other.get("/alerts")
    assert other.post("/alerts/1/disable", data={"csrf": csrf}).status_code == 403


def test_password_public_read_and_tokens(app_for: Any, story: int) -> None:
    locked = app_for(WebSettings(password_env="PW"), password="pw", tokens=("tok",))
    assert locked.get("/stories", follow_redirects=False).headers["location"].startswith("/login")
    assert locked.get("/api/v1/stories").status_code == 401
    assert locked.get("/api/v1/stories", headers={"Authorization": "Bearer tok"}).status_code == 200
    assert locked.get("/api/v1/stories", headers={"Authorization": "Bearer bad"}).status_code == 401
    assert locked.get("/stories", headers={"Host": "evil.example"}).status_code != 421  # login
    public = app_for(WebSettings(password_env="PW", public_read=True), password="pw")
    assert public.get("/stories").status_code == 200
    assert public.get(f"/api/v1/stories/{story}").json().get("alerts") is None
    assert public.get("/alerts", follow_redirects=False).status_code == 303  # to the login
    assert public.get("/api/v1/alerts").status_code == 401
    # Log in; a crafted "next" never leads off the site.
    login = public.get("/login?next=//evil.example/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    assert 'name="next" value="/stories"' in login.text
    done = public.post("/login", data={"password": "pw", "csrf": csrf, "next": "https://evil.example"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/stories"
    assert public.get("/alerts").status_code == 200
    assert public.get(f"/api/v1/stories/{story}").json()["alerts"] == []


def test_api_writes_want_json(app_for: Any) -> None:
    client = app_for(WebSettings())
    body = {"query": 'Wagner "private', "target": "a@example.org"}
    assert client.post("/api/v1/alerts", data=body).status_code == 415
    bad = client.post("/api/v1/alerts", json=body)
    assert bad.status_code == 400 and "position 8" in bad.json()["error"]
    good = client.post("/api/v1/alerts", json={"query": "Wagner", "target": "a@example.org"})
    assert good.status_code == 201
    alert_id = good.json()["alert"]["id"]
    assert (
        client.post(f"/api/v1/alerts/{alert_id}/disable", json={}).json()["alert"]["active"]
        is False
    )
    assert client.post(f"/api/v1/alerts/{alert_id}/disable").status_code == 415
    assert (
        client.delete(
            f"/api/v1/alerts/{alert_id}", headers={"Content-Type": "application/json"}
        ).status_code
        == 200
    )
    assert client.post("/api/v1/alerts/999/enable", json={}).status_code == 404


def test_search_and_filters_page_by_cursor(app_for: Any, db_url: str) -> None:
    with db.connect(db_url) as conn:
        add_source(conn)
        for i in range(5):
            new_story(conn, add_article(conn, title=f"Harbour {i}", text=f"Harbour strike day {i}",
                                        outlet="a.example" if i % 2 else "b.example"))  # fmt: skip
        new_story(conn, add_article(conn, title="Other", text="Nothing to see"))
        conn.commit()
    client = app_for(WebSettings())

    def all_pages(query: str) -> list[str]:
        titles, cursor = [], ""
        while True:
            body = client.get(f"/api/v1/stories?{query}&limit=2&cursor={cursor}").json()
            titles += [s["title"] for s in body["stories"]]
            if body["next_cursor"] is None:
                return titles
            cursor = body["next_cursor"]

    assert all_pages("q=strike") == [f"Harbour {i}" for i in range(4, -1, -1)]
    assert all_pages("q=strike&outlet=a.example") == ["Harbour 3", "Harbour 1"]
    assert all_pages("outlet=b.example") == ["Harbour 4", "Harbour 2", "Harbour 0"]
    page = client.get("/stories?q=strike")
    assert page.text.count('class="story"') == 5
