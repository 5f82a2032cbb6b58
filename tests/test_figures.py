"""Pure figure functions: plain dicts, GeoJSON by URL, Patches without geometry, classed legend, no-data grey."""
import json
import math
import warnings

import numpy as np
import orjson
import pytest

from core import figures, query, view
from core.viewstate import resolve


def _payload(ds, q):
    state = resolve(q, query.catalog(ds))[0]
    return state, view.map_view(ds, state)


def test_classify_quantiles_and_few_values():
    vals = np.arange(1, 101, dtype=float)
    bins, idx = figures.classify(vals, 5)
    assert bins == pytest.approx([20.8, 40.6, 60.4, 80.2, 100.0])
    assert idx.min() == 0 and idx.max() == 4
    bins2, idx2 = figures.classify(np.array([3.0, 1.0, 3.0]))
    assert bins2 == [1.0, 3.0] and idx2.tolist() == [1, 0, 1]


def test_classify_is_mapclassify_quantiles():
    """figures.classify calls mapclassify's quantile and bin1d without the fit summary Quantiles adds: the same
    bounds and classes as Quantiles, on the maps' values and on awkward ones (ties, a long tail, few values)."""
    import mapclassify

    rng = np.random.default_rng(7)
    cases = [rng.gamma(2.0, 50.0, 470).round(), rng.gamma(0.5, 3.0, 1366), rng.integers(0, 4, 300).astype(float),
             np.r_[np.zeros(200), np.arange(1.0, 50.0)], np.array([0.5, 0.5, 0.5, 2.0, 2.0, 9.0, 10.0])]
    ds = query.get_dataset()
    for off in ("homicide", "theft", "robbery"):
        cols = query.map_columns(ds, 2, None, off, 2023, "total", "total", "count")
        vals = cols["value"][~np.isnan(cols["value"])]
        if len(vals):
            cases.append(vals)
    for vals in cases:
        bins, idx = figures.classify(vals, 5)
        if len(np.unique(vals)) <= 5:
            continue   # fewer distinct values than classes: one class per value, not Quantiles
        with warnings.catch_warnings():   # "Not enough unique values ... Setting k to 2": as classify does
            warnings.simplefilter("ignore")
            q = mapclassify.Quantiles(vals, k=5)
        assert bins == [float(b) for b in q.bins]
        assert idx.tolist() == np.asarray(q.yb).tolist()


def test_legend_is_formatted_per_locale():
    vals = np.array([1234.5, 2000.25, 3000.0, 4000.0, 5000.0, 6000.0, 7000.0])
    bins, _ = figures.classify(vals)
    es = figures.legend_items(vals, bins, "rate", "es_CR", "es", n_missing=2)
    en = figures.legend_items(vals, bins, "rate", "en", "en", n_missing=0)
    assert es[0]["label"].startswith("1\xa0234,5 – ")
    assert en[0]["label"].startswith("1,234.5 – ")
    assert es[-1] == {"color": figures.NO_DATA_COLOR, "label": "Sin datos", "nodata": True}
    assert all(not i.get("nodata") for i in en)


def test_full_map_figure_uses_geojson_url(ds):
    state, p = _payload(ds, "country=CRI&level=2&year=2023&unit=CRI")
    fig = figures.map_figure(p, geo_url=p["geo_url"], outline_urls=p["outline_urls"], land_url=p["land_url"],
                             lang="es", separators=p["separators"], uirevision="x")
    assert isinstance(fig, dict)
    tr = {t["name"]: t for t in fig["data"]}
    assert [t["name"] for t in fig["data"]] == list(figures.MAP_TRACES)   # land below, selected outline on top
    assert all(t["type"] == "choropleth" and isinstance(t["geojson"], str) for t in fig["data"])
    for name in ("nodata", "data", "selected"):
        assert tr[name]["geojson"].startswith("/geo/level-2.json?country=CRI")
    # land and borders under a country's map: the region's countries at the pipeline's detail (not the
    # region-scale ones), every feature of the level-0 GeoJSON the URL serves
    level0 = [f["id"] for f in json.loads(query.geojson(ds, 0, query.DETAIL).body)["features"]]
    assert level0 == [f["id"] for f in json.loads(query.geojson(ds, 0, query.REGION).body)["features"]]
    for name in ("land", "borders"):
        assert tr[name]["geojson"].startswith("/geo/level-0.json?country=DETAIL&v=")
        assert tr[name]["locations"] == level0 and len(tr[name]["z"]) == len(level0)
        assert tr[name]["hoverinfo"] == "skip"
    # the region-wide map: level 0 at region scale under it
    _, pr = _payload(ds, "country=region&level=2&year=2023")
    assert pr["land_url"].startswith("/geo/level-0.json?country=region&v=") and pr["outline_urls"][-1] == pr["land_url"]
    # no base map: no tiles, no world topojson drawn, no MapLibre subplot
    assert fig["layout"]["geo"]["visible"] is False and "map" not in fig["layout"] and "mapbox" not in fig["layout"]
    assert "coordinates" not in orjson.dumps(fig).decode()
    data = tr["data"]
    assert set(data["locations"]) == {"CRI-101", "CRI-102", "CRI-201"}
    assert tr["nodata"]["locations"] == []
    # Escazú: 100/300,000 -> 33.3 per 100k, Costa Rica alone -> decimal comma
    i = data["locations"].index("CRI-101")
    assert "33,3" in data["hovertext"][i] and "INEC" in data["hovertext"][i]


