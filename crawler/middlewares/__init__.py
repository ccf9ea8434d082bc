"""Polite, incremental fetching (enabled in ``crawler/settings.py``).

* :mod:`~crawler.middlewares.backoff` — ``Retry-After`` / 429 / 503 honoured per domain;
* :mod:`~crawler.middlewares.conditional` — conditional GET for listings, hash check behind it;
* :mod:`~crawler.middlewares.incremental` — stored articles never fetched again;
* :mod:`~crawler.middlewares.fetch_state` — what they remember between runs.
"""
