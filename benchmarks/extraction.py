"""Extraction quality and speed: bare trafilatura vs wirewatch, side by side, in one run.

Pages: the real outlet pages with hand-checked ground truth in
``../shared/fixtures/real/`` (see its ``manifest.json``) and the two seed
articles in ``../shared/seeds/``.  The seeds are plain text that still carries
its site's boilerplate; each is laid out as a minimal page (one ``<p>`` per
line, the boilerplate lines where the site puts them: before and after the
story) and scored on whether the known boilerplate phrases survive.

Body text is scored as scrapinghub's article-extraction-benchmark does:
precision / recall / F1 of word 4-gram shingles (multisets), per page, then
averaged per source and overall.  Site-level learning sees the whole page set
as one crawl, as ``wirewatch extract --jsonl`` does.

    .venv/bin/python benchmarks/extraction.py [--shared ../shared] [--per-page]
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import trafilatura
from lxml import html as lxml_html

from wirewatch.pipelines.extract import extract_batch
from wirewatch.pipelines.extract.metadata import parse_date
from wirewatch.pipelines.extract.opinion import text_blocks

REPO = Path(__file__).resolve().parent.parent

# Phrases that clean output of any page must not contain: the seed boilerplate
# (the list) plus prompts every news site carries.
BOILERPLATE_PHRASES = [
    "Skip to main content",
    "Accessibility links",
    "Breaking News",
    "Support The Moscow Times",
    "Read more",
    "16x9 Image",
    "With reporting by",
    "RFE/RL journalists report the news",
    "Sign up for",
    "Subscribe to our newsletter",
    "Share this article",
    "Follow us on",
    "Click here",
    "This site uses cookies",
    "enable JavaScript",
    "Related Articles",
    "Related Stories",
    "Recommended Stories",
    "All rights reserved",
    "Advertisement",
]
# Seed lines that are not the story (for the seed pages' layout).
SEED_BOILERPLATE_HEAD = re.compile(
    r"^(Support The Moscow Times!|Read moreAccessibility links|Breaking News)$"
)


@dataclass
class Page:
    source: str
    url: str | None
    html: bytes
    body: str | None = None
    title: str | None = None
    date: str | None = None
    authors: list[str] | None = None
    seed: bool = False
    boilerplate: list[str] | None = None  # blocks put on the page that must not come out


def load_pages(shared: Path) -> list[Page]:
    pages: list[Page] = []
    real = shared / "fixtures" / "real"
    manifest = json.loads((real / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["pages"]:
        truth = json.loads((real / entry["ground_truth"]).read_text(encoding="utf-8"))
        raw = (real / entry["file"]).read_bytes()
        pages.append(
            Page(
                source=entry["outlet"],
                url=entry["url"],
                html=raw,
                body=truth.get("body") or None,
                title=truth.get("title") or None,
                date=truth.get("date") or None,
                authors=truth.get("authors") or None,
            )
        )
    for path in sorted((shared / "seeds").glob("*.txt")):
        pages.append(seed_page(path))
    return pages


def seed_page(path: Path) -> Page:
    """A minimal page around a seed text: head boilerplate in a header, the rest in the article."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    head = [line for line in lines if SEED_BOILERPLATE_HEAD.match(line)]
    rest = [line for line in lines if not SEED_BOILERPLATE_HEAD.match(line)]
    title, paragraphs = rest[0], rest[1:]
    esc = html_lib.escape
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title></head><body>"
        + "".join(f"<div class='top'>{esc(line)}</div>" for line in head)
        + f"<article><h1>{esc(title)}</h1>"
        + "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
        + "</article></body></html>"
    )
    return Page(
        source=f"seed:{path.stem.split('-')[0]}", url=None, html=page.encode("utf-8"), seed=True
    )


