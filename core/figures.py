"""Figures as plain dicts (no go.Figure: ~40x faster to serialise) and Patches for filter changes.

The map is an SVG choropleth on a Mercator `geo` subplot, six traces (MAP_TRACES, bottom to top), GeoJSON by
URL (fetched once, cached by the browser):
  land:     the countries of the region (level 0), light fill: the context around the values
  nodata_countries: on large maps, countries none of whose units has a value, grey as one area each
  nodata:   units without data (light grey, "Sin datos" / "No data", never coloured as zero)
  data:     units with data, z = class index, discrete ColorBrewer YlOrRd scale
  borders:  the country borders (level 0), outline only
  selected: the selected place (dark outline, transparent fill)
A filter change that keeps the GeoJSON sends only locations / z / hovertext (+ colours and framing).
"""
from __future__ import annotations

import math
import warnings

# at import, not in the first request: with gunicorn --preload mapclassify loads once (~3-7 s)
from mapclassify.classifiers import bin1d, quantile
import numpy as np
import pandas as pd
from dash import Patch

from core import digests
from core.i18n import t
from core.numbers import fmt_change, fmt_count, fmt_rate, fmt_value, grouped_100k, symbols

NO_DATA_COLOR = "#c8c8c8"
# "No data" is light grey with hatching (DESIGN.md), never a colour that could read as a value. The figures keep
# NO_DATA_COLOR as the grey areas' colour (what an exported image, drawn without the page's CSS, shows, and what
# the page's CSS finds them by: assets/02_app.css); on screen and in the server's image they are filled with
# `nodata_pattern`, the legend's swatch drawn the same way (.obs-swatch-nodata)
NODATA_PATTERN_ID = "obs-nodata"
NODATA_STRIPE = ("#ffffff", 0.85)   # a white stripe a third of each period wide, at 45 degrees ("\\")
LAND_COLOR = "#f3f1ec"
BORDER_COLOR = "#444444"
# ColorBrewer YlOrRd, colour-blind safe sequential scheme, per number of classes
YLORRD = {
    1: ["#fd8d3c"],
    2: ["#feb24c", "#e31a1c"],
    3: ["#ffeda0", "#feb24c", "#f03b20"],
    4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
    5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
}
SERIES_COLORS = ["#b2182b", "#2166ac", "#4d4d4d"]   # place, country, region (also dashed/dotted: not colour alone)
SERIES_DASH = ["solid", "dash", "dot"]
SMALL_LINE = ("#08306b", 2.2)   # outline of units whose rate rests on fewer than 20 events (issue 5)
BORDER_LINE = (BORDER_COLOR, 1.6)     # the country borders over the map
SELECTED_LINE = ("#111111", 3.0)      # the selected place's outline


# ---------------------------------------------------------------------------------------------------
def classify(values: np.ndarray, k: int = 5) -> tuple[list[float], np.ndarray]:
    """Quantile classes (mapclassify's Quantiles). Returns (upper bounds, class index per value). Fewer classes
    when there are fewer distinct values.

    `mapclassify.Quantiles(vals, k)` is `quantile` for the bounds and `bin1d` for the classes, then a summary of
    the fit (its sums of squared deviations) the map never shows: three quarters of its ~1 ms at level 2. The
    two functions are called here directly; tests/test_figures.py checks them against Quantiles."""
    vals = np.asarray(values, dtype="float64")
    if vals.size == 0:
        return [], np.zeros(0, dtype=int)
    uniq = np.unique(vals)
    if uniq.size <= k:
        bins = uniq.tolist()
        idx = np.searchsorted(uniq, vals)
        return [float(b) for b in bins], idx.astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        upper = quantile(vals, k=k)
    yb, _ = bin1d(vals, upper)
    return [float(b) for b in upper], np.asarray(yb, dtype=int)


def class_colors(k: int) -> list[str]:
    return YLORRD[max(1, min(5, k))]


