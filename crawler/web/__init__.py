"""``wirewatch web``: server-rendered pages and a JSON API over the stored stories.

An ASGI app (FastAPI, served by uvicorn).  Pages are Jinja2 templates that
work without JavaScript; the JSON API lives under ``/api/v1/``.  Reads go
through the ``wirewatch_feed`` views and the same library functions as the
CLI (search, feed cursor, status); writes go through the CLI's alert
functions.  The modules:

* :mod:`crawler.web.settings` — the ``[web]`` table;
* :mod:`crawler.web.security` — signed cookies, CSRF tokens, login limits;
* :mod:`crawler.web.data` — the database reads, one function per view;
* :mod:`crawler.web.diff`, :mod:`crawler.web.chart` — pure helpers for pages;
* :mod:`crawler.web.app` — the app: middleware, headers and the routers.
* :mod:`crawler.web.responses` — templates, pages and JSON answers.
"""
