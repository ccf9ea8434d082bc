"""The crawl process's cyclic garbage collector, set for a long run of small pages.

CPython collects its young generation every 700 net allocations of container
objects, and each pass also traverses everything the young objects refer to.
A crawl allocates requests, responses, items and database cursors far faster
than it makes reference cycles: a cold crawl of 2,100 pages ran ~350 passes
that cost ~0.5 ms of CPU per page, 7% of the crawl process (measured with
``gc.callbacks``, issue 21).  So, once the crawl is set up:

* what start-up built (modules, classes, settings, components: ~100,000
  objects) is collected once and then frozen, so no later pass traverses it;
* the young generation is collected every ``YOUNG_THRESHOLD`` allocations.

Reference counting still frees what a page allocates as soon as it is dropped;
only objects caught in reference cycles wait a little longer to be found.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle_after_start_up(young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Freeze the start-up heap and collect young objects less often (never more often)."""
    gc.collect()  # garbage made while starting up is freed, not frozen
    gc.freeze()
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, young_threshold), *older)
