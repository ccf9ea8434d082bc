"""Walls are recognised by kind; real articles are articles whatever scripts they reference.

Traces of challenge, consent and paywall services are only evidence: the
verdict comes from the article text the page carries (``pipelines.walls``).
The hostile-looking pages of tests/support/walls.py are ordinary articles
dressed the way real outlets serve them (bot-management scripts injected into
every page, huge inline scripts before the text, metered paywalls that serve
the whole text).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.walls import (
    ACCESS_DENIED,
    ARTICLE,
    ARTICLE_ABOUT_CAPTCHAS,
    ARTICLE_WITH_BANNER,
    ARTICLE_WITH_CLOUDFLARE_SCRIPT,
    ARTICLE_WITH_INCAPSULA_BEACON,
    CAPTCHA,
    CLOUDFLARE_STYLE,
    CONSENT,
    FULL_TEXT_MARKED_NOT_FREE,
    HUGE_SCRIPTS_FIRST,
    LONG_TEASER,
    METERED_FULL_TEXT,
    NOT_FREE_TEASER,
    PAYWALL_TEASER,
    URL,
    page,
)
from wirewatch.crawler import settings as project_settings
from wirewatch.pipelines.extract import extract_article
from wirewatch.pipelines.extraction import ExtractionPipeline
from wirewatch.pipelines.items import ArticleItem
from wirewatch.pipelines.outcomes import BLOCKED, CONSENT_WALL, NOT_ARTICLE, PAYWALL, PageRejected
from wirewatch.pipelines.page_gate import refuse_walls
from wirewatch.pipelines.walls import ARTICLE_WORDS, Evidence, gate, judge


def outcome(body: bytes) -> tuple[str | None, str]:
    result = extract_article(body, URL)
    return result.reason, result.detail or ""


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (CLOUDFLARE_STYLE, BLOCKED),
        (ACCESS_DENIED, BLOCKED),
        (CAPTCHA, BLOCKED),
        (CONSENT, CONSENT_WALL),
        (PAYWALL_TEASER, PAYWALL),
        (NOT_FREE_TEASER, PAYWALL),
        (LONG_TEASER, PAYWALL),
    ],
    ids=["challenge", "access-denied", "captcha", "consent", "paywall", "not-free", "long-teaser"],
)
def test_walls_are_named_by_kind_with_their_evidence(body: bytes, kind: str) -> None:
    reason, detail = outcome(body)
    assert reason == kind, detail
    assert "article text" in detail or "characters of text" in detail


@pytest.mark.parametrize(
    "body",
    [
        ARTICLE,
        ARTICLE_WITH_BANNER,
        ARTICLE_ABOUT_CAPTCHAS,
        ARTICLE_WITH_CLOUDFLARE_SCRIPT,
        ARTICLE_WITH_INCAPSULA_BEACON,
    ],
    ids=["article", "cookie-banner", "about-captchas", "cloudflare-script", "incapsula-beacon"],
)
def test_articles_are_not_walls_whatever_scripts_they_reference(body: bytes) -> None:
    result = extract_article(body, URL)
    assert result.reason is None, result.detail
    assert "Paragraph 11 of the harbour council report" in result.text
    assert result.paywalled is False


@pytest.mark.parametrize(
    "body",
    [FULL_TEXT_MARKED_NOT_FREE, HUGE_SCRIPTS_FIRST, METERED_FULL_TEXT],
    ids=["not-free-full-text", "300kB-of-scripts-first", "metered"],
)
def test_paywalled_articles_with_their_text_are_kept_and_flagged(body: bytes) -> None:
    result = extract_article(body, URL)
    assert result.reason is None, result.detail
    assert "Paragraph 11 of the harbour council report" in result.text
    assert result.paywalled is True


def test_the_huge_page_is_judged_as_a_whole_not_by_its_head() -> None:
    assert len(HUGE_SCRIPTS_FIRST) > 600_000
    assert HUGE_SCRIPTS_FIRST.index(b"<article>") > 300_000


def test_an_empty_page_is_not_an_article_and_not_a_wall() -> None:
    assert outcome(b"")[0] == NOT_ARTICLE


def test_a_short_page_without_evidence_is_not_an_article() -> None:
    assert outcome(page("<p>Short note.</p>"))[0] == NOT_ARTICLE


@pytest.mark.parametrize("status", [401, 403, 451])
def test_forbidden_statuses_are_blocked_whatever_the_body(status: int) -> None:
    wall = gate(status)
    assert wall is not None and wall.kind == BLOCKED and str(status) in wall.reason


def test_redirect_to_a_consent_host_is_a_consent_wall() -> None:
    wall = gate(200, "https://consent.example.org/?continue=x")
    assert wall is not None and wall.kind == CONSENT_WALL
    assert gate(200, "https://news.example.org/consent-and-privacy-law") is None


def test_judge_needs_a_body_to_overrule_evidence() -> None:
    challenge = Evidence(challenge="bot challenge script (/cdn-cgi/challenge-platform/)")
    short = " ".join(["word"] * (ARTICLE_WORDS - 1))
    full = " ".join(["word"] * ARTICLE_WORDS)
    assert judge(challenge, short) is not None
    assert judge(challenge, full) is None
    teaser = Evidence(paywall_prompt="subscribe to continue reading")
    assert judge(teaser, full) is not None  # a prompt beside a short text: a teaser
    assert judge(teaser, full * 5) is None


def test_gate_rejects_refusals_before_extraction_and_passes_everything_else() -> None:
    refused = ArticleItem(url="http://127.0.0.1/a", status=403, body=ARTICLE)
    with pytest.raises(PageRejected) as rejected:
        refuse_walls(refused)
    assert rejected.value.kind == BLOCKED
    challenge = ArticleItem(url="http://127.0.0.1/b", status=200, body=CLOUDFLARE_STYLE)
    refuse_walls(challenge)  # passes: a challenge is judged after extraction


def test_the_crawl_gates_pages_in_its_extraction_stage_before_any_worker_runs() -> None:
    """No item-pipeline stage of its own for one status check (issue 21): extraction
    refuses a 403 or a consent redirect first, without starting a worker."""
    assert not any("page_gate" in name for name in project_settings.ITEM_PIPELINES)
    extraction = ExtractionPipeline(learn=False)
    for item, kind in [
        (ArticleItem(url="http://127.0.0.1/a", status=403, body=ARTICLE), BLOCKED),
        (
            ArticleItem(
                url="http://127.0.0.1/c", final_url="https://consent.example.org/?x", body=ARTICLE
            ),
            CONSENT_WALL,
        ),
    ]:
        with pytest.raises(PageRejected) as rejected:
            asyncio.run(extraction.process_item(item))
        assert rejected.value.kind == kind
    assert extraction.pool is None  # no worker was started for them