def discrete_colorscale(colors: list[str]) -> list[list]:
    """Stepped colorscale for z = 0..k-1 with zmin=-0.5, zmax=k-0.5."""
    k = len(colors)
    if k == 1:
        return [[0, colors[0]], [1, colors[0]]]
    scale = []
    for i, c in enumerate(colors):
        scale.append([i / k, c])
        scale.append([(i + 1) / k, c])
    return scale


def legend_items(values: np.ndarray, bins: list[float], measure: str, locale: str, lang: str,
                 n_missing: int) -> list[dict]:
    """Legend rows: {color, label} per class (ranges formatted for the locale), then 'no data' if any."""
    items = []
    colors = class_colors(len(bins))
    if len(bins):
        lo = float(np.nanmin(values))
        distinct = len(bins) == len(np.unique(values))
        for i, hi in enumerate(bins):
            if distinct:
                label = fmt_value(hi, measure, locale)
            else:
                start = lo if i == 0 else bins[i - 1]
                if measure == "count" and i > 0 and float(start).is_integer():
                    start = start + 1   # counts are whole numbers: 0–1, 2–3, 4–7 (no shared bounds)
                label = f"{fmt_value(start, measure, locale)} – {fmt_value(hi, measure, locale)}"
            items.append({"color": colors[i], "label": label})
    if n_missing:
        items.append({"color": NO_DATA_COLOR, "label": t("no_data", lang), "nodata": True})
    return items


REGION_RANGE = {"lon": [-92.5, -68.0], "lat": [7.0, 20.0]}   # framing when no unit has a box


MIN_ASPECT = 1.14   # width / height of the dashboard's map on a laptop (570 x 500 px at 1366 x 768)


def frame(bbox: tuple[float, float, float, float] | None, min_aspect: float = MIN_ASPECT) -> dict:
    """The lon/lat ranges the map shows for a bounding box (4 % + 0.05 degrees of margin on each side). The
    Mercator `geo` subplot fits these ranges into whatever size the map has (a phone or a projector) and clips
    the drawing to them; a box narrower than `min_aspect` (a tall place) is widened to it, so that on the common
    map shape the neighbours' land reaches the map's edges instead of ending in a visible rectangle."""
    if bbox is None:
        return {"lon": list(REGION_RANGE["lon"]), "lat": list(REGION_RANGE["lat"])}
    minx, miny, maxx, maxy = bbox
    miny, maxy = max(miny, -80.0), min(maxy, 80.0)
    px, py = (maxx - minx) * 0.04 + 0.05, (maxy - miny) * 0.04 + 0.05
    lon = [minx - px, maxx + px]
    lat = [max(miny - py, -85.0), min(maxy + py, 85.0)]

    def merc(deg: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(deg) / 2))

    height = merc(lat[1]) - merc(lat[0])
    width = math.radians(lon[1] - lon[0])
    if height > 0 and width / height < min_aspect:
        half = math.degrees(height * min_aspect) / 2
        mid = (lon[0] + lon[1]) / 2
        lon = [mid - half, mid + half]
    return {"lon": [round(lon[0], 4), round(lon[1], 4)], "lat": [round(lat[0], 4), round(lat[1], 4)]}


