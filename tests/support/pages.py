"""Small articles, feeds and sitemaps the crawl tests serve from a loopback site."""

from __future__ import annotations

SENTENCES = [
    "The {topic} committee of the river district met late on Thursday to weigh the cost "
    "of repairs that engineers say can no longer wait until the spring thaw.",
    "Residents who packed the town hall asked why the {topic} budget had been cut twice in "
    "three years while the district spent heavily on consultants and new offices.",
    "The chairwoman said the committee would publish every contract it signed and invite "
    "an independent auditor to review the accounts before the next vote.",
    "A final decision on the {topic} plan is expected next month, after a public "
    "consultation that opens on Monday and runs for four weeks.",
]


def article_html(n: int) -> str:
    topic = f"topic{n} " + ["bridge", "harbour", "school", "library", "tramway"][n % 5]
    body = "".join(f"<p>{s.format(topic=topic)} (report {n})</p>" for s in SENTENCES)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>District report {n}</title></head><body><article>"
        f"<h1>District report {n}</h1>{body}</article></body></html>"
    )


def feed_xml(base: str, numbers: list[int], extra: list[str] = ()) -> str:
    links = [f"{base}/news/{n}.html" for n in numbers] + list(extra)
    items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{items}</channel></rss>"
    )


def urlset(base: str, numbers: list[int]) -> str:
    urls = "".join(f"<url><loc>{base}/news/{n}.html</loc></url>" for n in numbers)
    return f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"


def sitemap_index(base: str, names: list[str]) -> str:
    maps = "".join(f"<sitemap><loc>{base}/maps/{name}</loc></sitemap>" for name in names)
    return f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{maps}</sitemapindex>"


PARAGRAPHS = [
    "The harbour authority of Port Alder confirmed on Monday that the new ferry line to the "
    "outer islands will not open before the spring, citing delays at the shipyard.",
    "Officials said the second vessel failed its sea trials in October after engineers found "
    "a fault in the steering gear, and that repairs would take at least three months.",
    "Island residents, who have relied on a single ageing boat for a decade, said the news "
    "was a blow to businesses that had planned for a winter season of visitors.",
    "The authority said it would add extra sailings on the old route over the holidays and "
    "publish a revised timetable once the shipyard confirms a delivery date.",
]


def article(title: str, topic: str, charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p.replace('ferry', topic)}</p>" for p in PARAGRAPHS)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="{charset}"><title>{title}</title>'
        '<meta property="article:published_time" content="2026-11-20T08:30:00+00:00">'
        f'</head><body><a href="#main">Skip to main content</a><article id="main"><h1>{title}</h1>'
        f"{body}</article></body></html>"
    )


FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Alder Post</title>
<link>{base}/</link>{items}</channel></rss>"""


def feed(base: str, paths: list[str]) -> str:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in paths)
    return FEED.format(base=base, items=items)


def reports(*numbers: int) -> set[str]:
    return {f"District report {n}" for n in numbers}
