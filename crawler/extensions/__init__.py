"""Scrapy extensions of wirewatch."""