# ---------------------------------------------------------------------------------------------------
def map_payload(table: pd.DataFrame, *, measure: str, year: int, lang: str, locale: str,
                source_labels: dict[str, str], selected: str | None, view: dict,
                land_ids: list[str] | None = None, whole: frozenset[str] = frozenset()) -> dict:
    """Everything the map needs for one view, as plain data (cacheable).

    `table` is core.query.map_table's output; `source_labels` maps source ids to short names;
    `view` is frame()'s output; `land_ids` the countries the land GeoJSON has (`grey_countries`: a country
    without any value is drawn grey as one area on large maps); `whole` the countries always drawn so (the
    level's GeoJSON leaves their units out: core.query.whole_countries)."""
    value = table["value"].to_numpy(dtype="float64")
    has = ~np.isnan(value)
    all_ids = table["unit_id"].to_numpy(dtype=object)
    rows = np.flatnonzero(has)   # the units with a value, by id: the same list for views with the same units, so
    rows = rows[np.argsort(all_ids[rows], kind="stable")]   # a change need not send it again (map_patch)
    vals = value[rows]
    bins, idx = classify(vals)
    n = len(rows)
    texts = _hover_texts(table, rows, measure=measure, year=year, lang=lang, locale=locale,
                         source_labels=source_labels)
    n_missing = int((~has).sum())
    missing, grey = grey_countries(all_ids, table["country"].to_numpy(dtype=object), has, land_ids, whole)
    small = (table["small"].to_numpy(dtype=bool)[rows].tolist() if "small" in table and measure == "rate"
             else [False] * n)
    return {
        "line_width": [SMALL_LINE[1] if s else 0.6 for s in small],
        "line_color": [SMALL_LINE[0] if s else "#ffffff" for s in small],
        "ids": all_ids[rows].tolist(),
        "z": [int(i) for i in idx],
        "hovertext": texts,
        "k": len(bins),
        "colors": class_colors(len(bins)) if bins else [],
        "legend": legend_items(vals, bins, measure, locale, lang, n_missing),
        "missing": missing,
        "missing_countries": grey,
        "n_units": len(all_ids),
        "selected": [selected] if selected and selected in set(all_ids.tolist()) else [],
        "view": view,
    }


def _hover_texts(table: pd.DataFrame, rows: np.ndarray, *, measure: str, year: int, lang: str, locale: str,
                 source_labels: dict[str, str]) -> list[str]:
    """One tooltip per row of `table` at the positions `rows` (the units with a value). Reads each column once
    as a list (itertuples built a row object per unit and cost ~5 ms per view); the labels that do not depend on
    the row are made once."""
    n = len(rows)
    if n == 0:
        return []

    def col(name: str, default=None) -> list:   # columns without a default are required
        if default is not None and name not in table:
            return [default] * n
        return table[name].to_numpy()[rows].tolist()

    value_label = t("rate_short" if measure == "rate" else "count_short", lang)
    unit_suffix = " " + grouped_100k(t("per_100k", lang), symbols(locale)[1]) if measure == "rate" else ""
    count_label, rate_label = t("count_short", lang), t("rate_short", lang)
    small_line, tie_suffix = t("small_n", lang), t("tie_suffix", lang)
    change_vs = t("change_vs", lang, year=year - 1)
    source_label = t("source", lang)
    texts = []
    for (value, count, rate, pooled, pool_years, pooled_count, small, rank, tie, change_pct, source,
         rate_computed, population_source) in zip(
            col("value"), col("count"), col("rate"), col("pooled", False), col("pool_years", ""),
            col("pooled_count", float("nan")), col("small", False), col("rank"), col("tie", False),
            col("change_pct"), col("source"), col("rate_computed"), col("population_source")):
        lines = [f"{value_label}: <b>{fmt_value(value, measure, locale)}</b>{unit_suffix}"]
        if measure == "rate" and not math.isnan(count):
            lines.append(f"{count_label}: {fmt_count(count, locale)}")
        elif measure == "count" and not math.isnan(rate):
            lines.append(f"{rate_label}: {fmt_rate(rate, locale)}")
        if pooled:
            lines[0] = f"{value_label}: <b>{fmt_value(value, measure, locale)}</b>{unit_suffix} " \
                       f"({t('flag_pooled', lang, years=pool_years)})"
            lines.insert(1, t("pooled_line", lang, years=pool_years, count=fmt_count(pooled_count, locale)))
        if small:
            lines.append(small_line)
        lines.append(t("rank_of", lang, rank=int(rank), n=n) + (tie_suffix if tie else ""))
        if not math.isnan(change_pct):
            lines.append(f"{fmt_change(change_pct, locale)} {change_vs}")
        src = source_labels.get(source, source or "")
        lines.append(f"{source_label}: {src}")
        if measure == "rate" and rate_computed and isinstance(population_source, str):
            lines.append(t("computed_rate", lang, source=source_labels.get(population_source, population_source)))
        texts.append("<br>".join(lines))
    return texts


