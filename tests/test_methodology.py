"""The sources and methodology page (/metodologia, /methodology): every source of the committed data with its
publisher, licence, citation, address and known problems; the rate method; the coverage grid against the facts
read here with pandas; languages; escaping; the dashboard footer links to it."""
from __future__ import annotations

import json
import shutil
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from core import query

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "processed"


def _client(data_dir: Path):
    import app as app_module
    from settings import Settings

    s = Settings(data_dir=data_dir, debug=False, redis_url=None, frame_ancestors="*", cache_timeout=60,
                 host="127.0.0.1", port=0)
    return app_module.create_app(s).server.test_client()


@pytest.fixture(scope="module")
def client():
    saved = list(query._DEFAULT_DIR)
    yield _client(DATA)
    query._DEFAULT_DIR[:] = saved


class Tables(HTMLParser):
    """{h3 text: [[cell text, ...], ...]} for the tables that follow an <h3>."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._h3 = self._cell = None
        self._title = ""
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "h3":
            self._h3 = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "h3":
            self._title, self._h3 = self._h3.strip(), None
            self.tables.setdefault(self._title, [])
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables.setdefault(self._title, []).append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._h3 is not None:
            self._h3 += data
        if self._cell is not None:
            self._cell += data


def _ranges(years) -> str:
    ys, out = sorted(set(years)), []
    start = prev = None
    for y in ys + [None]:
        if start is None:
            start = prev = y
        elif y is not None and y == prev + 1:
            prev = y
        else:
            out.append(str(start) if start == prev else f"{start}–{prev}")
            start = prev = y
    return ", ".join(out)


def test_every_source_with_publisher_licence_citation_address_and_notes(client):
    html = client.get("/metodologia").data.decode("utf-8")
    src = pd.read_parquet(DATA / "sources.parquet")
    assert len(src) > 10
    for r in src.itertuples():
        for value in (r.publisher, r.licence, r.citation, r.notes, r.source_id):
            assert escape(str(value)) in html, (r.source_id, value)
        if str(r.address).startswith("http"):
            assert f'href="{escape(r.address)}"' in html
        assert f'id="source-{r.source_id}"' in html


def test_rate_method_in_both_languages(client):
    es = client.get("/metodologia").data.decode("utf-8")
    en = client.get("/methodology").data.decode("utf-8")
    assert "<html lang=\"es\">" in es and "<html lang=\"en\">" in en
    assert "conteo ÷ población × 100,000" in es and "tal como fue publicada" in es
    assert "count ÷ population × 100,000" in en and "shown as published" in en
    assert "Fuentes de población" in es and "Population sources" in en
    assert client.get("/metodologia?lang=en").data.decode("utf-8") == en
    assert '<html lang="es">' in client.get("/methodology?lang=es").data.decode("utf-8")
    assert '<html lang="es">' in client.get("/metodologia?lang=%3Cx%3E").data.decode("utf-8")
    report = json.loads((DATA / "build_report.json").read_text(encoding="utf-8"))
    assert report["version"]["id"] in es


def test_coverage_grid_matches_the_facts(client):
    f = pd.read_parquet(DATA / "facts.parquet")
    u = pd.read_parquet(DATA / "units.parquet", columns=["unit_id", "level", "country"])
    f = f.merge(u, on="unit_id")
    labels = pd.read_csv(ROOT / "geo" / "vocab" / "offenses.csv", dtype=str).set_index("code")["label_es"]
    parser = Tables()
    parser.feed(client.get("/metodologia").data.decode("utf-8"))
    checked = 0
    for country, name in (("CRI", "Costa Rica"), ("HND", "Honduras"), ("GTM", "Guatemala")):
        rows = {r[0]: r[1:] for r in parser.tables[name][1:]}
        sub = f[f.country == country]
        assert set(rows) == {labels[o] for o in sub.offense.unique()}
        for offense, g in sub.groupby("offense"):
            cells = rows[labels[offense]]
            for level in (0, 1, 2):
                years = g.loc[g.level == level, "year"].astype(int).tolist()
                if years:
                    assert cells[level].startswith(_ranges(years) + " ["), (country, offense, level, cells[level])
                    checked += 1
                else:
                    assert cells[level] == "—"
    assert checked > 10


@pytest.fixture()
def hostile_dir(tmp_path, fixture_dir):
    d = tmp_path / "processed"
    shutil.copytree(fixture_dir, d)
    s = pd.read_parquet(d / "sources.parquet")
    s.loc[0, "notes"] = "<script>alert(1)</script> & \"quoted\""
    s.loc[0, "publisher"] = "<img src=x onerror=alert(2)>"
    s.loc[0, "address"] = "javascript:alert(3)"
    s.to_parquet(d / "sources.parquet", index=False)
    report = json.loads((d / "build_report.json").read_text(encoding="utf-8"))
    report["coverage"] = [{"country": "CRI", "level": 1, "offense": "homicide", "source_id": s.loc[0, "source_id"],
                           "years": [2019, 2020, 2021, 2023], "measures": ["count"]}]
    (d / "build_report.json").write_text(json.dumps(report), encoding="utf-8")
    return d


def test_text_from_the_data_is_escaped(hostile_dir):
    saved = list(query._DEFAULT_DIR)
    try:
        html = _client(hostile_dir).get("/metodologia").data.decode("utf-8")
    finally:
        query._DEFAULT_DIR[:] = saved
    assert "<script>" not in html and "<img" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;" in html
    assert "2019–2021, 2023" in html


def test_dashboard_footer_links_to_methodology_and_api(fixture_dir):
    from callbacks import main

    saved = list(query._DEFAULT_DIR)
    query.set_default_data_dir(fixture_dir)
    try:
        found = {}
        for lang in ("es", "en"):
            def walk(node):
                if getattr(node, "id", None) in ("methodology-link", "api-link"):
                    found[(lang, node.id)] = (node.href, node.children)
                kids = getattr(node, "children", None)
                for k in kids if isinstance(kids, list) else [kids]:
                    if hasattr(k, "to_plotly_json"):
                        walk(k)
            walk(main.render_page("/", f"?lang={lang}"))
    finally:
        query._DEFAULT_DIR[:] = saved
    assert found[("es", "methodology-link")] == ("/metodologia?lang=es", "Metodología")
    assert found[("en", "methodology-link")] == ("/methodology?lang=en", "Methodology")
    assert found[("es", "api-link")][0] == "/api/v1/"
