"""Two crawler processes share one frontier in Redis and one PostgreSQL.

Needs the Redis server on 127.0.0.1:6379 (skipped when it is not there).
Each test uses keys of its own and deletes them afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from crawler.demo.generated import GeneratedNewsroom
from crawler.demo.server import FixtureServer
from crawler.redis_scale import claim_round

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"wwtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_one_worker_seeds_a_round_the_others_join_it(redis_prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    first = claim_round(client, f"{redis_prefix}:src")
    second = claim_round(client, f"{redis_prefix}:src")
    assert first.seeder and not second.seeder
    assert first.id == second.id and first.scope == second.scope
    client.delete(f"{redis_prefix}:src:round")
    assert claim_round(client, f"{redis_prefix}:src").id != first.id


def worker_config(
    tmp_path: Path, room: GeneratedNewsroom, base: str, prefix: str, name: str
) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        room.sources_toml(base)
        + f"""
[crawl]
user_agent = "wirewatch-{name}"

[scale]
redis_url = "{REDIS_URL}"
key_prefix = "{prefix}"
idle_timeout = "3s"
"""
    )
    return path


@pytest.mark.slow
def test_two_workers_store_every_article_once_and_fetch_no_url_twice(
    redis_prefix: str, tmp_path: Path, db_url: str
) -> None:
    room = GeneratedNewsroom(120, n_outlets=2, wire_share=0.5, seed=7)
    with FixtureServer(room) as server:
        configs = [
            worker_config(tmp_path, room, server.base_url, redis_prefix, name)
            for name in ("a", "b")
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "--config", str(config), "crawl"],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
            )
            for config in configs
        ]
        outputs = [worker.communicate(timeout=180)[0] for worker in workers]
        # Shown in full on failure (an assertion message would be truncated).
        print(*outputs, sep="\n---- next worker ----\n")
        assert [worker.returncode for worker in workers] == [0, 0]
        assert all("Traceback" not in output for output in outputs), outputs

        requests = [r for r in server.log if r.target != "/robots.txt"]
        per_target = Counter(r.target for r in requests)
        assert max(per_target.values()) == 1, per_target.most_common(3)
        articles = {r.target for r in requests} & set(room.truth())
        assert articles == set(room.truth())
        # Both workers took pages from the shared queue.
        by_worker = Counter(r.user_agent for r in requests if r.target in articles)
        assert set(by_worker) == {"wirewatch-a", "wirewatch-b"}, by_worker

    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT a.url, c.story_id FROM wirewatch.articles a"
            " JOIN wirewatch.story_copies c ON c.article_id = a.id"
        ).fetchall()
    stored = {url.removeprefix(server.base_url): story for url, story in rows}
    assert set(stored) == set(room.truth())
    # One story per wire text: the grouping found equals the generator's truth.
    expected: dict[str, set[str]] = defaultdict(set)
    found: dict[int, set[str]] = defaultdict(set)
    for path, story in room.truth().items():
        expected[story].add(path)
    for path, story_id in stored.items():
        found[story_id].add(path)
    assert sorted(map(sorted, found.values())) == sorted(map(sorted, expected.values()))