def _data_trace_style(payload: dict) -> dict:
    k = max(payload["k"], 1)
    colors = payload["colors"] or class_colors(1)
    return {"zmin": -0.5, "zmax": k - 0.5, "colorscale": discrete_colorscale(colors)}


NODATA_OUTLINE_MAX_UNITS = 300


def rgb(color: str) -> str:
    """'#c8c8c8' -> 'rgb(200, 200, 200)', as plotly.js writes a fill."""
    return "rgb(%d, %d, %d)" % tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def nodata_pattern(pattern_id: str = NODATA_PATTERN_ID, period: float = 6.0) -> str:
    """The SVG <pattern> of the no-data hatching: NO_DATA_COLOR with a white stripe every `period` user units
    (pixels on the page; the server's image gives its own units per pixel), at 45 degrees like the legend's."""
    p, s = f"{period:.4g}", f"{period / 3:.4g}"
    return (f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="{p}" height="{p}" '
            f'patternTransform="rotate(-45)"><rect width="{p}" height="{p}" fill="{NO_DATA_COLOR}"/>'
            f'<rect width="{s}" height="{p}" fill="{NODATA_STRIPE[0]}" fill-opacity="{NODATA_STRIPE[1]}"/>'
            "</pattern>")


def nodata_css() -> str:
    """The CSS of the hatching on a page (assets/02_app.css has it verbatim; present/pack.py writes it): the maps'
    grey areas filled with the pattern (plain grey if it were missing), the legend's swatch striped alike."""
    return (f'.js-plotly-plot .choroplethlayer path[fill="{rgb(NO_DATA_COLOR)}"] '
            f"{{ fill: url(#{NODATA_PATTERN_ID}) {rgb(NO_DATA_COLOR)}; }}\n"
            ".obs-swatch-nodata { background-image: repeating-linear-gradient(45deg, transparent 0 4px, "
            "rgba(255,255,255,.85) 4px 6px); }")


def nodata_page_defs() -> str:
    """The hatching's pattern for the page (app.py puts it in every page Dash serves), in an SVG of no size."""
    return (f'<svg class="obs-defs" width="0" height="0" aria-hidden="true" focusable="false">'
            f"<defs>{nodata_pattern()}</defs></svg>")


def nodata_line_width(payload: dict) -> float:
    """White outline of the grey no-data areas: 0.6 px on maps of up to 300 units, none above."""
    return 0.6 if payload["n_units"] <= NODATA_OUTLINE_MAX_UNITS else 0