def single_pages() -> list[Page]:
    """The single-page set (``tests/fixtures/singlepage``): each page a site seen once."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # the fixtures live in the repository's tests/
    from tests.fixtures.singlepage.pages import build_pages

    return [
        Page(
            source=p.template,
            url=p.url,
            html=p.html.encode("utf-8"),
            body=p.body,
            title=p.title,
            boilerplate=p.boilerplate,
        )
        for p in build_pages()
    ]


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.findall(r"\w+", text)


def shingles(text: str, n: int = 4) -> Counter:
    words = _words(text)
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def prf(predicted: str, truth: str) -> tuple[float, float, float]:
    pred, true = shingles(predicted), shingles(truth)
    common = sum((pred & true).values())
    precision = common / sum(pred.values()) if pred else 0.0
    recall = common / sum(true.values()) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def same_title(predicted: str | None, truth: str) -> bool:
    def norm(s: str) -> str:
        # Typographic and straight quotes count as the same title.
        s = s.translate(str.maketrans("‘’“”", "''\"\""))
        return " ".join(unicodedata.normalize("NFKC", s).split())

    return predicted is not None and norm(predicted) == norm(truth)


def same_date(predicted: datetime | None, truth: str) -> bool:
    expected = parse_date(truth)
    if predicted is None or expected is None:
        return False
    # Calendar dates as each side states them (htmldate's evaluation compares dates).
    return predicted.date() == expected.date()


def residue(text: str, truth: str | None = None) -> list[str]:
    """Boilerplate phrases in the text that the true body does not contain itself."""
    lowered, expected = text.lower(), (truth or "").lower()
    return [p for p in BOILERPLATE_PHRASES if p.lower() in lowered and p.lower() not in expected]


def blocks_left(text: str, page: Page) -> list[str]:
    """The page's boilerplate blocks found in ``text`` (none the true body holds itself).

    A block of four words or more is left when half its word 4-grams are in
    the text; a shorter one (a "Share" button, "Reply") when a line of the
    text is that block, give or take a few words.
    """
    out_shingles = shingles(text)
    lines = [_words(line) for line in text.splitlines()]
    truth = " ".join(_words(page.body or ""))
    left = []
    for block in page.boilerplate or []:
        words = _words(block)
        if not words or " ".join(words) in truth:
            continue
        if len(words) >= 4:
            wanted = shingles(block)
            if sum((wanted & out_shingles).values()) >= 0.5 * sum(wanted.values()):
                left.append(block)
        elif any(_contains(line, words) and len(line) <= len(words) + 3 for line in lines):
            left.append(block)
    return left


def _contains(line: list[str], words: list[str]) -> bool:
    n = len(words)
    return any(line[i : i + n] == words for i in range(len(line) - n + 1))


def _text_only(text: str) -> dict:
    return {"text": text, "title": None, "published": None, "authors": []}


def readability_one(page: Page) -> dict:
    """Bare readability-lxml: its main content, a line per text block."""
    from readability import Document

    try:
        summary = Document(page.html, url=page.url).summary(html_partial=True)
        lines = text_blocks(lxml_html.fromstring(summary))
    except Exception:  # readability raises on pages it cannot score
        return _text_only("")
    return _text_only("\n".join(line.text for line in lines))


def trafilatura_precision_one(page: Page) -> dict:
    doc = trafilatura.bare_extraction(
        page.html, url=page.url, with_metadata=False, favor_precision=True
    )
    return _text_only((doc.text or "") if doc else "")


def trafilatura_one(page: Page) -> dict:
    doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    return {
        "text": (doc.text or "") if doc else "",
        "title": doc.title if doc else None,
        "published": parse_date(doc.date) if doc and doc.date else None,
        "authors": [a.strip() for a in (doc.author or "").split(";") if a.strip()] if doc else [],
    }


def wirewatch_batch(pages: list[Page]) -> list[dict]:
    results = extract_batch([(page.html, page.url) for page in pages])
    return [
        {"text": r.text, "title": r.title, "published": r.published, "authors": r.authors}
        for r in results
    ]


def timed(rounds: int, pages: list[Page]) -> tuple[float, float]:
    """ms/page of each extractor: rounds alternate which goes first, best round counts.

    Caches, allocator state and CPU frequency favour whichever runs second,
    so the order is swapped every round and each side's best round is kept.
    The time is the CPU time of this process: extraction is single-threaded
    CPU work, so on an idle machine it is the elapsed time, and on a shared
    one the other processes' load does not count against either side.
    """
    best_base = best_ours = float("inf")
    for round_number in range(rounds):
        order = ["base", "ours"] if round_number % 2 == 0 else ["ours", "base"]
        for side in order:
            start = time.process_time()
            if side == "base":
                for page in pages:
                    trafilatura_one(page)
                best_base = min(best_base, time.process_time() - start)
            else:
                wirewatch_batch(pages)
                best_ours = min(best_ours, time.process_time() - start)
    return best_base * 1000 / len(pages), best_ours * 1000 / len(pages)


def score(pages: list[Page], results: list[dict]) -> dict:
    per_source: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    titles = dates = title_total = date_total = authors = authors_total = 0
    residue_pages = 0
    seed_left: list[str] = []
    for page, result in zip(pages, results, strict=True):
        if page.body:
            per_source[page.source].append(prf(result["text"], page.body))
        if page.title:
            title_total += 1
            titles += same_title(result["title"], page.title)
        if page.authors:
            authors_total += 1
            authors += [a.lower() for a in result["authors"]] == [a.lower() for a in page.authors]
        if page.date:
            date_total += 1
            dates += same_date(result["published"], page.date)
        left = residue(result["text"], page.body)
        residue_pages += bool(left)
        if page.seed:
            seed_left += [f"{page.source}: {p}" for p in left]
    all_scores = [s for scores in per_source.values() for s in scores]
    return {
        "per_source": {
            source: tuple(statistics.mean(col) for col in zip(*scores, strict=True))
            for source, scores in per_source.items()
        },
        "overall": tuple(statistics.mean(col) for col in zip(*all_scores, strict=True)),
        "title": (titles, title_total),
        "date": (dates, date_total),
        "authors": (authors, authors_total),
        "residue": residue_pages / len(pages),
        "seed_left": seed_left,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--per-page", action="store_true", help="print F1 of every page")
    parser.add_argument("--rounds", type=int, default=4, help="timing rounds (default: 4)")
    parser.add_argument(
        "--set",
        choices=("real", "single", "both"),
        default="both",
        help="the real pages, the single-page set, or both (default)",
    )
    args = parser.parse_args(argv)
    if args.set in ("real", "both"):
        if (args.shared / "fixtures" / "real" / "manifest.json").exists():
            real_report(args)
        else:
            print(f"no real fixtures under {args.shared}; real pages skipped", file=sys.stderr)
    if args.set in ("single", "both"):
        single_report(args)
    return 0


def mean_f1(pages: list[Page], results: list[dict]) -> float:
    return statistics.mean(prf(r["text"], p.body)[2] for p, r in zip(pages, results, strict=True))


def others(pages: list[Page]) -> dict[str, list[dict]]:
    """The other open extractors' text of every page."""
    return {
        "trafilatura": [trafilatura_one(page) for page in pages],
        "traf. precision": [trafilatura_precision_one(page) for page in pages],
        "readability-lxml": [readability_one(page) for page in pages],
    }


