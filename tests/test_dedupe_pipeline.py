"""The Scrapy ``DedupePipeline``: fingerprints items between extraction and storage."""

from __future__ import annotations

from scrapy.utils.test import get_crawler

from tests.support.dedupe_texts import article
from wirewatch.crawler import settings as project_settings
from wirewatch.pipelines.dedupe import DedupePipeline
from wirewatch.pipelines.fingerprint import Fingerprint, fingerprint
from wirewatch.pipelines.items import ArticleItem


def pipeline() -> tuple[DedupePipeline, object]:
    crawler = get_crawler(settings_dict={"ITEM_PIPELINES": project_settings.ITEM_PIPELINES})
    crawler.stats.open_spider()
    return DedupePipeline.from_crawler(crawler), crawler


def test_it_runs_after_extraction_and_before_storage() -> None:
    order = sorted(project_settings.ITEM_PIPELINES, key=project_settings.ITEM_PIPELINES.get)
    assert (
        order.index("wirewatch.pipelines.dedupe.DedupePipeline")
        == order.index("wirewatch.pipelines.extraction.ExtractionPipeline") + 1
    )
    assert order[-1] == "wirewatch.pipelines.storage.StoragePipeline"


def test_it_puts_the_texts_fingerprint_on_the_item() -> None:
    dedupe, _ = pipeline()
    text = article(1)
    item = dedupe.process_item(ArticleItem(url="https://a.example/x", text=text))
    assert isinstance(item["fingerprint"], Fingerprint)
    assert item["fingerprint"] == fingerprint(text)


def test_tiny_texts_are_counted_and_items_without_text_pass_through() -> None:
    dedupe, crawler = pipeline()
    dedupe.process_item(ArticleItem(url="https://a.example/x", text="Storm closes coast road"))
    untouched = dedupe.process_item(ArticleItem(url="https://a.example/y"))
    assert "fingerprint" not in untouched
    assert crawler.stats.get_value("wirewatch/dedupe_tiny_texts") == 1


def test_a_fingerprint_from_the_extraction_workers_is_kept_and_reaches_storage_whole() -> None:
    """Workers fingerprint the text; neither this pipeline nor storage computes it again
    (storing used to receive it flattened to a dict by ItemAdapter.asdict())."""
    from wirewatch.pipelines.extraction import extract_in_worker
    from wirewatch.pipelines.storage import article_of

    html = f"<html><body><article><h1>Ferry</h1><p>{article(1)}</p></article></body></html>"
    result = extract_in_worker(html.encode(), "https://a.example/x", "utf-8", None)
    assert result["fingerprint"] == fingerprint(result["text"])
    dedupe, _ = pipeline()
    item = ArticleItem(url="https://a.example/x", text=result["text"], body=b"<html>")
    item["fingerprint"] = result["fingerprint"]
    assert dedupe.process_item(item)["fingerprint"] is result["fingerprint"]
    stored = article_of(item)
    assert stored["fingerprint"] is result["fingerprint"] and "body" not in stored
