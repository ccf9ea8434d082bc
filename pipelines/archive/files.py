"""The archive's files: their names, whether a writer still holds one, and repairing
the ones a dead crawl left open.

Layout: ``<archive dir>/<source>/<source>-<run start>-r<run id>-<serial>.warc.gz``.
A file being written is named ``... .warc.gz.open`` and renamed when its
writer closes it; the writer holds an exclusive ``flock`` on it meanwhile,
which the kernel drops when the writer's process dies.  So an ``.open`` file
nobody holds was left by a crawl that stopped without closing it (kill -9, a
crash, a power cut): :func:`repair` keeps its complete records, cuts the
half-written one a kill may have left at its end, and gives it its final
name.  Every record is one gzip member, so "complete" is checked by gzip
itself (each member ends with its CRC and length).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
_NAME = re.compile(r"-r(\d+)-\d+\.warc\.gz(?:\.open)?$")
_CHUNK = 1 << 20


def file_name(source: str, started: str, run_id: int | None, serial: int) -> str:
    """A file's final name, relative to the archive directory (what article rows store)."""
    return f"{source}/{source}-{started}-r{run_id or 0}-{serial:03d}{SUFFIX}"


def run_of(name: str) -> int | None:
    """The crawl run a file belongs to (from its name), or None for another name."""
    match = _NAME.search(name)
    if match is None or not int(match.group(1)):
        return None
    return int(match.group(1))


def open_path(path: Path) -> Path:
    return path.with_name(path.name + OPEN_SUFFIX)


def final_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(OPEN_SUFFIX))


def located(root: Path, name: str) -> Path | None:
    """Where a stored file name is on disk: its final name, or still ``.open`` (being
    written, or left by a crawl that died and not repaired yet); None when neither exists."""
    path = root / name
    for candidate in (path, open_path(path)):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class ArchiveFile:
    path: Path
    name: str  # relative to the archive directory, without ``.open``
    run_id: int | None
    size: int
    mtime: float
    open: bool  # still named .open


def archive_files(root: Path) -> Iterator[ArchiveFile]:
    """Every archive file under ``root`` (``<source>/*.warc.gz[.open]``), in name order."""
    if not root.is_dir():
        return
    for path in sorted(root.glob(f"*/*{SUFFIX}*")):
        is_open = path.name.endswith(SUFFIX + OPEN_SUFFIX)
        if not (is_open or path.name.endswith(SUFFIX)):
            continue
        try:
            info = path.stat()
        except FileNotFoundError:  # renamed or pruned meanwhile
            continue
        name = f"{path.parent.name}/{final_path(path).name}"
        yield ArchiveFile(path, name, run_of(path.name), info.st_size, info.st_mtime, is_open)


def lock(fd: int) -> bool:
    """Take the writer's lock on an open file; False when another writer holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def in_use(path: Path) -> bool:
    """Whether a live writer holds ``path`` (an ``.open`` file nobody holds is an orphan)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        return not lock(fd)
    finally:
        os.close(fd)  # closing drops the lock taken to test


def complete_prefix(path: Path) -> tuple[int, int]:
    """(bytes, members) of the longest run of complete gzip members at the start of ``path``."""
    end = members = 0
    position = 0
    inflater = zlib.decompressobj(31)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            data = chunk
            while data:
                try:
                    # Output is thrown away in pieces: a member may hold a 10 MB page.
                    inflater.decompress(data, _CHUNK)
                    while inflater.unconsumed_tail and not inflater.eof:
                        inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                except zlib.error:
                    return end, members
                if not inflater.eof:
                    position += len(data)
                    break
                used = len(data) - len(inflater.unused_data)
                position += used
                end, members = position, members + 1
                data = inflater.unused_data
                inflater = zlib.decompressobj(31)
    return end, members


def repair(path: Path) -> str | None:
    """Close an ``.open`` file a dead writer left: cut what follows its last complete
    record, fsync, give it its final name.  Returns what was done (for the log), or
    None when a live writer holds it.  A file with no complete record is removed."""
    fd = os.open(path, os.O_RDWR)
    try:
        if not lock(fd):
            return None
        size = os.fstat(fd).st_size
        end, members = complete_prefix(path)
        if members == 0:
            os.unlink(path)
            return f"{path.name}: no complete record; removed"
        if end < size:
            os.ftruncate(fd, end)
        os.fsync(fd)
        target = final_path(path)
        os.rename(path, target)
        sync_directory(target.parent)
    finally:
        os.close(fd)
    cut = f"; cut {size - end} bytes of a record left half-written" if end < size else ""
    return f"{path.name}: kept {members} complete records ({end} bytes){cut}; now {target.name}"


def repair_orphans(folder: Path) -> list[str]:
    """Repair every ``.open`` file in ``folder`` that no live writer holds; what was done."""
    done = []
    for path in sorted(folder.glob(f"*{SUFFIX}{OPEN_SUFFIX}")):
        try:
            outcome = repair(path)
        except FileNotFoundError:  # another process repaired it first
            continue
        if outcome is not None:
            log.warning(
                "archive: %s was left unfinished by a crawl that stopped without closing it: %s",
                path,
                outcome,
            )
            done.append(outcome)
    return done


def sync_directory(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
