"""Subcommands of the ``wirewatch`` CLI, one module each.

A command module defines ``NAME`` and ``HELP`` (strings),
``add_arguments(parser)`` and ``run(args) -> int`` (the exit status).
``crawler.cli`` discovers the modules here, so adding a command never
touches the CLI entry point.
"""
