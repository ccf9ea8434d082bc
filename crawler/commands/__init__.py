"""Implementations of the ``wirewatch`` CLI's subcommands, one module each.

A command module defines ``run(args) -> int`` (the exit status); what the
command accepts (``NAME``, ``HELP``, its description and
``add_arguments(parser)``) lives in the module of the same name in
``crawler.usage``, which ``crawler.cli`` discovers.  So adding a command never
touches the CLI entry point, and ``--help`` never imports this package.
"""
