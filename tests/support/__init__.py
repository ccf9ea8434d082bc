"""Helpers shared by the tests: builders of pages, rows and servers, readers of results.

Test modules import from here, never from each other (a test module's
helpers move here once a second module needs them).  Fixtures shared by
every test are in ``tests/conftest.py``.
"""
