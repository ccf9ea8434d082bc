"""Running a few lines in a fresh interpreter: what a module does at import or start-up
(libraries loaded, logger levels, the collector's settings) is unseen by the test process,
which has imported everything already."""

from __future__ import annotations

import subprocess
import sys


def python_says(code: str, *, timeout: float = 60) -> str:
    """What ``python -c code`` printed; it must exit 0."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=timeout
    ).stdout
