"""Progress bars for long commands: on a terminal only, never in logs, pipes or cron mail.

A :class:`Bar` is tqdm's bar on stderr when stderr is a terminal, and a
stand-in that draws nothing otherwise, so commands never test for a
terminal themselves.  While a bar is up, log lines bound for the same
terminal are written above it (tqdm clears its bars, the line is written,
the bars come back) instead of through it.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

T = TypeVar("T")


def shown(stream: IO[str] | None = None) -> bool:
    """Whether bars are drawn on ``stream`` (default stderr): a terminal whose foreground
    job is this process's, so neither a job sent to the background (``&``) nor the
    crawls the scheduler daemon starts in sessions of their own draw over the user's."""
    stream = stream if stream is not None else sys.stderr
    try:
        if not stream.isatty() or os.environ.get("TERM") == "dumb":
            return False
        return os.tcgetpgrp(stream.fileno()) == os.getpgrp()
    except (AttributeError, OSError, ValueError):  # no stream, a closed one, no job control
        return False


def stream_size(stream: IO[bytes]) -> int | None:
    """Bytes in ``stream`` when it is a regular file (a total for the bar), else None."""
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


# tqdm's own, but the rate always per second ("3.2 pages/s", never "0.31s/ pages").
WITH_TOTAL = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"


class Bar:
    """tqdm's bar on a terminal (rate, and ETA when the total is known); nothing elsewhere.

    ``options`` go to tqdm (``bar_format``, ``unit_scale``, ``smoothing``...).
    """

    def __init__(
        self,
        desc: str = "",
        *,
        total: float | None = None,
        unit: str = "it",
        stream: IO[str] | None = None,
        **options: Any,
    ) -> None:
        stream = stream if stream is not None else sys.stderr
        self._tqdm: Any = None
        if shown(stream):
            from tqdm import tqdm  # a tenth of a second to import: only when drawing

            if total is not None:
                options.setdefault("bar_format", WITH_TOTAL)
            # Logs go above the bars before the bar is first drawn, so a line logged by
            # another thread meanwhile is never written onto it.
            _logs_above_bars(stream, +1)
            self._stream = stream
            try:
                self._tqdm = tqdm(
                    desc=desc, total=total, unit=unit, file=stream, dynamic_ncols=True, **options
                )
            except BaseException:
                _logs_above_bars(stream, -1)
                raise

    @property
    def drawn(self) -> bool:
        return self._tqdm is not None

    def update(self, n: float = 1) -> None:
        if self._tqdm is not None:
            self._tqdm.update(n)

    def set(self, n: float | None = None, total: float | None = None, **postfix: Any) -> None:
        """Absolute figures (read from counters kept elsewhere, e.g. a crawler's stats)."""
        if self._tqdm is None:
            return
        if total is not None:
            self._tqdm.total = total
        if postfix:
            self._tqdm.set_postfix(postfix, refresh=False)
        if n is not None:
            self._tqdm.update(n - self._tqdm.n)  # refreshes as often as tqdm sees fit
        else:
            self._tqdm.refresh()

    def postfix(self, **values: Any) -> None:
        if self._tqdm is not None:
            self._tqdm.set_postfix(values, refresh=False)

    def describe(self, desc: str) -> None:
        if self._tqdm is not None:
            self._tqdm.set_description(desc)

    def track(self, items: Iterable[T], weight: Callable[[T], float] | None = None) -> Iterator[T]:
        """``items``, moving the bar by one (or ``weight(item)``) after each."""
        for item in items:
            yield item
            self.update(weight(item) if weight is not None else 1)

    def close(self) -> None:
        if self._tqdm is not None:
            # tqdm's close stops clearing the bar before it takes the lock its writes
            # share: under that lock, a line logged meanwhile by another thread waits
            # for the bar's last state and newline instead of being glued to the bar.
            with self._tqdm.get_lock():
                self._tqdm.close()
            self._tqdm = None
            _logs_above_bars(self._stream, -1)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _AboveBars:
    """A stream for log handlers that writes above the bars drawn on ``stream``."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def write(self, text: str) -> int:
        from tqdm import tqdm

        with tqdm.external_write_mode(file=self.stream):
            written = self.stream.write(text)
            self.stream.flush()
        return written

    def flush(self) -> None:
        self.stream.flush()


_open_bars: dict[int, int] = {}
_lock = threading.Lock()


def _logs_above_bars(stream: IO[str], change: int) -> None:
    """Route the root logger's handlers that write to ``stream`` above the bars while
    one is open (``change`` +1 on open, -1 on close), and back after the last one."""
    with _lock:
        count = _open_bars.get(id(stream), 0) + change
        _open_bars[id(stream)] = count
        if count not in (0, 1) or (count == 1 and change < 0):
            return
        for handler in logging.getLogger().handlers:
            if not isinstance(handler, logging.StreamHandler):
                continue
            if count == 1 and handler.stream is stream:
                handler.setStream(_AboveBars(stream))
            elif count == 0 and isinstance(handler.stream, _AboveBars):
                handler.setStream(handler.stream.stream)
