"""Pure figure functions: plain dicts, GeoJSON by URL, Patches without geometry, classed legend, no-data grey."""
import json

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
    assert all(isinstance(tr["geojson"], str) and tr["geojson"].startswith("/geo/level-2.json?country=CRI")
               for tr in fig["data"])
    assert fig["layout"]["map"]["style"] == "white-bg"
    assert "coordinates" not in orjson.dumps(fig).decode()
    data = fig["data"][1]
    assert set(data["locations"]) == {"CRI-101", "CRI-102", "CRI-201"}
    assert fig["data"][0]["locations"] == []
    # Escazú: 100/300,000 -> 33.3 per 100k, Costa Rica alone -> decimal comma
    i = data["locations"].index("CRI-101")
    assert "33,3" in data["hovertext"][i] and "INEC" in data["hovertext"][i]


def test_no_data_units_are_grey_not_zero(ds):
    _, p = _payload(ds, "level=1&year=2023")
    fig = figures.map_figure(p, geo_url=p["geo_url"], outline_urls=p["outline_urls"], land_url=p["land_url"],
                             lang="en", separators=".,", uirevision="x")
    nodata, data = fig["data"][0], fig["data"][1]
    assert set(nodata["locations"]) == {"GT-GU", "GT-ES", "HN-FM", "HN-CR", "SV-SS"}
    assert nodata["colorscale"][0][1] == figures.NO_DATA_COLOR
    assert "No data" in nodata["hovertemplate"]
    assert set(data["locations"]) == {"CR-SJ", "CR-A"}
    assert "El Salvador" in p["message"]


def test_patch_carries_only_values(ds):
    _, p = _payload(ds, "country=CRI&level=1&year=2023&unit=CRI")
    patch = figures.map_patch(p, reframe=False).to_plotly_json()
    body = orjson.dumps(patch)
    assert b"geojson" not in body and b"coordinates" not in body
    assert len(body) < 3000
    ops = {tuple(op["location"]) for op in patch["operations"]}
    assert ("data", 1, "locations") in ops and ("data", 1, "hovertext") in ops
    assert not any(loc[0] == "layout" for loc in ops)
    reframed = figures.map_patch(p, reframe=True).to_plotly_json()
    assert any(tuple(op["location"])[:2] == ("layout", "map") for op in reframed["operations"])


def test_frame_fits_bbox():
    v = figures.frame((-85.0, 9.0, -83.0, 11.0))
    assert v["center"]["lon"] == pytest.approx(-84.0)
    assert 9.0 < v["center"]["lat"] < 11.0
    # 2 degrees into 640 px: 512 * 2^z * 2/360 <= 640
    assert 512 * 2 ** v["zoom"] * 2 / 360 <= 640
    assert figures.frame((-92, 9, -83, 17))["zoom"] < v["zoom"]


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


def test_ranking_rows(ds):
    state = resolve("country=GTM&level=2&year=2023&measure=count", query.catalog(ds))[0]
    rows = view.ranking_view(ds, state)["rows"]
    assert [r["rank"] for r in rows] == [1, 1]
    assert {r["count"] for r in rows} == {50.0}


def test_grey_areas_outlined_only_on_small_maps():
    from core.figures import NODATA_OUTLINE_MAX_UNITS, nodata_line_width
    small = {"missing": ["a", "b"], "ids": ["c"]}
    big = {"missing": [str(i) for i in range(NODATA_OUTLINE_MAX_UNITS)], "ids": ["x"]}
    assert nodata_line_width(small) > 0      # a country without data still shows its departments
    assert nodata_line_width(big) == 0       # a region level-2 map: outlines cost most of a redraw
