"""Batch clustering of syndicated copies, in memory, without a database.

The same decisions as the story index (:mod:`pipelines.stories`), made for a
whole batch at once: two documents are linked when they share a candidate
key and their containment is at least ``COPY_THRESHOLD``; clusters are the
connected components of those links (an article that is a copy of texts in
two stories makes them one, as the story index merges them).

The outcome must not depend on input order, so documents are first ranked by
:attr:`Shingled.order_key` (a key of their content) and candidates are chosen
in that order; only the cluster labels (the id of each cluster's first
document in input order) follow the input.  Candidates come from shared keys,
found by sorting the keys instead of an index, so the cost is O(n log n) and
memory linear: the keys (:class:`KeyTable`, 8 bytes each, ~190 bytes per
document) plus the distinct candidate pairs (:func:`candidate_pairs`); only
candidates are compared on their text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from wirewatch.pipelines.fingerprint import (
    COPY_THRESHOLD,
    Fingerprint,
    Shingled,
    Sketch,
    similarity,
)

# Within a run of documents sharing one key, each document is paired with the
# run's first document and its RUN_NEIGHBOURS predecessors: enough to link
# its story, and bounded however many copies share the key.
RUN_NEIGHBOURS = 2
# Candidates compared on their text per document, best ranked first.
CANDIDATES = 8


def flat_keys(fingerprints: Sequence[Fingerprint]) -> tuple[np.ndarray, np.ndarray]:
    """(keys per document, all keys in order): compact to send between processes."""
    counts = np.fromiter((len(f.band_keys) for f in fingerprints), dtype=np.int64)
    keys = np.fromiter(
        (k for f in fingerprints for k in f.band_keys), dtype=np.int64, count=int(counts.sum())
    )
    return counts, keys


def ranks_of(order_keys: np.ndarray) -> np.ndarray:
    """Each document's position when sorted by content (:attr:`Shingled.order_key`).

    Documents with equal keys are interchangeable (same fingerprint, same
    sketch), so how their tie is broken cannot change a partition.
    """
    ranks = np.empty(len(order_keys), dtype=np.int64)
    ranks[np.argsort(order_keys, kind="stable")] = np.arange(len(order_keys))
    return ranks


class KeyTable:
    """Keys of many documents, flat, 8 bytes a key.

    Document numbers are not stored per key: each block keeps its first
    document and how many keys each document has (4 bytes a document), and
    :meth:`part` rebuilds them.  Small additions (one worker chunk each) are
    merged into blocks of about ``BLOCK_KEYS`` keys, few and large enough to
    be given back to the system when the table is dropped.
    """

    BLOCK_KEYS = 1 << 20

    def __init__(self) -> None:
        self._blocks: list[tuple[int, np.ndarray, np.ndarray]] = []  # (first doc, counts, keys)
        self._pending: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._pending_keys = 0
        self._keys = 0
        self._end = 0

    def add(self, first_doc: int, fingerprints: Sequence[Fingerprint]) -> None:
        """Add the fingerprints of documents ``first_doc``, ``first_doc + 1``, ..."""
        counts, keys = flat_keys(fingerprints)
        self.add_flat(first_doc, counts, keys)

    def add_flat(self, first_doc: int, counts: np.ndarray, keys: np.ndarray) -> None:
        """Add documents from :func:`flat_keys` output."""
        if self._pending:
            last_first, last_counts, _ = self._pending[-1]
            if last_first + len(last_counts) != first_doc:
                self._merge_pending()  # blocks hold consecutive documents only
        self._pending.append(
            (first_doc, counts.astype(np.int32, copy=False), keys.astype(np.int64, copy=False))
        )
        self._pending_keys += len(keys)
        self._keys += len(keys)
        self._end = max(self._end, first_doc + len(counts))
        if self._pending_keys >= self.BLOCK_KEYS:
            self._merge_pending()

    def _merge_pending(self) -> None:
        if not self._pending:
            return
        first = self._pending[0][0]
        counts = np.concatenate([c for _, c, _ in self._pending])
        keys = np.concatenate([k for _, _, k in self._pending])
        self._pending, self._pending_keys = [], 0
        self._blocks.append((first, counts, keys))

    def __len__(self) -> int:
        return self._keys

    @property
    def documents(self) -> int:
        """One more than the highest document number added."""
        return self._end

    def part(self, part: int, parts: int) -> tuple[np.ndarray, np.ndarray]:
        """(docs, keys) of the keys whose low bits are ``part`` (of ``parts``, a power of 2).

        Equal keys always fall in the same part; taking the parts one at a
        time never copies the whole table.
        """
        self._merge_pending()
        docs, keys = [], []
        for first, counts, block in self._blocks:
            numbers = np.repeat(np.arange(first, first + len(counts), dtype=np.int32), counts)
            if parts > 1:
                chosen = (block & (parts - 1)) == part
                numbers, block = numbers[chosen], block[chosen]
            docs.append(numbers)
            keys.append(block)
        return (
            np.concatenate([np.empty(0, np.int32), *docs]),
            np.concatenate([np.empty(0, np.int64), *keys]),
        )


@dataclass(frozen=True)
class Candidates:
    """Pairs (later, earlier) of documents sharing ``shared`` keys (input numbering)."""

    later: np.ndarray
    earlier: np.ndarray
    shared: np.ndarray

    def __len__(self) -> int:
        return len(self.later)


def _run_pairs(
    docs: np.ndarray, keys: np.ndarray, neighbours: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(later, earlier, weight) for documents sharing a key, ``docs`` being ranks."""
    order = np.lexsort((docs, keys))  # by key, then rank
    skeys = keys[order]
    sdocs = docs[order]
    del order
    starts = np.ones(len(skeys), dtype=bool)
    starts[1:] = skeys[1:] != skeys[:-1]
    del skeys
    positions = np.arange(len(sdocs), dtype=np.int64)
    run_start = np.maximum.accumulate(np.where(starts, positions, 0))
    run_ids = np.cumsum(starts, dtype=np.int64) - 1
    del starts
    # A key shared by many documents (boilerplate, a stock phrase) says less
    # than a rare one: each pair it yields weighs 1 / documents holding it.
    weight_of_run = (1.0 / np.bincount(run_ids)).astype(np.float32)
    later_parts, earlier_parts, weight_parts = [], [], []
    for d in range(1, neighbours + 1):
        at = d + np.flatnonzero(run_start[d:] <= positions[:-d])
        later_parts.append(sdocs[at])
        earlier_parts.append(sdocs[at - d])
        weight_parts.append(weight_of_run[run_ids[at]])
    far = np.flatnonzero(positions - run_start > neighbours)
    later_parts.append(sdocs[far])
    earlier_parts.append(sdocs[run_start[far]])
    weight_parts.append(weight_of_run[run_ids[far]])
    return (
        np.concatenate(later_parts),
        np.concatenate(earlier_parts),
        np.concatenate(weight_parts),
    )


