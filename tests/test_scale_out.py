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

from demo.generated import GeneratedNewsroom
from wirewatch.crawler.demo.server import FixtureServer
from wirewatch.crawler.extensions.crawl_runs import judged_by_errors, run_status
from wirewatch.crawler.redis_scale import claim_round

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


def test_a_worker_of_a_shared_round_that_read_no_listing_of_its_own_is_judged_by_its_errors() -> (
    None
):
    # Outside a shared round, a run that read no listing failed.
    assert not judged_by_errors(None, 0, 0)
    assert run_status(0, 0, "finished") == "failed"
    # A joiner, and a seeder whose listings the other worker took from the queue first.
    assert judged_by_errors(False, 0, 0) and judged_by_errors(False, 0, 2)
    assert judged_by_errors(True, 0, 0)
    # A seeder whose own listings failed did fail.
    assert not judged_by_errors(True, 0, 1)
    assert not judged_by_errors(True, 3, 0)  # it read them: judged as usual


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
                [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "crawl"],
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


def test_redis_down_fails_each_source_with_one_line_and_a_recorded_run(
    tmp_path: Path, db_url: str
) -> None:
    """Nothing listens on port 1: no traceback, each run 'failed' with its reason, exit 1."""
    config = tmp_path / "down.toml"
    config.write_text(
        "".join(
            f'[[source]]\nname = "{name}"\nkind = "feed"\nurl = "http://127.0.0.1:9/{name}.xml"\n'
            for name in ("first", "second")
        )
        + '[scale]\nredis_url = "redis://:r3disPW@127.0.0.1:1/0"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "crawl"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr
    assert "r3disPW" not in result.stdout + result.stderr
    for name in ("first", "second"):
        marker = f"ERROR wirewatch.crawler.redis_scale: source {name}: "
        lines = [line for line in result.stderr.splitlines() if marker in line]
        assert len(lines) == 1 and "cannot use the shared frontier in Redis" in lines[0], lines
    with psycopg.connect(db_url) as conn:
        runs = conn.execute(
            "SELECT source, status, finish_reason, errors FROM wirewatch.crawl_runs ORDER BY source"
        ).fetchall()
        assert runs == [
            ("first", "failed", "redis_unavailable", 1),
            ("second", "failed", "redis_unavailable", 1),
        ]
        errors = conn.execute(
            "SELECT source, kind, url, message FROM wirewatch.crawl_errors ORDER BY source"
        ).fetchall()
    assert [(source, kind) for source, kind, _, _ in errors] == [
        ("first", "redis_unavailable"),
        ("second", "redis_unavailable"),
    ]
    assert all(url == "redis://***@127.0.0.1:1/0" for _, _, url, _ in errors)
    assert "r3disPW" not in repr(errors)