def costs(pages: list[Page]) -> dict[str, float]:
    """ms/page of the parts of wirewatch's extraction that bare trafilatura does not have."""
    from wirewatch.pipelines.extract.core import _parse, decode_html
    from wirewatch.pipelines.extract.metadata import page_metadata
    from wirewatch.pipelines.extract.opinion import readability_lines
    from wirewatch.pipelines.extract.structure import prune_page
    from wirewatch.pipelines.walls import page_evidence

    spent: dict[str, float] = defaultdict(float)
    for page in pages:
        source = decode_html(page.html)
        tree = _parse(source)
        if tree is None:
            continue
        for name, work, arguments in (
            ("metadata", page_metadata, (tree, page.url)),
            ("wall evidence (pipelines/walls.py)", page_evidence, (source, tree)),
            ("structure rules", prune_page, (tree,)),
            ("second opinion (readability-lxml)", readability_lines, (tree,)),
        ):
            start = time.process_time()
            work(*arguments)
            spent[name] += time.process_time() - start
    return {name: seconds * 1000 / len(pages) for name, seconds in spent.items()}


def single_report(args: argparse.Namespace) -> None:
    """The single-page set: every open extractor and wirewatch, per template, side by side."""
    pages = single_pages()
    results = others(pages)
    results["wirewatch"] = wirewatch_batch(pages)
    base_ms, ours_ms = timed(args.rounds, pages)
    names = list(results)
    print(
        f"\nsingle-page set: {len(pages)} pages, each a site seen once "
        "(tests/fixtures/singlepage)\n"
    )
    print(f"{'template':<18}" + "".join(f"{n:>20}" for n in names))
    print(f"{'':<18}" + "".join(f"{'F1  left':>20}" for _ in names))
    for template in [*sorted({p.source for p in pages}), "OVERALL"]:
        chosen = [i for i, p in enumerate(pages) if template in ("OVERALL", p.source)]
        cells = []
        for name in names:
            f1 = statistics.mean(prf(results[name][i]["text"], pages[i].body)[2] for i in chosen)
            left = sum(bool(blocks_left(results[name][i]["text"], pages[i])) for i in chosen)
            cells.append(f"{f1:.3f} {left:3d}/{len(chosen):<3d}")
        print(f"{template:<18}" + "".join(f"{c:>20}" for c in cells))
    titles = sum(
        same_title(r["title"], p.title) for p, r in zip(pages, results["wirewatch"], strict=True)
    )
    print(
        f"\n'left': pages with some of their boilerplate in the text. wirewatch titles exact: "
        f"{titles}/{len(pages)}; CPU ms/page: trafilatura {base_ms:.1f}, wirewatch {ours_ms:.1f} "
        f"({ours_ms / base_ms:.2f}x)"
    )
    if args.per_page:
        for page, result in zip(pages, results["wirewatch"], strict=True):
            left = blocks_left(result["text"], page)
            if left or prf(result["text"], page.body)[2] < 0.95:
                f1 = prf(result["text"], page.body)[2]
                print(f"   {f1:.3f} {page.url} left: {left}")