def candidate_pairs(
    table: KeyTable,
    ranks: np.ndarray | None = None,
    neighbours: int = RUN_NEIGHBOURS,
    limit: int = CANDIDATES,
    keys_per_pass: int = 2_000_000,
) -> Candidates:
    """Pairs of documents sharing keys, at most ``limit`` per later document.

    "Earlier" and "later" are by ``ranks`` (:func:`ranks_of`; default: input
    order), so with content ranks the pairs do not depend on input order.
    Candidates are ranked by the sum over shared keys of 1 / (documents
    holding the key), so shared content outranks shared boilerplate.  Keys
    are sorted in passes of about ``keys_per_pass`` (split on their low
    bits: equal keys fall in one pass), which bounds the temporary memory.
    """
    empty = Candidates(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))
    total = len(table)
    if total < 2:
        return empty
    n = table.documents
    if ranks is None:
        ranks = np.arange(n, dtype=np.int64)
    passes = 1 << max(0, int(np.ceil(np.log2(total / keys_per_pass))))
    # Distinct pairs so far: code = later * n + earlier (ranks), summed weight, keys shared.
    codes = np.empty(0, np.int64)
    score: np.ndarray = np.empty(0, np.float64)
    shared = np.empty(0, np.int64)
    for part in range(passes):
        docs, keys = table.part(part, passes)
        later, earlier, weights = _run_pairs(ranks[docs], keys, neighbours)
        del docs, keys
        keep = later != earlier  # one document listing a key twice
        pair_codes = later[keep].astype(np.int64) * n + earlier[keep]
        del later, earlier
        # Fold this pass into the distinct pairs, so memory follows the number
        # of distinct pairs, not pairs times shared keys.
        codes, inverse = np.unique(np.concatenate([codes, pair_codes]), return_inverse=True)
        score = np.bincount(
            inverse, weights=np.concatenate([score, weights[keep]]), minlength=len(codes)
        )
        shared = np.bincount(
            inverse,
            weights=np.concatenate([shared, np.ones(len(pair_codes), np.int64)]),
            minlength=len(codes),
        ).astype(np.int64)
        del inverse, pair_codes, weights, keep
    if not len(codes):
        return empty
    later, earlier = codes // n, codes % n
    # Best scored first within each later document, then keep the top ``limit``.
    order = np.lexsort((earlier, -score, later))
    later, earlier, shared = later[order], earlier[order], shared[order]
    first = np.ones(len(later), dtype=bool)
    first[1:] = later[1:] != later[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(later)), 0))
    rank = np.arange(len(later)) - group_start
    top = rank < limit
    doc_at = np.empty(n, dtype=np.int64)
    doc_at[ranks] = np.arange(n)
    return Candidates(doc_at[later[top]], doc_at[earlier[top]], shared[top])


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (a[i], b[i]): each node's smallest node.

    Vectorised union-find: every round hooks each edge's larger root under
    its smaller one, then compresses paths, until no edge joins two roots.
    Parents never exceed their node, so a component's root is its smallest node.
    """
    parent = np.arange(n, dtype=np.int64)
    a, b = a.astype(np.int64), b.astype(np.int64)
    while len(a):
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            break
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


def choose_clusters(
    n: int, candidates: Candidates, similarities: np.ndarray, threshold: float = COPY_THRESHOLD
) -> np.ndarray:
    """Each document's cluster, named by its first document (input order).

    Clusters are the connected components of the candidate pairs whose
    containment is at least ``threshold``.
    """
    ok = similarities >= threshold
    return components(n, candidates.later[ok], candidates.earlier[ok])


def cluster_labels(ids: Sequence[str], roots: np.ndarray) -> list[str]:
    """Cluster names: the id of each cluster's first document.

    When that id already names another cluster (duplicate ids in the input),
    the later cluster is named ``"<id>#<line>"``, its first document's
    1-based line number, so labels never merge clusters.
    """
    label_of_root: dict[int, str] = {}
    used: set[str] = set()
    labels = []
    for doc, root in enumerate(roots.tolist()):
        label = label_of_root.get(root)
        if label is None:
            label = ids[doc] if ids[doc] not in used else f"{ids[doc]}#{doc + 1}"
            used.add(label)
            label_of_root[root] = label
        labels.append(label)
    return labels


def pair_similarities(
    candidates: Candidates, sketch: Callable[[int], Shingled | Sketch]
) -> np.ndarray:
    """Containment of each candidate pair, texts fetched through ``sketch(doc)``."""
    return np.fromiter(
        (
            similarity(sketch(a), sketch(b))
            for a, b in zip(candidates.later.tolist(), candidates.earlier.tolist(), strict=True)
        ),
        dtype=np.float64,
        count=len(candidates),
    )


def cluster(texts: Sequence[str]) -> np.ndarray:
    """Cluster roots of texts held in memory (tests, the labelled benchmark)."""
    prepared = [Shingled(t) for t in texts]
    table = KeyTable()
    table.add(0, [p.fingerprint() for p in prepared])
    ranks = ranks_of(np.fromiter((p.order_key for p in prepared), np.int64, len(prepared)))
    candidates = candidate_pairs(table, ranks)
    sims = pair_similarities(candidates, prepared.__getitem__)
    return choose_clusters(len(texts), candidates, sims)
