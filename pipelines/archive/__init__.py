"""The raw-page archive (issue 17): fetched pages kept as WARC, read back for re-extraction."""
