"""Builders of fictional newsrooms for the tests, the benchmarks and the demo site.

Development code, kept out of the installed package: nothing under
``crawler/`` or ``pipelines/`` imports it (an import-linter contract in
``pyproject.toml`` says so), and the wheel does not ship it.  What
``wirewatch demo`` needs at run time is in ``crawler/demo/``: the loopback
server and the static site this folder's :mod:`demo.build_site` writes.

* :mod:`demo.newsroom_content` + :mod:`demo.build_site` — the prose and
  templates of the static fixture newsroom in ``crawler/demo/site/``
  (``python -m demo.build_site`` rewrites it; edit those, not the HTML);
* :mod:`demo.generated` — deterministic newsrooms of any size, served
  straight from memory;
* :mod:`demo.warcs` — WARC files of a generated newsroom;
* :mod:`demo.outlets` — loopback outlets laid out like real ones (source
  discovery);
* :mod:`demo.real_site` — the real pages of ``../shared/fixtures/real/`` as
  one loopback site.

Browse a site by hand with ``python -m demo [DIR | --generated N]``.
"""