def grey_countries(ids: np.ndarray, countries: np.ndarray, has: np.ndarray, land_ids: list[str] | None,
                   always: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(the units without a value drawn one by one, the countries drawn grey as one area), both sorted.

    On a map of more than NODATA_OUTLINE_MAX_UNITS units the grey areas have no outline, so a country none of
    whose units has a value looks the same drawn as its own outline (the land GeoJSON's feature, `land_ids`)
    as drawn unit by unit: at level 2 for the region, ~1,290 of the 1,366 areas (only Costa Rica publishes
    municipal figures) become six. Its tooltip then names the country and says it has no data at this level.
    Smaller maps keep every unit, with the white outlines that show a country's departments. A country in
    `always` (its units are not in the map's GeoJSON: core.query.whole_countries) is drawn whole on any map."""
    none = ~has
    if not none.any():
        return [], []
    lacking = set(countries[none].tolist()) - set(countries[has].tolist())
    whole = set(always) & lacking
    if land_ids and len(ids) > NODATA_OUTLINE_MAX_UNITS:
        whole |= lacking & set(land_ids)
    whole = sorted(whole)
    if not whole:
        return sorted(ids[none].tolist()), []
    one_by_one = none & ~np.isin(countries, np.array(whole, dtype=object))
    return sorted(ids[one_by_one].tolist()), whole


# trace order of the map: what is drawn first lies below
MAP_TRACES = ("land", "nodata_countries", "nodata", "data", "borders", "selected")
TRACE = {name: i for i, name in enumerate(MAP_TRACES)}


def _fill(color: str) -> list[list]:
    return [[0, color], [1, color]]


def name_property(level: int, lang: str) -> str:
    """The GeoJSON property a tooltip names an area by: the countries' GeoJSON (level 0) carries their English
    names too (core.query._build_geo); below, the boundaries' English names are the names."""
    return "name_en" if lang == "en" and level == 0 else "name"


def map_figure(payload: dict, *, geo_url: str, outline_urls: list[str], land_url: str, lang: str,
               separators: str, uirevision: str) -> dict:
    """The full map figure (sent when the GeoJSON changes: level or country).

    An SVG `choropleth` on a Mercator `geo` subplot with no base map: the land of the region and the country
    borders are our own level-0 boundaries (`payload["land_ids"]`), drawn as traces below and above the values.
    Measured against the WebGL `choroplethmap` on the same 1,350 areas (docs/PERFORMANCE.md): drawn in ~1.1 s
    instead of ~3.5 s after navigation, redrawn in ~0.3 s instead of ~0.7 s, with a plotly.js bundle a third
    the size (no MapLibre)."""
    unit_name, country_name = name_property(payload.get("level", 1), lang), name_property(0, lang)
    nodata_tpl = f"<b>%{{properties.{unit_name}}}</b><br>{t('no_data', lang)}<extra></extra>"
    land_ids = payload.get("land_ids") or []
    zeros = [0] * len(land_ids)
    data = [None] * len(MAP_TRACES)
    data[TRACE["land"]] = {
        "type": "choropleth", "name": "land", "geojson": land_url, "featureidkey": "id", "locations": land_ids,
        "z": zeros, "colorscale": _fill(LAND_COLOR), "showscale": False, "hoverinfo": "skip",
        "marker": {"line": {"width": 0, "color": LAND_COLOR}}}
    grey = payload["missing_countries"]
    data[TRACE["nodata_countries"]] = {   # countries without any value, each as one area (grey_countries)
        "type": "choropleth", "name": "nodata_countries", "geojson": land_url, "featureidkey": "id",
        "locations": grey, "z": [0] * len(grey), "colorscale": _fill(NO_DATA_COLOR), "showscale": False,
        "marker": {"line": {"width": 0, "color": NO_DATA_COLOR}, "opacity": 1},
        "hovertemplate": f"<b>%{{properties.{country_name}}}</b><br>{t('no_data_here', lang)}<extra></extra>"}
    data[TRACE["nodata"]] = {
        "type": "choropleth", "name": "nodata", "geojson": geo_url, "featureidkey": "id",
        "locations": payload["missing"], "z": [0] * len(payload["missing"]),
        "colorscale": _fill(NO_DATA_COLOR), "showscale": False,
        # outlines on the grey areas only on small maps: a country without data still shows its departments
        "marker": {"line": {"width": nodata_line_width(payload), "color": "#ffffff"}, "opacity": 1},
        "hovertemplate": nodata_tpl}
    data[TRACE["data"]] = {
        "type": "choropleth", "name": "data", "geojson": geo_url, "featureidkey": "id",
        "locations": payload["ids"], "z": payload["z"], "hovertext": payload["hovertext"],
        "showscale": False, "marker": {"line": {"width": payload.get("line_width", 0.6),
                                                "color": payload.get("line_color", "#ffffff")}, "opacity": 1},
        "hovertemplate": f"<b>%{{properties.{unit_name}}}</b><br>%{{hovertext}}<extra></extra>",
        **_data_trace_style(payload)}
    # only the outermost outline (the country borders): the intermediate one (departments under a level-2 map)
    # cost ~35% of every draw and redraw (bench/, docs/PERFORMANCE.md)
    border_url = (outline_urls or [land_url])[-1]
    data[TRACE["borders"]] = {
        "type": "choropleth", "name": "borders", "geojson": border_url, "featureidkey": "id",
        "locations": land_ids if border_url == land_url else [], "z": zeros if border_url == land_url else [],
        "colorscale": _fill("rgba(0,0,0,0)"), "showscale": False, "hoverinfo": "skip",
        "marker": {"line": {"width": BORDER_LINE[1], "color": BORDER_LINE[0]}}}
    data[TRACE["selected"]] = {
        "type": "choropleth", "name": "selected", "geojson": geo_url, "featureidkey": "id",
        "locations": payload["selected"], "z": [0] * len(payload["selected"]),
        "colorscale": _fill("rgba(0,0,0,0)"), "showscale": False,
        "marker": {"line": {"width": SELECTED_LINE[1], "color": SELECTED_LINE[0]}}, "hoverinfo": "skip"}
    view = payload["view"]
    layout = {
        # no base map at all (world topojson: an empty one, assets/00_plotly.js): nothing is fetched from a CDN
        "geo": {"visible": False, "projection": {"type": "mercator"}, "bgcolor": "#ffffff", "showframe": False,
                "scope": "world", "resolution": 110,
                "lonaxis": {"range": view["lon"]}, "lataxis": {"range": view["lat"]}},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": "#ffffff",
        "showlegend": False,
        "separators": separators,
        "uirevision": uirevision,
        "hoverlabel": {"bgcolor": "#ffffff", "font": {"size": 14, "color": "#111111"}, "bordercolor": "#555"},
        "clickmode": "event",
        "dragmode": "pan",
    }
    return {"data": data, "layout": layout}


def ids_digest(ids: list[str]) -> str:
    """A short digest of a list of unit ids (what the browser already has, kept in the map-meta store)."""
    return digests.digest(ids, 16)


EVENT_KEYS = ("annotations", "meta", "shapes")   # the trend's events (labels, their sources, lines) and year line


def layout_key(layout: dict) -> str:
    """A short digest of a figure's layout in two parts, "<events>.<rest>": its EVENT_KEYS (most of the trend's
    layout) and everything else (axes, legend...). The browser keeps the key of the layout it shows in the
    `series-shown` store; a part it shows already is not sent again (figure_for)."""
    return (digests.digest({k: layout.get(k) for k in EVENT_KEYS}) + "."
            + digests.digest({k: v for k, v in layout.items() if k not in EVENT_KEYS}))


def figure_for(fig: dict, shown: object) -> tuple[dict, str]:
    """(what to send for a figure, its layout's key). `shown` is the key of the layout the browser shows (from the
    browser: anything but such a key sends the whole figure). The same key: only the data goes, with
    `keep_layout`; the same events part: the data and the layout without EVENT_KEYS, with `keep` naming them.
    The browser's panels (assets/20_panels.js) then take what is kept from the layout they show. ~1 KB gzipped of
    most changes: the trend's layout, its events' lines and labels above all, is the same while the year is."""
    key = layout_key(fig["layout"])
    if isinstance(shown, str) and shown == key:
        return {"data": fig["data"], "keep_layout": key}, key
    if isinstance(shown, str) and shown.split(".")[0] == key.split(".")[0] and len(shown) == len(key):
        rest = {k: v for k, v in fig["layout"].items() if k not in EVENT_KEYS}
        return {"data": fig["data"], "layout": rest, "keep": list(EVENT_KEYS)}, key
    return fig, key


def map_patch(payload: dict, *, reframe: bool, send_missing: bool = True, send_ids: bool = True) -> Patch:
    """Only the values (and framing when the focus changed): no GeoJSON, no layout rebuild. send_missing=False
    leaves the grey no-data areas as the browser has them (their ids were ~3 KB gzipped of every change);
    send_ids=False the coloured areas' ids (the same list, in the same order: map_payload sorts them), whose values
    and tooltips are sent (~0.35 KB gzipped of a level-2 change)."""
    p = Patch()
    nodata, data, selected = (p["data"][TRACE[k]] for k in ("nodata", "data", "selected"))
    if send_missing:
        nodata["locations"] = payload["missing"]
        nodata["z"] = [0] * len(payload["missing"])
        grey = payload["missing_countries"]
        p["data"][TRACE["nodata_countries"]]["locations"] = grey
        p["data"][TRACE["nodata_countries"]]["z"] = [0] * len(grey)
    if send_ids:
        data["locations"] = payload["ids"]
    data["z"] = payload["z"]
    data["hovertext"] = payload["hovertext"]
    style = _data_trace_style(payload)
    data["zmin"] = style["zmin"]
    data["zmax"] = style["zmax"]
    data["colorscale"] = style["colorscale"]
    data["marker"]["line"]["width"] = payload.get("line_width", 0.6)
    data["marker"]["line"]["color"] = payload.get("line_color", "#ffffff")
    selected["locations"] = payload["selected"]
    selected["z"] = [0] * len(payload["selected"])
    if reframe:
        p["layout"]["geo"]["lonaxis"]["range"] = payload["view"]["lon"]
        p["layout"]["geo"]["lataxis"]["range"] = payload["view"]["lat"]
    return p


# ---------------------------------------------------------------------------------------------------
def series_figure(lines: list[dict], *, measure: str, lang: str, separators: str, year: int | None) -> dict:
    """Time series: lines = [{name, years, values, sources}] (place, country, region). Gaps are not joined;
    single years show as markers."""
    data = []
    ys = []
    for i, ln in enumerate(lines):
        fmt = ",.1f" if measure == "rate" else ",.0f"
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": ln["name"],
            "x": ln["years"], "y": [None if v is None else round(v, 2) for v in ln["values"]],   # 2 decimals drawn
            "customdata": ln["sources"],
            "line": {"color": SERIES_COLORS[i % 3], "width": 3, "dash": SERIES_DASH[i % 3]},
            "marker": {"size": 8, "color": SERIES_COLORS[i % 3]},
            "connectgaps": False,
            "hovertemplate": f"<b>{_escape(ln['name'])}</b> %{{x}}<br>%{{y:{fmt}}}<br>"
                             f"{t('source', lang)}: %{{customdata}}<extra></extra>",
        })
        ys.extend(v for v in ln["values"] if v is not None)
    all_years = sorted({y for ln in lines for y, v in zip(ln["years"], ln["values"]) if v is not None})
    xaxis = {"tickformat": "d", "showgrid": False, "fixedrange": True, "tickfont": {"size": 13}}
    if all_years:
        xaxis["range"] = [min(all_years) - 0.5, max(all_years) + 0.5]
        span = max(all_years) - min(all_years)
        if span <= 8:      # one tick a year only while the labels fit beside the map (they overlapped at 12)
            xaxis["dtick"] = 1
        elif span <= 20:
            xaxis["dtick"] = 2
    shapes = []
    if year is not None and all_years:
        shapes.append({"type": "line", "x0": year, "x1": year, "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"color": "#999", "width": 1, "dash": "dot"}})
    layout = {
        "margin": {"l": 48, "r": 12, "t": 8, "b": 36},
        "separators": separators,
        "xaxis": xaxis,
        "yaxis": {"rangemode": "tozero", "fixedrange": True, "gridcolor": "#e5e5e5", "tickfont": {"size": 13},
                  "title": {"text": grouped_100k(t("rate" if measure == "rate" else "count", lang),
                                                 separators[1:2] or ","), "font": {"size": 12}}},
        "legend": {"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 13}},
        "showlegend": True,
        "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff",
        "hovermode": "closest",
        "shapes": shapes,
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
    }
    return {"data": data, "layout": layout}


def with_side_legend(fig: dict) -> dict:
    """A copy of a trend figure with its legend at the side when it has more than three lines (the region's
    countries): for a short, wide frame (an embed's 600x450) where a legend of rows under the plot would leave it
    ~100 px high. The figure given is not changed (it may be a cached one)."""
    if len(fig.get("data") or []) <= 3:
        return fig
    layout = dict(fig.get("layout") or {})
    layout["legend"] = {"orientation": "v", "x": 1.01, "y": 1, "yanchor": "top", "font": {"size": 12}}
    return {**fig, "layout": layout}


def _escape(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