def test_no_data_units_are_grey_not_zero(ds):
    _, p = _payload(ds, "level=1&year=2023")
    fig = figures.map_figure(p, geo_url=p["geo_url"], outline_urls=p["outline_urls"], land_url=p["land_url"],
                             lang="en", separators=".,", uirevision="x")
    nodata, data = fig["data"][figures.TRACE["nodata"]], fig["data"][figures.TRACE["data"]]
    assert set(nodata["locations"]) == {"GT-GU", "GT-ES", "HN-FM", "HN-CR", "SV-SS"}
    assert nodata["colorscale"][0][1] == figures.NO_DATA_COLOR
    assert "No data" in nodata["hovertemplate"]
    assert set(data["locations"]) == {"CR-SJ", "CR-A"}
    assert "El Salvador" in p["message"]


def test_grey_countries_split():
    """Units without a value: on a large map a country none of whose units has one is drawn as one grey area
    (its land feature); a country with some values, or without a land feature, keeps its units one by one."""
    ids = np.array(["A-1", "A-2", "B-1", "B-2", "C-1", "D-1"], dtype=object)
    ctry = np.array(["A", "A", "B", "B", "C", "D"], dtype=object)
    has = np.array([False, False, True, False, False, False])
    land = ["A", "B", "C"]                      # D has no land feature
    assert figures.grey_countries(ids, ctry, has, land) == (["A-1", "A-2", "B-2", "C-1", "D-1"], [])  # small map
    lim = figures.NODATA_OUTLINE_MAX_UNITS
    try:
        figures.NODATA_OUTLINE_MAX_UNITS = 5
        assert figures.grey_countries(ids, ctry, has, land) == (["B-2", "D-1"], ["A", "C"])
        assert figures.grey_countries(ids, ctry, has, None) == (["A-1", "A-2", "B-2", "C-1", "D-1"], [])
        assert figures.grey_countries(ids, ctry, np.ones(6, dtype=bool), land) == ([], [])
        assert figures.grey_countries(ids, ctry, np.zeros(6, dtype=bool), land) == (["D-1"], ["A", "B", "C"])
    finally:
        figures.NODATA_OUTLINE_MAX_UNITS = lim


def test_geojson_leaves_out_only_what_the_map_draws_whole():
    """query leaves a country's units out of a region-wide GeoJSON on the same maps as figures draws grey
    countries whole without outlines: one number for both (and grey_countries(always=...) draws a left-out
    country whole whatever it is)."""
    assert query.REGION_WHOLE_GREY_MIN_UNITS == figures.NODATA_OUTLINE_MAX_UNITS


def test_countries_without_values_grey_as_one_area(ds, monkeypatch):
    """The fixture's region map made a large one: Guatemala, Honduras and El Salvador have no value at level 1,
    so they are drawn grey from the land GeoJSON, with a tooltip that says so; the legend still says 'No data';
    the patch of a change carries them with the grey units."""
    monkeypatch.setattr(figures, "NODATA_OUTLINE_MAX_UNITS", 3)
    _, p = _payload(ds, "level=1&year=2023&lang=en")
    assert p["missing_countries"] == ["GTM", "HND", "SLV"] and p["missing"] == [] and p["n_units"] == 7
    assert p["legend"][-1]["nodata"] is True
    fig = figures.map_figure(p, geo_url=p["geo_url"], outline_urls=p["outline_urls"], land_url=p["land_url"],
                             lang="en", separators=".,", uirevision="x")
    grey = fig["data"][figures.TRACE["nodata_countries"]]
    assert grey["geojson"] == p["land_url"] and grey["locations"] == ["GTM", "HND", "SLV"]
    assert grey["colorscale"][0][1] == figures.NO_DATA_COLOR and "No data at this level" in grey["hovertemplate"]
    assert fig["data"][figures.TRACE["nodata"]]["locations"] == []
    assert figures.nodata_line_width(p) == 0        # a large map: no outlines on grey, as before the split
    ops = {tuple(op["location"]): op["params"]["value"]
           for op in figures.map_patch(p, reframe=False).to_plotly_json()["operations"]}
    assert ops[("data", figures.TRACE["nodata_countries"], "locations")] == ["GTM", "HND", "SLV"]
    kept = {tuple(op["location"]) for op in
            figures.map_patch(p, reframe=False, send_missing=False).to_plotly_json()["operations"]}
    assert ("data", figures.TRACE["nodata_countries"], "locations") not in kept


