"""Print the shell code that makes Tab complete wirewatch's commands and options.

Load it from your shell's start-up file:

  bash (~/.bashrc):                  eval "$(wirewatch completion bash)"
  zsh (~/.zshrc):                    eval "$(wirewatch completion zsh)"
  fish (~/.config/fish/config.fish): wirewatch completion fish | source

It is argcomplete's code for the ``wirewatch`` command (the same as
``register-python-argcomplete wirewatch``).  On Tab the shell runs wirewatch
to ask for the candidates; that builds only the parser, without the
commands' implementations, so it takes about as long as ``wirewatch --help``.
"""

from __future__ import annotations

import argparse

NAME = "completion"
HELP = "print the shell code for Tab completion (bash, zsh or fish)"
SHELLS = ("bash", "zsh", "fish")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
