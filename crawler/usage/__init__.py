"""What each ``wirewatch`` command accepts: its name, help text and options.

One module per command, named like its implementation in ``crawler.commands``:
``NAME`` and ``HELP`` (strings), the module docstring (the description
``--help`` prints) and ``add_arguments(parser)``.  These modules import only
the standard library and light helpers, never Scrapy, psycopg or trafilatura:
``wirewatch --help`` and shell completion build the whole parser on every
call, and the implementation is imported only to run the command.
Modules whose names start with ``_`` are helpers, not commands.
"""
