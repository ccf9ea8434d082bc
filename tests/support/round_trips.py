"""Counting a psycopg connection's round trips to the server (tests and benchmarks/store.py)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import psycopg
from psycopg.waiting import Wait


def count_round_trips(conn: psycopg.Connection[Any]) -> Callable[[], int]:
    """A counter of ``conn``'s round trips from now on: the times it waited for the
    server's answer (psycopg's generators yield ``Wait.R`` for that, after sending).

    Replaces the connection's ``wait`` for the rest of its life.
    """
    count = 0
    wait = conn.wait

    def counted(gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
        nonlocal count
        try:
            state = next(gen)
            while True:
                count += state == Wait.R
                state = gen.send((yield state))
        except StopIteration as stop:
            return stop.value

    conn.wait = lambda gen, *a, **k: wait(counted(gen), *a, **k)  # type: ignore[method-assign]
    return lambda: count
