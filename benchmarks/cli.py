"""How long ``wirewatch --help`` and ``wirewatch status --help`` take, before and after.

"Before" is the code of a git revision (``--before``, default: the commit
before the command options moved to ``crawler/usage``), exported to a
temporary directory; "after" is this working tree.  Each command runs
``--runs`` times as a new process (``python -m wirewatch.crawler.cli``, the work the
``wirewatch`` script does); the medians are printed side by side, with the
heavy libraries each version imports to build its parser.

    .venv/bin/python benchmarks/cli.py [--before REV] [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.resources import cli_module

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "bd5e5aa^"  # the last commit whose parser imported every command's implementation
COMMANDS = (["--help"], ["status", "--help"], ["search", "--help"])
HEAVY = ("scrapy", "twisted", "psycopg", "trafilatura", "numpy")


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` written under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision],
        capture_output=True,
        check=True,
    ).stdout
    archive_path = into / "tree.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def median_seconds(tree: Path, args: list[str], runs: int) -> float:
    """Median wall time of ``python -m wirewatch.crawler.cli ARGS`` run from ``tree``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", cli_module(tree), *args],
            cwd=tree,
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def heavy_imports(tree: Path) -> str:
    """The heavy libraries that building the parser imports in ``tree``."""
    probe = (
        f"import sys; from {cli_module(tree)} import build_parser; build_parser(); "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tree, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help=f"git revision (default: {BEFORE})")
    parser.add_argument("--runs", type=int, default=10, help="runs per command (default: 10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ww-bench-cli-") as tmp:
        before = export(args.before, Path(tmp))
        trees = {"before": before, "after": ROOT}
        print(f"median of {args.runs} runs, seconds (before = {args.before})")
        print(f"  {'command':<34} {'before':>8} {'after':>8}")
        for command in COMMANDS:
            figures = [median_seconds(tree, command, args.runs) for tree in trees.values()]
            label = "wirewatch " + " ".join(command)
            print(f"  {label:<34} {figures[0]:>8.3f} {figures[1]:>8.3f}")
        for name, tree in trees.items():
            print(f"heavy libraries imported to build the parser, {name}: {heavy_imports(tree)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