def test_region_maps_draw_only_features_their_geojson_has():
    """The committed data, every offence and sex at levels 1 and 2 for the region: each area the map draws one by
    one (values, grey units, the selected place) is a feature of the level's GeoJSON, and each country the
    GeoJSON leaves out (query.whole_countries) is drawn grey whole, from the land GeoJSON."""
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    from core.controller import sync
    for level in (1, 2):
        features = set(query.geo_ids(real, level, query.REGION))
        whole = query.whole_countries(real, level, query.REGION)
        land = set(query.geo_ids(real, 0, query.REGION))
        for off in real.offenses:
            for sex in ("total", "female", "male"):
                state = sync(real, None, f"?country=region&level={level}&offense={off}&sex={sex}").state
                p = view.map_view(real, state)
                drawn = set(p["ids"]) | set(p["missing"]) | set(p["selected"])
                assert drawn <= features, (level, off, sex, sorted(drawn - features)[:5])
                assert whole <= set(p["missing_countries"]) <= land
    assert query.whole_countries(real, 2, query.REGION) and not query.whole_countries(real, 1, query.REGION)


def test_patch_carries_only_values(ds):
    _, p = _payload(ds, "country=CRI&level=1&year=2023&unit=CRI")
    patch = figures.map_patch(p, reframe=False).to_plotly_json()
    body = orjson.dumps(patch)
    assert b"geojson" not in body and b"coordinates" not in body
    assert len(body) < 3000
    ops = {tuple(op["location"]) for op in patch["operations"]}
    d = figures.TRACE["data"]
    assert ("data", d, "locations") in ops and ("data", d, "hovertext") in ops
    assert not any(loc[0] == "layout" for loc in ops)
    # the land and the borders never travel again
    assert not any(loc[:2] in (("data", figures.TRACE["land"]), ("data", figures.TRACE["borders"])) for loc in ops)
    reframed = {tuple(op["location"]): op["params"]["value"]
                for op in figures.map_patch(p, reframe=True).to_plotly_json()["operations"]}
    assert reframed[("layout", "geo", "lonaxis", "range")] == p["view"]["lon"]
    assert reframed[("layout", "geo", "lataxis", "range")] == p["view"]["lat"]


def _merc(lat):
    import math
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _aspect(v):
    import math
    return math.radians(v["lon"][1] - v["lon"][0]) / (_merc(v["lat"][1]) - _merc(v["lat"][0]))


def test_frame_fits_bbox_with_a_margin():
    # a wide box: 4 % + 0.05 degrees on each side, nothing else (20 degrees -> 0.85; 1 degree -> 0.09)
    wide = figures.frame((-90.0, 14.0, -70.0, 15.0))
    assert wide["lon"] == pytest.approx([-90.85, -69.15]) and wide["lat"] == pytest.approx([13.91, 15.09])
    # a square or tall box keeps its latitudes and is widened about its middle to the laptop map's shape
    v = figures.frame((-85.0, 9.0, -83.0, 11.0))
    assert v["lat"] == pytest.approx([8.87, 11.13])
    assert v["lon"][0] < -85.13 and v["lon"][1] > -82.87 and sum(v["lon"]) / 2 == pytest.approx(-84.0, abs=1e-3)
    assert _aspect(v) == pytest.approx(figures.MIN_ASPECT, abs=1e-3)
    tall = figures.frame((-84.5, 8.0, -84.0, 11.5))
    assert _aspect(tall) == pytest.approx(figures.MIN_ASPECT, abs=1e-3)
    big = figures.frame((-92, 9, -83, 17))
    assert big["lon"][0] < -92 and big["lon"][1] > -83 and big["lat"][0] < 9 and big["lat"][1] > 17
    assert figures.frame(None) == figures.REGION_RANGE      # nothing to frame: the whole region


