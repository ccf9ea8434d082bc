"""Clustering a JSONL file of documents into stories, without a database.

The engine of ``wirewatch dedupe FILE`` (and of ``benchmarks/dedupe.py``):
documents are fingerprinted in chunks on worker processes, their shingles
spooled to a temporary file, candidate pairs found from the flat key table
and compared in chunks, then clustered (``pipelines.clustering``).  Memory
stays at a few chunks plus the key table whatever the input's size.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import multiprocessing.pool
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import numpy as np

from wirewatch.pipelines.clustering import (
    Candidates,
    KeyTable,
    candidate_pairs,
    choose_clusters,
    cluster_labels,
    flat_keys,
    pair_similarities,
    ranks_of,
)
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.fingerprint import Shingled, Sketch
from wirewatch.pipelines.progress import Bar, stream_size

log = logging.getLogger(__name__)

CHUNK_DOCS = 500
CHUNK_PAIRS = 2000
# Smaller input files are clustered in-process: workers would cost more than they save.
SERIAL_BELOW_BYTES = 2_000_000


class InputError(UsageError):
    """A line of the input is not a valid document."""


def parse_document(line: bytes, where: str) -> tuple[str, str]:
    """(id, text) of one JSONL line, or InputError naming file and line."""
    try:
        doc = json.loads(line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{where}: not a JSON object: {exc}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(doc).__name__}")
    doc_id, text = doc.get("id"), doc.get("text")
    if not isinstance(doc_id, str):
        raise InputError(f'{where}: "id" must be a string, got {json.dumps(doc_id)[:40]}')
    if not isinstance(text, str):
        problem = "is missing" if "text" not in doc else "must be a string"
        raise InputError(f'{where}: "text" {problem}')
    return doc_id, text


@dataclass
class _FingerprintedChunk:
    ids: list[str]
    key_counts: np.ndarray
    keys: np.ndarray
    words: np.ndarray
    exact: np.ndarray
    order: np.ndarray  # content keys (Shingled.order_key)
    lengths: np.ndarray  # distinct shingles per document
    quoted: np.ndarray  # of which inside quotation marks (stored last)
    shingles: bytes  # uint32 shingles of all documents (Sketch.own, .quoted), concatenated


def _fingerprint_chunk(job: tuple[str, list[tuple[int, bytes]]]) -> _FingerprintedChunk:
    name, lines = job
    ids, fingerprints, order, quoted, exact = [], [], [], [], []
    shingles: list[np.ndarray] = []
    for lineno, line in lines:
        doc_id, text = parse_document(line, f"{name}:{lineno}")
        prepared = Shingled(text)
        ids.append(doc_id)
        fingerprints.append(prepared.fingerprint())
        shingles.extend((prepared.own, prepared.quoted))
        quoted.append(len(prepared.quoted))
        order.append(prepared.order_key)
        exact.append(prepared.exact)
    key_counts, keys = flat_keys(fingerprints)
    return _FingerprintedChunk(
        ids=ids,
        key_counts=key_counts,
        keys=keys,
        words=np.array([f.words for f in fingerprints], dtype=np.int32),
        exact=np.array(exact, dtype=np.int64),
        order=np.array(order, dtype=np.int64),
        lengths=np.array([len(s) for s in shingles], dtype=np.int64).reshape(-1, 2).sum(axis=1),
        quoted=np.array(quoted, dtype=np.int64),
        shingles=np.concatenate([np.empty(0, np.uint32), *shingles]).tobytes(),
    )


@dataclass(frozen=True)
class _SketchIndex:
    """Where each document's shingles are in the spool file, and its size and exact key."""

    path: str
    offsets: np.ndarray
    lengths: np.ndarray
    quoted: np.ndarray
    words: np.ndarray
    exact: np.ndarray


_spool_fds: dict[str, int] = {}


def _read_sketch(
    path: str, offset: int, length: int, quoted: int, words: int, exact: int
) -> Sketch:
    fd = _spool_fds.get(path)
    if fd is None:
        fd = _spool_fds[path] = os.open(path, os.O_RDONLY)
    shingles = np.frombuffer(os.pread(fd, length * 4, offset * 4), dtype=np.uint32)
    own = length - quoted
    return Sketch(words, exact, shingles[:own], shingles[own:])


def _close_spools() -> None:
    for fd in _spool_fds.values():
        os.close(fd)
    _spool_fds.clear()


_Where = dict[int, tuple[int, int, int, int, int]]


def _similarity_chunk(job: tuple[str, Candidates, _Where]) -> np.ndarray:
    path, candidates, where = job

    @lru_cache(maxsize=512)
    def sketch(doc: int) -> Sketch:
        return _read_sketch(path, *where[doc])

    return pair_similarities(candidates, sketch)


