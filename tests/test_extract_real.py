"""Extraction on real pages (``../shared``, third-party, read in place): seeds come out clean,
hand-checked pages keep their body, title and date.  Skipped when ``../shared`` is absent."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from wirewatch.pipelines.extract import extract_batch

# What the seed texts show clean output must not contain.
SEED_BOILERPLATE = [
    "Accessibility links",
    "Breaking News",
    "Support The Moscow Times",
    "Read more",
    "16x9 Image",
    "With reporting by",
    "(unseen)",
    "RFE/RL journalists report the news",
]
HEAD_LINES = re.compile(r"^(Support The Moscow Times!|Read moreAccessibility links|Breaking News)$")


def seed_page(path: Path) -> str:
    """The seed text laid out as a page: site banners in a header, the rest in the article."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    head = [line for line in lines if HEAD_LINES.match(line)]
    title, *paragraphs = [line for line in lines if not HEAD_LINES.match(line)]
    return (
        f"<html><head><title>{html.escape(title)}</title></head><body>"
        + "".join(f"<div>{html.escape(line)}</div>" for line in head)
        + f"<article><h1>{html.escape(title)}</h1>"
        + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        + "</article></body></html>"
    )


def test_seed_articles_come_out_without_their_boilerplate(shared_dir: Path) -> None:
    seeds = sorted((shared_dir / "seeds").glob("*.txt"))
    assert seeds
    for path, result in zip(
        seeds, extract_batch([(seed_page(p), None) for p in seeds]), strict=True
    ):
        assert result.reason is None, path.name
        left = [phrase for phrase in SEED_BOILERPLATE if phrase.lower() in result.text.lower()]
        assert left == [], path.name
    # Both stories are still there, with the spokesman's name as each outlet spells it.
    texts = [r.text for r in extract_batch([(seed_page(p), None) for p in seeds])]
    assert any("Mansour" in t for t in texts) and any("Mansur" in t for t in texts)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def recall(predicted: str, truth: str) -> float:
    got, want = set(_words(predicted)), _words(truth)
    return sum(w in got for w in want) / len(want)


def test_hand_checked_pages_keep_their_body_title_and_date(shared_dir: Path) -> None:
    real = shared_dir / "fixtures" / "real"
    manifest = json.loads((real / "manifest.json").read_text(encoding="utf-8"))
    pages = [p for p in manifest["pages"] if p["gt_kind"].startswith("fundus")]
    truths = [json.loads((real / p["ground_truth"]).read_text(encoding="utf-8")) for p in pages]
    results = extract_batch([((real / p["file"]).read_bytes(), p["url"]) for p in pages])
    bodies = [recall(r.text, t["body"]) for r, t in zip(results, truths, strict=True)]
    assert min(bodies) > 0.85
    titles = sum(r.title == t["title"] for r, t in zip(results, truths, strict=True))
    assert titles >= 0.8 * len(pages)
    dates = sum(
        r.published is not None and r.published.date().isoformat() == t["date"][:10]
        for r, t in zip(results, truths, strict=True)
    )
    assert dates >= 0.9 * len(pages)
