"""wirewatch: a news monitoring crawler (Scrapy project, CLI and scheduling)."""

from wirewatch.pipelines import __version__

__all__ = ["__version__"]
