"""Print argcomplete's activation code for the ``wirewatch`` command.

Its options, and the description `wirewatch completion --help` prints, are in
crawler/usage/completion.py (imported without this module).
"""

from __future__ import annotations

import argparse
import sys

import argcomplete


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(argcomplete.shellcode(["wirewatch"], shell=args.shell))
    return 0
