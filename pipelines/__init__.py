"""wirewatch item pipelines: extraction, dedupe, storage and alerts."""
