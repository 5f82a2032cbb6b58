"""Offline pack: one self-contained HTML file that shows a deck with no server and no network (issue 4).

    python -m present.pack homicidio-region --out homicidio.html [--lang en] [--data-dir data/processed]
    python -m present.pack path/to/deck.json --out deck.html

Inside the file: every slide as plain data (title, headline, sentence, source and date, map and trend figures as
JSON), the app's plotly.js build (scatter, bar and choropleth only: assets/vendor/plotly-obs.min.js), the
GeoJSON of the levels the deck uses (each once, referenced by the figures), the presenter CSS and a small
script for the arrow keys / PageUp-PageDown. No request leaves the page: the map has no base map (an empty world topojson is preset) and every GeoJSON
is inline.
"""
from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

from core import decks, figures, query
from core.slides import slide_content
from core.viewstate import REGION

ROOT = Path(__file__).resolve().parent.parent
CSS = ROOT / "assets" / "04_present.css"
PLOTLY_BUNDLE = ROOT / "assets" / "vendor" / "plotly-obs.min.js"   # the app's own plotly.js (tools/plotly_bundle)

TEXT = {
    "keys": {"es": "← → o RePág/AvPág para cambiar de vista", "en": "← → or PageUp/PageDown to step"},
    "data_date": {"es": "Datos al {date}", "en": "Data as of {date}"},
    "offline": {"es": "Copia sin conexión generada el {date} (datos {version})",
                "en": "Offline copy made {date} (data {version})"},
}


