"""Site boilerplate learning: blocks a site repeats on many pages go; one-page paragraphs never."""

from __future__ import annotations

import pickle

from tests.support.gazette import PROMO, article
from tests.support.gazette import STORIES as GAZETTE_STORIES
from wirewatch.pipelines.extract import extract_batch
from wirewatch.pipelines.extract.sitelearn import (
    MIN_PAGES,
    SiteKnowledge,
    block_key,
    remove_boilerplate,
    site_domain,
)

STORIES = GAZETTE_STORIES


def test_block_key_ignores_case_digits_and_spacing_but_not_words() -> None:
    assert block_key("Updated 12 May 2025 10:42") == block_key("updated  3 May 2024 9:05")
    assert block_key("Share this story") != block_key("Share this page")
    assert block_key("word " * 200) is None  # long blocks are prose, never learned


def test_site_domain_folds_www() -> None:
    assert site_domain("https://www.Gazette.example/a") == "gazette.example"
    assert site_domain(None) is None


def test_a_block_becomes_boilerplate_only_after_min_pages_distinct_pages() -> None:
    site = SiteKnowledge("gazette.example")
    for _ in range(MIN_PAGES - 1):
        site.observe([PROMO])
    assert block_key(PROMO) not in site.boilerplate()
    site.observe([PROMO, PROMO])  # twice on one page counts once
    assert site.block_pages[block_key(PROMO)] == MIN_PAGES
    assert block_key(PROMO) in site.boilerplate()


def test_workers_get_the_verdicts_made_again_only_when_a_block_becomes_boilerplate() -> None:
    site = SiteKnowledge("gazette.example")
    site.observe(["Subscribe to our newsletter today"])
    for _ in range(MIN_PAGES):
        site.observe([PROMO])
    sent = site.verdicts()
    assert sent.boilerplate() == {block_key(PROMO)}
    assert sent.block_pages == {block_key(PROMO): MIN_PAGES}  # not the other counts
    site.observe([PROMO, "Subscribe to our newsletter today"])
    assert site.verdicts() is sent  # no new verdict: the same snapshot
    for _ in range(MIN_PAGES):
        site.observe(["Follow us on social media"])
    assert site.verdicts() is not sent
    assert site.verdicts().boilerplate() == {
        block_key(PROMO),
        block_key("Follow us on social media"),
    }
    arrived = pickle.loads(pickle.dumps(site.verdicts()))
    assert arrived == site.verdicts() and arrived.boilerplate() == site.boilerplate()
    assert len(pickle.dumps(site.verdicts())) < len(pickle.dumps(site))


def test_removal_never_guts_a_page() -> None:
    blocks = ["Short story.", PROMO]
    kept, removed = remove_boilerplate(blocks, {block_key(PROMO)})
    assert (kept, removed) == (blocks, [])  # the promo is most of this page: keep everything


def test_batch_learns_a_site_promo_and_removes_it_from_every_page() -> None:
    pages = [(article(s), f"https://gazette.example/news/{i}") for i, s in enumerate(STORIES)]
    results = extract_batch(pages)
    for result, story in zip(results, STORIES, strict=True):
        assert result.reason is None
        assert PROMO not in result.text
        assert result.text.startswith(story)
        assert ("site_boilerplate", PROMO) in result.dropped


def test_batch_keeps_a_block_seen_on_fewer_pages_than_the_threshold() -> None:
    pages = [(article(s), f"https://gazette.example/news/{i}") for i, s in enumerate(STORIES[:2])]
    pages += [
        (article(s, promo=False), f"https://gazette.example/x/{i}")
        for i, s in enumerate(STORIES[2:])
    ]
    assert all(PROMO in r.text for r in extract_batch(pages)[:2])


def test_the_same_url_twice_counts_as_one_page() -> None:
    pages = [(article(STORIES[0]), "https://gazette.example/news/same")] * 4
    assert all(PROMO in r.text for r in extract_batch(pages))


def test_sites_learn_separately() -> None:
    pages = [(article(s), f"https://gazette.example/news/{i}") for i, s in enumerate(STORIES)]
    pages.append((article(STORIES[0]), "https://other.example/news/1"))
    assert PROMO in extract_batch(pages)[-1].text


def test_knowledge_from_earlier_crawls_cleans_a_page_fetched_alone() -> None:
    site = SiteKnowledge("gazette.example")
    for _ in range(MIN_PAGES):
        site.observe([PROMO])
    result = extract_batch(
        [(article(STORIES[0]), "https://www.gazette.example/news/new")],
        {"gazette.example": site},
    )[0]
    assert PROMO not in result.text
