"""wirewatch item pipelines: extraction, dedupe, storage and alerts."""

__version__ = "0.1.0"