def test_series_figure(ds):
    state = resolve("country=CRI&level=1&unit=CR-SJ&year=2023", query.catalog(ds))[0]
    res = view.series_view(ds, state)
    fig = res["figure"]
    names = [tr["name"] for tr in fig["data"]]
    assert names == ["San José", "Costa Rica", "Región"]
    sj = fig["data"][0]
    assert sj["x"] == [2022, 2023]
    assert sj["y"] == pytest.approx([round(280 / 1_580_000 * 1e5, 2), 18.75])
    assert fig["layout"]["separators"][0] == ","
    json.dumps(fig)   # plain, serialisable


@pytest.mark.parametrize("search", ["country=region&level=0&year=2022", "country=region&level=2&year=2023",
                                    "country=region&level=0&year=2020&offense=robbery&measure=count"])
def test_region_trend_years_lie_flat_above_its_legend(search):
    """The region's trend has a line per country and its legend under the plot in two columns (at the side it took
    ~170 px of a ~410 px panel on a 1366 px screen, and a phone's plot was ~100 px wide): its years are at most 5,
    level, whole years apart, inside the plotted range. On the committed data (a 35-year span and an 11-year one)."""
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    state = resolve(search, query.catalog(real))[0]
    fig = view.series_view(real, state)["figure"]
    leg = fig["layout"]["legend"]
    assert len(fig["data"]) >= 3 and leg["orientation"] == "h" and leg["yanchor"] == "top" and leg["y"] < 0
    assert (leg["entrywidth"], leg["entrywidthmode"]) == (0.5, "fraction")
    ax = fig["layout"]["xaxis"]
    lo, hi = ax["range"]
    ticks = [y for y in range(math.ceil(lo), math.floor(hi) + 1) if (y - (ax.get("tick0") or 0)) % ax["dtick"] == 0]
    assert ax["tickangle"] == 0 and isinstance(ax["dtick"], int) and 3 <= len(ticks) <= 5, (lo, hi, ax["dtick"])


def test_map_note_says_which_countries_have_no_units_at_the_level():
    """Belize has districts but no municipalities in the boundaries: on the region's level-2 map it is plain land,
    not grey. The note says so in its own sentence; it never lists Belize among the countries without data, and
    says nothing of the kind where every country has units (committed data)."""
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    units = query.catalog(real).levels_with_units
    assert ("BLZ", 1) in units and ("BLZ", 2) not in units
    for lang, no_data, undivided in (("es", "Sin datos a este nivel: ", "Sin división territorial a este nivel: "),
                                     ("en", "No data at this level: ", "No subdivision at this level: ")):
        msg = view.map_view(real, resolve(f"country=region&level=2&lang={lang}", query.catalog(real))[0])["message"]
        lacking, _, rest = msg.partition(undivided)
        assert lacking.startswith(no_data) and "Belize" not in lacking and "Guatemala" in lacking
        assert rest == "Belize."
        lvl1 = view.map_view(real, resolve(f"country=region&level=1&lang={lang}", query.catalog(real))[0])["message"]
        assert undivided not in lvl1