def _read_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of each non-blank line."""
    for lineno, line in enumerate(stream, start=1):
        if line.strip():
            yield lineno, line


def _chunks(
    lines: Iterator[tuple[int, bytes]], name: str
) -> Iterator[tuple[str, list[tuple[int, bytes]]]]:
    chunk: list[tuple[int, bytes]] = []
    for numbered in lines:
        chunk.append(numbered)
        if len(chunk) == CHUNK_DOCS:
            yield name, chunk
            chunk = []
    if chunk:
        yield name, chunk


def _pair_chunks(
    index: _SketchIndex, candidates: Candidates
) -> Iterator[tuple[str, Candidates, _Where]]:
    for start in range(0, len(candidates), CHUNK_PAIRS):
        part = Candidates(
            candidates.later[start : start + CHUNK_PAIRS],
            candidates.earlier[start : start + CHUNK_PAIRS],
            candidates.shared[start : start + CHUNK_PAIRS],
        )
        docs = np.union1d(part.later, part.earlier)
        where = zip(
            docs.tolist(),
            zip(
                index.offsets[docs].tolist(),
                index.lengths[docs].tolist(),
                index.quoted[docs].tolist(),
                index.words[docs].tolist(),
                index.exact[docs].tolist(),
                strict=True,
            ),
            strict=True,
        )
        yield index.path, part, dict(where)


class _Serial:
    """Jobs run one after the other in this process (small inputs, ``--jobs 1``)."""

    def imap(self, func: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        return map(func, jobs)


class _Workers:
    """Jobs on worker processes, results in order, at most ``window`` in flight.

    ``Pool.imap`` would read the whole input ahead into its queue; the window
    keeps memory to a few chunks whatever the input size.
    """

    def __init__(self, pool: multiprocessing.pool.Pool, window: int):
        self.pool, self.window = pool, window

    def imap(self, func: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        pending: deque[multiprocessing.pool.AsyncResult[Any]] = deque()
        for job in jobs:
            pending.append(self.pool.apply_async(func, (job,)))
            if len(pending) >= self.window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def cluster_stream(stream: IO[bytes], name: str, jobs: int) -> tuple[list[str], list[str]]:
    """Cluster the documents of a JSONL stream: (ids, cluster labels), in input order."""
    with ExitStack() as stack:
        spool_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="wirewatch-dedupe-"))
        path = str(Path(spool_dir) / "shingles.u32")
        pool: Any = _Serial()
        if jobs > 1:
            processes = stack.enter_context(multiprocessing.get_context("fork").Pool(jobs))
            pool = _Workers(processes, window=2 * jobs)
        started = time.perf_counter()
        ids: list[str] = []
        table = KeyTable()
        offsets, lengths, quoted, words, exact, order = [], [], [], [], [], []
        written = 0
        size = stream_size(stream)
        reading = stack.enter_context(Bar("dedupe: reading", total=size, unit="B", unit_scale=True))
        with open(path, "wb") as spool:
            lines = reading.track(_read_lines(stream), weight=lambda line: len(line[1]))
            for chunk in pool.imap(_fingerprint_chunk, _chunks(lines, name)):
                table.add_flat(len(ids), chunk.key_counts, chunk.keys)
                ids.extend(chunk.ids)
                reading.postfix(documents=len(ids))
                spool.write(chunk.shingles)
                offsets.append(written + np.cumsum(chunk.lengths) - chunk.lengths)
                written += int(chunk.lengths.sum())
                lengths.append(chunk.lengths)
                quoted.append(chunk.quoted)
                words.append(chunk.words)
                exact.append(chunk.exact)
                order.append(chunk.order)
        reading.close()
        index = _SketchIndex(
            path,
            *(
                np.concatenate([np.empty(0, dtype), *parts])
                for dtype, parts in [
                    (np.int64, offsets),
                    (np.int64, lengths),
                    (np.int64, quoted),
                    (np.int32, words),
                    (np.int64, exact),
                ]
            ),
        )
        fingerprinted = time.perf_counter()
        ranks = ranks_of(np.concatenate([np.empty(0, np.int64), *order]))
        candidates = candidate_pairs(table, ranks)
        del table, ranks
        comparing = stack.enter_context(
            Bar("dedupe: comparing", total=len(candidates), unit=" pairs", unit_scale=True)
        )
        parts = comparing.track(
            pool.imap(_similarity_chunk, _pair_chunks(index, candidates)), weight=len
        )
        sims = np.concatenate([np.empty(0), *parts])
        comparing.close()
        _close_spools()
        roots = choose_clusters(len(ids), candidates, sims)
        log.info(
            "dedupe: %d documents, %d clusters, %d candidate pairs; %.1fs fingerprints, %.1fs all",
            len(ids),
            len(np.unique(roots)),
            len(candidates),
            fingerprinted - started,
            time.perf_counter() - started,
        )
    duplicates = len(ids) - len(set(ids))
    if duplicates:
        log.warning(
            "dedupe: %d duplicate ids in %s; each line is clustered on its own text",
            duplicates,
            name,
        )
    return ids, cluster_labels(ids, roots)
