"""Batch mode: ``wirewatch dedupe FILE`` and the in-memory clustering behind it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.dedupe_texts import (
    article,
    escaped,
    first_words,
    half_quote_copy,
    long_quote,
    reordered,
    rewritten_top,
    trimmed,
    under_furniture,
    with_quote,
)
from wirewatch.crawler.cli import main
from wirewatch.pipelines.clustering import (
    CANDIDATES,
    KeyTable,
    candidate_pairs,
    cluster,
    cluster_labels,
)
from wirewatch.pipelines.fingerprint import fingerprint

REPO = Path(__file__).resolve().parents[1]


def test_copies_cluster_together_and_different_articles_apart() -> None:
    full = article(1, paragraphs=12)
    texts = [
        trimmed(full, 1 / 3),
        with_quote(article(2)),
        full,
        with_quote(article(3)),
        full + "\n\nWith reporting by the Gazette.",
        "",
        "",
    ]
    roots = cluster(texts).tolist()
    assert roots == [0, 1, 0, 3, 0, 5, 6]


def test_many_identical_copies_keep_candidate_work_bounded() -> None:
    text = article(4)
    table = KeyTable()
    table.add(0, [fingerprint(text)] * 300)
    pairs = candidate_pairs(table)
    per_doc = np.bincount(pairs.later, minlength=300)
    assert per_doc.max() <= CANDIDATES
    assert (pairs.earlier < pairs.later).all()
    assert set(cluster([text] * 300).tolist()) == {0}


def test_the_key_table_gives_back_every_key_with_its_document(monkeypatch) -> None:
    """Documents are not stored per key but rebuilt from counts, across merged blocks."""
    monkeypatch.setattr(KeyTable, "BLOCK_KEYS", 120)
    rng = np.random.default_rng(3)
    table, expected = KeyTable(), set()
    for first, size in [(0, 7), (7, 1), (8, 0), (8, 12), (30, 5), (35, 40)]:  # 20-29 absent
        counts = rng.integers(0, 9, size)
        keys = rng.integers(-(2**63), 2**63 - 1, int(counts.sum()), dtype=np.int64)
        table.add_flat(first, counts, keys)
        docs = np.repeat(np.arange(first, first + size), counts)
        expected |= set(zip(docs.tolist(), keys.tolist(), strict=True))
    assert (len(table), table.documents) == (len(expected), 75)
    for parts in (1, 2, 8):
        found = []
        for part in range(parts):
            docs, keys = table.part(part, parts)
            assert ((keys & (parts - 1)) == part).all()
            found += zip(docs.tolist(), keys.tolist(), strict=True)
        assert len(found) == len(expected) and set(found) == expected


def test_cluster_labels_are_first_ids_and_never_merge_duplicate_ids() -> None:
    roots = np.array([0, 1, 0, 3, 3])
    assert cluster_labels(["a", "b", "c", "d", "e"], roots) == ["a", "b", "a", "d", "d"]
    assert cluster_labels(["x", "y", "x", "x", "z"], roots) == ["x", "y", "x", "x#4", "x#4"]


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    status = main(["dedupe", *args])
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err


def test_cli_writes_one_line_per_document_in_input_order(tmp_path, capsys) -> None:
    full = article(5, paragraphs=10)
    docs = [
        {"id": "wire-1", "text": full, "title": "Dam opens", "source": "wire"},
        {"id": "other", "text": article(6), "url": "https://b.example/x"},
        {"id": "herald-7", "text": trimmed(full, 0.4), "published": "2026-03-01T10:00:00Z"},
        {"id": "кириллица", "text": "Талибан отрицает переговоры с Россией " * 10},
    ]
    path = write_jsonl(tmp_path / "in.jsonl", docs)
    status, rows, _ = run_cli(capsys, str(path))
    assert status == 0
    assert rows == [
        {"id": "wire-1", "cluster": "wire-1"},
        {"id": "other", "cluster": "other"},
        {"id": "herald-7", "cluster": "wire-1"},
        {"id": "кириллица", "cluster": "кириллица"},
    ]


def test_cli_reads_stdin_with_worker_processes(tmp_path) -> None:
    texts = [article(n % 7 + 10) for n in range(40)]
    lines = "".join(json.dumps({"id": str(n), "text": t}) + "\n" for n, t in enumerate(texts))
    done = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", "dedupe", "-", "--jobs", "2"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=120,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in rows] == [str(n) for n in range(40)]
    assert [r["cluster"] for r in rows] == [str(n % 7) for n in range(40)]


def test_duplicate_ids_are_each_clustered_and_reported(tmp_path, capsys) -> None:
    text = article(7)
    path = write_jsonl(
        tmp_path / "dup.jsonl",
        [{"id": "a", "text": text}, {"id": "a", "text": article(8)}, {"id": "a", "text": text}],
    )
    status, rows, err = run_cli(capsys, str(path))
    assert status == 0
    assert rows == [
        {"id": "a", "cluster": "a"},
        {"id": "a", "cluster": "a#2"},
        {"id": "a", "cluster": "a"},
    ]
    assert "2 duplicate ids" in err


def test_blank_lines_are_skipped_and_empty_input_gives_empty_output(tmp_path, capsys) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text('\n{"id": "x", "text": "Short headline"}\n   \n', "utf-8")
    assert run_cli(capsys, str(path))[:2] == (0, [{"id": "x", "cluster": "x"}])
    (tmp_path / "empty.jsonl").write_text("", "utf-8")
    assert run_cli(capsys, str(tmp_path / "empty.jsonl"))[:2] == (0, [])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not a JSON object"),
        ('["a list"]', "expected a JSON object, got list"),
        ('{"id": 7, "text": "x"}', '"id" must be a string, got 7'),
        ('{"id": "b"}', '"text" is missing'),
        ('{"id": "b", "text": null}', '"text" must be a string'),
    ],
)
def test_bad_lines_are_a_clear_error_naming_the_line(tmp_path, capsys, line, message) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "fine"}\n\n' + line + "\n", "utf-8")
    status, rows, err = run_cli(capsys, str(path))
    assert status == 2
    assert rows == []  # nothing half-written
    assert f"{path}:3: {message}" in err


def test_invalid_utf8_and_missing_files_are_clear_errors(tmp_path, capsys) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "a", "text": "caf\xe9"}\n')
    status, _, err = run_cli(capsys, str(path))
    assert status == 2 and f"{path}:1: not a JSON object" in err
    status, _, err = run_cli(capsys, str(tmp_path / "missing.jsonl"))
    assert status == 2 and "cannot read" in err


def test_the_seed_pair_is_two_clusters(shared_dir, tmp_path, capsys) -> None:
    seeds = sorted((shared_dir / "seeds").glob("*.txt"))
    path = write_jsonl(
        tmp_path / "seeds.jsonl",
        [{"id": p.stem, "text": p.read_text("utf-8")} for p in seeds],
    )
    _, rows, _ = run_cli(capsys, str(path))
    assert len({r["cluster"] for r in rows}) == 2


def hard_texts() -> tuple[list[str], list[int]]:
    """(texts, true story) mixing every hard kind: excerpts of long texts with nothing
    else to bridge them, their late original, escaped and reordered copies, short copies
    half made of another story's long quotation, short excerpts under the same page
    furniture (more furniture than text), unrelated articles."""
    texts, truth = [], []
    for story in range(6):
        full = with_quote(article(200 + story, paragraphs=28))
        quote = long_quote(300 + story)
        copies = [
            first_words(full, 170),
            "BREAKING\n\n" + first_words(full, 150),
            rewritten_top(full),
            escaped(trimmed(full, 0.4)),
            reordered(trimmed(full, 0.6), seed=story),
            half_quote_copy(full, long_quote(300 + (story + 1) % 6)),
            full + f'\n\n"{quote}," the spokesman said.',
            under_furniture(full),
        ]
        texts.extend([*copies, full])
        truth.extend([story] * (len(copies) + 1))
    for n in range(10):
        texts.append(article(400 + n))
        truth.append(100 + n)
    return texts, truth


def partition(roots: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for doc, root in enumerate(roots.tolist()):
        groups.setdefault(root, set()).add(doc)
    return {frozenset(g) for g in groups.values()}


def test_every_hard_kind_lands_in_its_story() -> None:
    texts, truth = hard_texts()
    assert partition(cluster(texts)) == partition(np.array(truth))


def test_five_random_orders_give_the_same_partition() -> None:
    texts, _ = hard_texts()
    rng = random.Random(3)
    found = set()
    for _ in range(5):
        order = list(range(len(texts)))
        rng.shuffle(order)
        roots = cluster([texts[i] for i in order])
        # Back to the original numbering before comparing.
        found.add(frozenset(frozenset(order[d] for d in g) for g in partition(roots)))
    assert len(found) == 1


def test_unrelated_documents_do_not_change_the_clusters() -> None:
    texts, truth = hard_texts()
    noise = [article(1000 + n, paragraphs=3) for n in range(200)]
    mixed = partition(cluster([*noise[:100], *texts, *noise[100:]]))
    inside = {frozenset(d - 100 for d in g if 100 <= d < 100 + len(texts)) for g in mixed}
    assert inside - {frozenset()} == partition(np.array(truth))


def test_a_text_matching_two_clusters_merges_them_and_is_named_by_the_first() -> None:
    full = article(500, paragraphs=24)
    lede, top = first_words(full, 170), rewritten_top(full)
    assert cluster([lede, top]).tolist() == [0, 1]  # nothing links them but the original
    assert cluster([lede, top, full]).tolist() == [0, 0, 0]
    assert cluster([top, full, lede]).tolist() == [0, 0, 0]


def test_cli_partitions_do_not_depend_on_input_order(tmp_path, capsys) -> None:
    texts, truth = hard_texts()
    docs = [{"id": f"d{n}", "text": t} for n, t in enumerate(texts)]
    random.Random(9).shuffle(docs)
    path = write_jsonl(tmp_path / "shuffled.jsonl", docs)
    status, rows, _ = run_cli(capsys, str(path), "--jobs", "1")
    assert status == 0
    label = {r["id"]: r["cluster"] for r in rows}
    groups: dict[str, set[int]] = {}
    for n in range(len(texts)):
        groups.setdefault(label[f"d{n}"], set()).add(n)
    assert {frozenset(g) for g in groups.values()} == partition(np.array(truth))
    # A cluster is named after its first document in input order.
    first_of = {}
    for row in rows:
        first_of.setdefault(row["cluster"], row["id"])
    assert all(name == first for name, first in first_of.items())