def real_report(args: argparse.Namespace) -> None:
    """The real pages (and seeds): bare trafilatura and wirewatch, per source."""
    pages = load_pages(args.shared)
    # Warm both up (imports, lazy caches) so neither pays it inside the timing.
    trafilatura.extract(pages[0].html)
    extract_batch([(pages[0].html, pages[0].url)])
    base = [trafilatura_one(page) for page in pages]
    ours = wirewatch_batch(pages)
    base_ms, ours_ms = timed(args.rounds, pages)
    b, w = score(pages, base), score(pages, ours)

    print(f"{len(pages)} pages ({sum(bool(p.body) for p in pages)} with body ground truth)\n")
    header = ("source", "pages", "trafilatura P/R/F1", "wirewatch P/R/F1", "dF1")
    print(f"{header[0]:<18}{header[1]:>6}  {header[2]:>22}  {header[3]:>22}  {header[4]:>6}")
    for source in sorted(b["per_source"]):
        n = sum(1 for p in pages if p.source == source and p.body)
        bp, wp = b["per_source"][source], w["per_source"][source]
        print(
            f"{source:<18}{n:>6}  {bp[0]:6.3f} {bp[1]:6.3f} {bp[2]:6.3f}  "
            f"{wp[0]:6.3f} {wp[1]:6.3f} {wp[2]:6.3f}  {wp[2] - bp[2]:+6.3f}"
        )
    bo, wo = b["overall"], w["overall"]
    print(
        f"{'OVERALL':<18}{'':>6}  {bo[0]:6.3f} {bo[1]:6.3f} {bo[2]:6.3f}  "
        f"{wo[0]:6.3f} {wo[1]:6.3f} {wo[2]:6.3f}  {wo[2] - bo[2]:+6.3f}\n"
    )
    worst = min(w["per_source"][s][2] - b["per_source"][s][2] for s in b["per_source"])

    def row(label: str, base_value: str, ours_value: str) -> None:
        print(f"{label:<34}{base_value:>16}{ours_value:>16}")

    def share(hits: tuple[int, int]) -> str:
        return f"{hits[0]}/{hits[1]} {hits[0] / hits[1]:.0%}"

    row("", "trafilatura", "wirewatch")
    row("title exact", share(b["title"]), share(w["title"]))
    row("date right", share(b["date"]), share(w["date"]))
    row("authors exact", share(b["authors"]), share(w["authors"]))
    row("pages with boilerplate left", f"{b['residue']:.1%}", f"{w['residue']:.1%}")
    row("seed boilerplate phrases left", str(len(b["seed_left"])), str(len(w["seed_left"])))
    row("ms / page (CPU)", f"{base_ms:.1f}", f"{ours_ms:.1f}")
    print(f"\nworst per-source F1 difference: {worst:+.3f}; time ratio {ours_ms / base_ms:.2f}x")
    scored = [p for p in pages if p.body]
    other = others(scored)
    print(
        "other extractors, overall F1 on the same pages: "
        + ", ".join(f"{name} {mean_f1(scored, found):.3f}" for name, found in other.items())
    )
    print(
        "where wirewatch's time goes beyond trafilatura's (ms/page): "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in costs(pages).items())
    )
    if w["seed_left"]:
        print("seed boilerplate left by wirewatch:", "; ".join(w["seed_left"]))
    if args.per_page:
        for page, rb, rw in zip(pages, base, ours, strict=True):
            if page.body:
                fb, fw = prf(rb["text"], page.body)[2], prf(rw["text"], page.body)[2]
                print(f"{fw - fb:+.3f} {fb:.3f} {fw:.3f} {page.source} {page.url}")
            left = residue(rw["text"], page.body)
            if left:
                print(f"   residue {page.source} {page.url}: {left}")


if __name__ == "__main__":
    sys.exit(main())
