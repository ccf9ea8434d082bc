"""The egg scrapyd-deploy uploads: only a pointer to wirewatch's Scrapy settings.

The code itself is the ``wirewatch`` package installed on each scrapyd node,
so a node runs exactly the released version, with its SQL and templates.
"""

from setuptools import setup

setup(
    name="wirewatch-scrapyd",
    version="0.1.0",
    py_modules=[],
    entry_points={"scrapy": ["settings = wirewatch.crawler.settings"]},
)
