"""Boilerplate knowledge in PostgreSQL: saved once per page, loaded per domain, forgotten."""

from __future__ import annotations

import psycopg

from wirewatch.pipelines.boilerplate import PendingPages, forget_stale, load_knowledge, save_pending
from wirewatch.pipelines.extract.sitelearn import MIN_PAGES, block_key

PROMO = "Get the Harbour Gazette app for breaking alerts."
ONE_OFF = "The ferry line will link the two islands again from the spring."


def pending(domain: str, urls: list[str], blocks: list[str]) -> PendingPages:
    batch = PendingPages(domain)
    for url in urls:
        batch.add(url, blocks)
    return batch


def test_counts_add_up_across_saves_and_each_page_counts_once(conn: psycopg.Connection) -> None:
    assert save_pending(conn, pending("gazette.example", ["u1", "u2"], [PROMO])) == 2
    assert save_pending(conn, pending("gazette.example", ["u2", "u3"], [PROMO])) == 1
    site = load_knowledge(conn, "gazette.example")
    assert site.block_pages == {block_key(PROMO): MIN_PAGES}
    assert block_key(PROMO) in site.boilerplate()


def test_loading_skips_blocks_seen_once_and_other_domains(conn: psycopg.Connection) -> None:
    save_pending(conn, pending("gazette.example", ["u1"], [ONE_OFF]))
    save_pending(conn, pending("other.example", ["u1", "u2", "u3"], [PROMO]))
    assert load_knowledge(conn, "gazette.example").block_pages == {}


def test_a_page_queued_twice_is_one_page() -> None:
    batch = PendingPages("gazette.example")
    assert batch.add("u1", [PROMO, PROMO])
    assert not batch.add("u1", [PROMO])
    assert len(batch) == 1


def test_stale_one_off_blocks_are_forgotten_and_boilerplate_is_kept(
    conn: psycopg.Connection,
) -> None:
    save_pending(conn, pending("gazette.example", ["u1", "u2", "u3"], [PROMO]))
    save_pending(conn, pending("gazette.example", ["u4"], [ONE_OFF]))
    conn.execute("UPDATE boilerplate_blocks SET last_seen = now() - interval '200 days'")
    conn.execute("UPDATE boilerplate_pages SET learned_at = now() - interval '400 days'")
    forget_stale(conn)
    keys = {r["block_key"] for r in conn.execute("SELECT block_key FROM boilerplate_blocks")}
    assert keys == {block_key(PROMO)}
    assert conn.execute("SELECT count(*) AS n FROM boilerplate_pages").fetchone()["n"] == 0