def test_country_names_follow_the_page_language():
    """The committed boundaries name two countries differently in English (República Dominicana / Dominican
    Republic, Panamá / Panama; Belize is "Belize" in both by a reviewed crosswalk decision). The English page says
    the English name in its country list, trend, notes and headline, and its map's tooltips read the GeoJSON's
    `name_en` (which only the countries' GeoJSON carries); the Spanish page is unchanged."""
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    assert (real.name("DOM"), real.name("DOM", "es"), real.name("DOM", "en")) == \
        ("República Dominicana", "República Dominicana", "Dominican Republic")
    assert real.name("PAN", "en") == "Panama" and real.name("BLZ", "en") == real.name("BLZ") == "Belize"
    assert real.name("no-such-unit", "en") == "no-such-unit"
    # the GeoJSON: the countries with both names, the departments with their name only
    lvl0 = json.loads(query.geojson(real, 0, query.REGION).body)
    names = {f["id"]: f["properties"] for f in lvl0["features"]}
    assert names["DOM"] == {"name": "República Dominicana", "name_en": "Dominican Republic"}
    assert all(set(f["properties"]) == {"name"} for f in json.loads(query.geojson(real, 1, "CRI").body)["features"])
    from core.controller import control_options
    for lang, dom in (("es", "República Dominicana"), ("en", "Dominican Republic")):
        state = resolve(f"country=region&level=0&year=2022&lang={lang}", query.catalog(real))[0]
        labels = [o["label"] for o in control_options(real, state)["country"]]
        assert any(lb.startswith(dom) for lb in labels), labels
        assert dom in [tr["name"] for tr in view.series_view(real, state)["figure"]["data"]]
        payload = view.map_view(real, state)
        fig = figures.map_figure(payload, geo_url=payload["geo_url"], outline_urls=payload["outline_urls"],
                                 land_url=payload["land_url"], lang=lang, separators=",.", uirevision="x")
        prop = "name_en" if lang == "en" else "name"
        by = {tr["name"]: tr.get("hovertemplate", "") for tr in fig["data"]}
        assert all(f"%{{properties.{prop}}}" in by[n] for n in ("data", "nodata", "nodata_countries")), by
        headline = view.headline_view(real, resolve(f"country=DOM&level=0&unit=DOM&lang={lang}",
                                                    query.catalog(real))[0])
        assert dom in json.dumps(headline, ensure_ascii=False)
    # the compare page finds a country by either name, a unit whose names are the same by that name once
    from core import compare
    opts = {o["value"]: o for o in compare.unit_options(real, "homicide", "total", "total", "en")}
    assert "República Dominicana" in opts["DOM"]["search"] and "Dominican Republic" in opts["DOM"]["search"]
    assert opts["DOM"]["label"].startswith("Dominican Republic")
    assert opts["CRI"]["search"] == "CRI Costa Rica"
    # below the countries the English hover reads `name` (the departments' GeoJSON has no name_en) but the grey
    # countries, drawn on the countries' GeoJSON, read `name_en`
    state = resolve("country=region&level=1&lang=en", query.catalog(real))[0]
    payload = view.map_view(real, state)
    fig = figures.map_figure(payload, geo_url=payload["geo_url"], outline_urls=payload["outline_urls"],
                             land_url=payload["land_url"], lang="en", separators=",.", uirevision="x")
    by = {tr["name"]: tr.get("hovertemplate", "") for tr in fig["data"]}
    assert "%{properties.name}" in by["data"] and "%{properties.name_en}" in by["nodata_countries"]


def test_ranking_rows(ds):
    state = resolve("country=GTM&level=2&year=2023&measure=count", query.catalog(ds))[0]
    rows = view.ranking_view(ds, state)["rows"]
    assert [r["rank"] for r in rows] == [1, 1]
    assert {r["count"] for r in rows} == {50.0}


def test_grey_areas_outlined_only_on_small_maps():
    from core.figures import NODATA_OUTLINE_MAX_UNITS, nodata_line_width
    small = {"n_units": 3}
    big = {"n_units": NODATA_OUTLINE_MAX_UNITS + 1}
    assert nodata_line_width(small) > 0      # a country without data still shows its departments
    assert nodata_line_width(big) == 0       # a region level-2 map: outlines cost most of a redraw


def _signed_area(ring: list) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1])) / 2


@pytest.mark.parametrize("level", [0, 1, 2])
def test_served_rings_are_wound_for_the_svg_map(ds, level):
    """Exterior rings clockwise, holes counter-clockwise (d3-geo): the fixture's boxes are built counter-clockwise
    by shapely, and one such unit painted the whole SVG map in its colour."""
    blob = query.geojson(ds, level, query.REGION)
    assert blob is not None
    rings = 0
    for f in json.loads(blob.body)["features"]:
        g = f["geometry"]
        for poly in ([g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]):
            assert _signed_area(poly[0]) < 0, f["id"]
            assert all(_signed_area(h) > 0 for h in poly[1:]), f["id"]
            rings += 1
    assert rings > 0


def test_an_embedded_region_trend_has_its_legend_at_the_side():
    """The page's region trend has its legend in rows under the plot; an embed (a short, wide frame) moves it to
    the side, on a copy (the page's figure is cached and shared)."""
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    fig = view.series_view(real, resolve("country=region&level=0&year=2022", query.catalog(real))[0])["figure"]
    side = figures.with_side_legend(fig)
    assert side["layout"]["legend"]["orientation"] == "v" and side["layout"]["legend"]["x"] > 1
    assert fig["layout"]["legend"]["orientation"] == "h"          # the original untouched
    assert side["data"] is fig["data"] and side["layout"]["xaxis"] == fig["layout"]["xaxis"]
    place = view.series_view(real, resolve("country=CRI&level=1&unit=CR-SJ", query.catalog(real))[0])["figure"]
    assert figures.with_side_legend(place) is place              # three lines or fewer: as they are