def _json(obj) -> str:
    """JSON safe inside <script>: no '</' sequence can close the tag."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def slide_data(ds: query.Dataset, slide: decks.Slide, lang: str) -> dict:
    from dataclasses import replace
    state = replace(slide.state, lang=lang)
    c = slide_content(ds, state)
    hl, sen, payload = c["hl"], c["sentence"], c["payload"]
    legend = [{"color": it["color"], "label": it["label"], "nodata": bool(it.get("nodata"))}
              for it in payload["legend"]]
    return {
        "title": (slide.title or {}).get(lang) or hl["place"],
        "place": hl["place"], "value": hl["value"], "unit": hl["unit"], "change": hl["change"],
        "meta": c["meta"], "date": TEXT["data_date"][lang].format(date=ds.build_date or ds.version),
        "sentence": sen["main"], "caveats": sen["caveats"],
        "events": ((c["series"].get("layout") or {}).get("meta") or {}).get("events") or [],
        "legend_title": payload["legend_title"], "legend": legend,
        "map": c["map"], "series": c["series"],
    }


def static_map(fig: dict) -> dict:
    """The slide's map as the pack shows it: the live figure (already an SVG `choropleth` on a Mercator `geo`
    subplot, its GeoJSON referenced by URL and inlined by the player), without panning."""
    layout = {k: v for k, v in (fig.get("layout") or {}).items() if k not in ("uirevision", "clickmode")}
    layout["dragmode"] = False
    return {"data": fig.get("data", []), "layout": layout}


def geo_urls(fig: dict) -> set[str]:
    return {tr["geojson"] for tr in fig.get("data", []) if isinstance(tr.get("geojson"), str)}


def geo_for_url(ds: query.Dataset, url: str) -> str:
    """The GeoJSON text a /geo/level-<n>.json?country=... URL serves (as app.py's route)."""
    from urllib.parse import parse_qs, urlparse
    u = urlparse(url)
    level = int(u.path.rsplit("-", 1)[1].split(".")[0])
    scope = parse_qs(u.query).get("country", [REGION])[0]
    blob = query.geojson(ds, level, scope if scope == REGION else scope.upper())
    if blob is None:
        raise ValueError(f"no GeoJSON for {url}")
    return blob.body.decode("utf-8")


def build_pack(ds: query.Dataset, deck: decks.Deck, lang: str = "es") -> str:
    import datetime as dt


    slides = [slide_data(ds, s, lang) for s in deck.slides]
    urls = sorted(set().union(*(geo_urls(s["map"]) for s in slides)))
    texts = {u: geo_for_url(ds, u) for u in urls}
    for s in slides:
        s["map"] = static_map(s["map"])
    geo = ",".join(f"{_json(u)}:{txt}" for u, txt in texts.items())
    css = CSS.read_text(encoding="utf-8") if CSS.is_file() else ""
    nodata_css, nodata_defs = figures.nodata_css(), figures.nodata_page_defs()   # the maps' hatched no-data
    title = (deck.title or {}).get(lang) or slides[0]["title"]
    made = TEXT["offline"][lang].format(date=dt.date.today().isoformat(), version=ds.version)
    plotly_js = PLOTLY_BUNDLE.read_text(encoding="utf-8").replace("</script", "<\\/script")
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; worker-src blob:; child-src blob:; connect-src data: blob:">
<title>{html.escape(title)}</title>
<style>
html, body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }}
.btn {{ cursor: pointer; border-radius: 6px; background: transparent; color: #fff; border: 1px solid #fff; }}
.obs-legend-item {{ display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }}
.obs-swatch {{ display: inline-block; border: 1px solid #999; }}
{nodata_css}
.pr-made {{ position: absolute; left: 22px; bottom: 4px; font-size: 12px; color: #777; }}
{css}
</style>
</head>
<body>
{nodata_defs}
<div class="obs-present" id="obs-present" data-offline="1">
  <header class="pr-top">
    <span class="pr-deck-title">{html.escape(title)}</span>
    <span class="pr-keys">{html.escape(TEXT["keys"][lang])}</span>
    <div class="pr-nav">
      <button class="btn" id="pr-prev" aria-label="prev">◀</button>
      <span class="pr-counter" id="pr-counter" aria-live="polite"></span>
      <button class="btn" id="pr-next" aria-label="next">▶</button>
    </div>
  </header>
  <main class="pr-slide">
    <h1 class="pr-title" id="pr-title"></h1>
    <div class="pr-grid">
      <section class="pr-text">
        <div class="pr-place" id="pr-place"></div>
        <div class="pr-figure"><span class="pr-value" id="pr-value"></span><span class="pr-unit" id="pr-unit"></span></div>
        <div class="pr-change" id="pr-change"></div>
        <div class="pr-meta" id="pr-meta"></div>
        <p class="pr-sentence" id="pr-sentence"></p>
        <div class="pr-events" id="pr-events"></div>
      </section>
      <section class="pr-visuals">
        <div class="pr-map-wrap">
          <div class="pr-map" id="pr-map"></div>
          <div class="pr-legend" id="pr-legend"></div>
        </div>
        <div class="pr-series-wrap"><div class="pr-series" id="pr-series"></div></div>
      </section>
    </div>
  </main>
  <div class="pr-made">{html.escape(made)}</div>
</div>
<script>{plotly_js}</script>
<script>
const SLIDES = {_json(slides)};
const GEO = {{{geo}}};
</script>
<script>{PLAYER_JS}</script>
</body>
</html>
"""


PLAYER_JS = r"""
(function () {
  'use strict';
  function withGeo(fig) {
    const f = JSON.parse(JSON.stringify(fig));
    (f.data || []).forEach(function (tr) { if (typeof tr.geojson === 'string' && GEO[tr.geojson]) { tr.geojson = GEO[tr.geojson]; } });
    return f;
  }
  // The geo subplot asks for a world base map (topojson) it will not draw (geo.visible is false): give it an
  // empty one so that nothing is fetched.
  const EMPTY = {type: 'Topology', arcs: [], objects: {}};
  ['land', 'ocean', 'lakes', 'rivers', 'countries', 'subunits', 'coastlines'].forEach(function (k) {
    EMPTY.objects[k] = {type: 'GeometryCollection', geometries: []};
  });
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
  window.PlotlyGeoAssets.topojson.world_110m = EMPTY;
  function el(id) { return document.getElementById(id); }
  function text(id, s) { el(id).textContent = s || ''; }
  let cur = 0;
  function hashSlide() { const m = /slide=(\d+)/.exec(location.hash || ''); return m ? Math.max(0, Math.min(SLIDES.length - 1, parseInt(m[1], 10) - 1)) : 0; }
  function show(i) {
    cur = Math.max(0, Math.min(SLIDES.length - 1, i));
    const s = SLIDES[cur];
    text('pr-title', s.title); text('pr-place', s.place); text('pr-value', s.value); text('pr-unit', s.unit);
    text('pr-change', s.change); text('pr-counter', (cur + 1) + ' / ' + SLIDES.length);
    el('pr-meta').innerHTML = '';
    el('pr-meta').appendChild(document.createTextNode(s.meta + ' · '));
    const d = document.createElement('b'); d.textContent = s.date; el('pr-meta').appendChild(d);
    const sen = el('pr-sentence'); sen.innerHTML = ''; sen.appendChild(document.createTextNode(s.sentence));
    s.caveats.forEach(function (c) { const sp = document.createElement('span'); sp.className = 'pr-caveat'; sp.textContent = ' ' + c; sen.appendChild(sp); });
    const ev = el('pr-events'); ev.innerHTML = '';
    if (s.events.length) {
      const ol = document.createElement('ol'); ol.className = 'obs-events';
      s.events.forEach(function (e) {
        const li = document.createElement('li'); const n = document.createElement('span');
        n.className = 'obs-event-n'; n.textContent = e.n; li.appendChild(n);
        li.appendChild(document.createTextNode(' ' + e.date.slice(0, 4) + ' · ' + e.label)); ol.appendChild(li);
      });
      ev.appendChild(ol);
    }
    const lg = el('pr-legend'); lg.innerHTML = '';
    s.legend.forEach(function (it) {
      const item = document.createElement('span'); item.className = 'obs-legend-item';
      const sw = document.createElement('span'); sw.className = 'obs-swatch' + (it.nodata ? ' obs-swatch-nodata' : '');
      sw.style.backgroundColor = it.color; item.appendChild(sw);
      const lab = document.createElement('span'); lab.textContent = it.label; item.appendChild(lab); lg.appendChild(item);
    });
    const cfg = {displayModeBar: false, responsive: true, scrollZoom: false, topojsonURL: 'data:,'};
    window.Plotly.react('pr-map', withGeo(s.map), cfg);
    window.Plotly.react('pr-series', s.series, cfg);
    if (history.replaceState) { history.replaceState(null, '', '#slide=' + (cur + 1)); }
    document.body.setAttribute('data-slide', String(cur + 1));
  }
  el('pr-next').addEventListener('click', function () { show(cur + 1); });
  el('pr-prev').addEventListener('click', function () { show(cur - 1); });
  document.addEventListener('keydown', function (ev) {
    if (['ArrowRight', 'ArrowDown', 'PageDown', ' '].indexOf(ev.key) >= 0) { ev.preventDefault(); show(cur + 1); }
    if (['ArrowLeft', 'ArrowUp', 'PageUp'].indexOf(ev.key) >= 0) { ev.preventDefault(); show(cur - 1); }
    if (ev.key === 'Home') { show(0); } if (ev.key === 'End') { show(SLIDES.length - 1); }
  });
  show(hashSlide());
})();
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m present.pack", description=__doc__.splitlines()[0])
    ap.add_argument("deck", help="a deck name of data/decks/ or a path to a deck JSON file")
    ap.add_argument("--out", required=True, help="the HTML file to write")
    ap.add_argument("--lang", choices=("es", "en"), default="es")
    ap.add_argument("--data-dir", default=None, help="processed data (default: OBS_DATA_DIR or data/processed)")
    args = ap.parse_args(argv)
    try:
        ds = query.get_dataset(args.data_dir)
    except query.DataError as exc:
        print(f"data not available: {exc}", file=sys.stderr)
        return 2
    cat = query.catalog(ds)
    path = Path(args.deck)
    if path.suffix == ".json" and path.is_file():
        deck, problems = decks.load_deck(path.stem, cat, decks_dir=path.parent)
    else:
        deck, problems = decks.load_deck(args.deck, cat)
    if deck is None:
        print(f"invalid deck {args.deck}:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    out = build_pack(ds, deck, args.lang)
    Path(args.out).write_text(out, encoding="utf-8")
    print(f"wrote {args.out}: {len(deck.slides)} slides, {len(out.encode('utf-8')) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
