"""wirewatch: a news monitoring crawler (Scrapy project, CLI and scheduling)."""

__version__ = "0.1.0"
