"""The map as a static SVG image (core/static_map.py, `/map.svg`): the geometry, the framing plotly.js gives the
same view, the traces and their colours, the route with any query string, and the page that shows it."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from core import figures, query, static_map, view
from core.controller import sync
from core.figures import BORDER_LINE, LAND_COLOR, NO_DATA_COLOR

SVG = "{http://www.w3.org/2000/svg}"


def merc_deg(lat: float) -> float:   # the Mercator ordinate in degrees, written out independently of the module
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def test_path_data_projects_rounds_and_closes_each_ring():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}
    # units 100: x = 100 * lon; y = -100 * Mercator(lat) = -100.005 at 1 degree, rounded; relative moves, closed
    assert static_map.path_data(square, 100) == "M0 0l0-100 100 0 0 100z"
    # far from the equator Mercator stretches: 60 degrees is 75.456 Mercator degrees
    tall = {"type": "Polygon", "coordinates": [[[0, 0], [0, 60], [1, 60], [0, 0]]]}
    y60 = -round(merc_deg(60) * 10)
    assert y60 == -755
    assert static_map.path_data(tall, 10) == f"M0 0l0{y60} 10 0z"   # the closing move is the z


def test_path_data_keeps_holes_and_parts_and_drops_what_rounds_to_nothing():
    ring = [[0, 0], [0, 2], [2, 2], [2, 0], [0, 0]]
    hole = [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]
    islet = [[5, 5], [5, 5.001], [5.001, 5.001], [5, 5]]   # 0.001 degrees: one unit at 100 per degree
    d = static_map.path_data({"type": "MultiPolygon", "coordinates": [[ring, hole], [islet]]}, 100)
    assert d.count("M") == 2 and d.count("z") == 2          # the square and its hole; the islet is gone
    assert d.startswith("M0 0l0-200 200 0 0 200z") and "M50 -50" in d.replace("M50-50", "M50 -50")
    assert static_map.path_data(None, 100) == ""
    assert static_map.path_data({"type": "Point", "coordinates": [0, 0]}, 100) == ""


def test_frame_box_is_where_plotly_puts_the_map():
    """Measured in headless Chromium from plotly.js 4.1.1 (the app's bundle) drawing the region's level-2 view,
    lon [-93.2344, -67.3219], lat [6.6475, 20.4929], in a 570 x 500 px plot: the clip box runs from y = 92.2248
    to 407.0694 px over the full width, and the projection puts latitude 20.4919 (the box's northern edge) at
    y = 90.2789 px and 6.6485 at 404.4177 px (plotly centres the middle of the ranges in degrees, not the box)."""
    (x, y, w, h), (cx, cy, cw, ch) = static_map.frame_box({"lon": [-93.2344, -67.3219], "lat": [6.6475, 20.4929]},
                                                          1.0)
    k = 570 / w                                  # the view is wider than the plot's shape: its width fills it

    def px(units_y: float) -> float:             # preserveAspectRatio xMidYMid meet: the viewBox centred
        return 250 + (units_y - (y + h / 2)) * k

    assert px(cy) == pytest.approx(92.2248, abs=0.05)            # the clip box
    assert px(cy + ch) == pytest.approx(407.0694, abs=0.05)
    assert (cx, cw) == (x, w)
    assert px(-merc_deg(20.4919)) == pytest.approx(90.2789, abs=0.05)   # where the map is drawn
    assert px(-merc_deg(6.6485)) == pytest.approx(404.4177, abs=0.05)
    assert (-93.2334 - x) * k == pytest.approx(0.0, abs=0.05)   # the western edge (clipPad inside the range)


def _styles(svg: str) -> dict[str, dict[str, str]]:
    css = ET.fromstring(svg).find(SVG + "style").text
    out = {}
    for rule in css.split("}"):
        if "{" in rule:
            sel, body = rule.split("{")
            out[sel.strip()] = dict(p.split(":", 1) for p in body.split(";") if ":" in p)
    return out


@pytest.mark.parametrize("search,limit", [("?country=CRI&level=1&year=2023", None), ("?country=region&level=1", None),
                                          ("?country=CRI&level=2&unit=CRI-101", None),
                                          ("?country=region&level=1", 3)])
def test_svg_draws_every_trace_of_the_interactive_map(ds, search, limit, monkeypatch):
    """limit: the fixture's maps are small; with a lower NODATA_OUTLINE_MAX_UNITS its region map is a large one,
    whose countries without any value are drawn grey as one area each (figures.grey_countries)."""
    if limit is not None:
        monkeypatch.setattr(figures, "NODATA_OUTLINE_MAX_UNITS", limit)
    state = sync(ds, None, search).state
    payload = view.map_view(ds, state)
    svg = view.static_map_svg(ds, state, payload)
    root = ET.fromstring(svg)                                    # well-formed XML
    assert root.get("preserveAspectRatio") == "xMidYMid meet" and len(root.get("viewBox").split()) == 4
    scope = query.geo_scope(state.level, state.country)
    units = static_map.units_for(scope)
    paths = static_map.level_paths(ds, state.level, scope, units)
    land = static_map.level_paths(ds, 0, query.land_scope(scope), units)   # the land the interactive map draws
    assert payload["land_url"].startswith(f"/geo/level-0.json?country={query.land_scope(scope)}&")
    styles = _styles(svg)
    # inside the clip: land, countries without a value, units without a value, values, borders, selected
    groups = root.find(SVG + "g").findall(SVG + "g")
    assert [g.get("class") for g in groups] == ["land", "nd", None, None, "borders", "sel"]
    land_g, grey_g, nodata_g, data_g, borders_g, sel_g = groups
    # the values: one path per colour, its units' outlines in the payload's order, filled with the class's colour
    drawn = {styles["." + p.get("class")]["fill"]: p.get("d") for p in data_g}
    expected: dict[str, str] = {}
    for u, z in zip(payload["ids"], payload["z"]):
        expected[payload["colors"][z]] = expected.get(payload["colors"][z], "") + paths[u]
    assert drawn == expected and len(drawn) > 0 and len(data_g) == len(expected)
    # the units without a value: grey, never a colour of the scale
    assert "".join(p.get("d") for p in nodata_g) == "".join(paths[u] for u in payload["missing"])
    # ... hatched as on the page (DESIGN.md): the pattern, grey with white stripes, defined in the image
    assert all(styles["." + p.get("class")]["fill"] == "url(#h)" for p in nodata_g)
    pattern = root.find(SVG + "defs").find(SVG + "pattern")
    assert pattern.get("id") == "h" and pattern.get("patternUnits") == "userSpaceOnUse"
    assert [r.get("fill") for r in pattern.findall(SVG + "rect")] == [NO_DATA_COLOR, "#ffffff"]
    # its stripes ~6 px apart where the image is shown as the page's map, 500 px high, like the page's (6 px)
    assert float(pattern.get("width")) / float(root.get("viewBox").split()[3]) * 500 == pytest.approx(6, rel=1e-3)
    assert NO_DATA_COLOR not in [st.get("fill") for st in styles.values()]   # no grey area left plain
    # the land below and the country borders above: the same level-0 shapes, defined once
    defs = {p.get("id"): p.get("d") for p in root.find(SVG + "defs").findall(SVG + "path")}
    assert sorted(defs.values()) == sorted(land[u] for u in payload["land_ids"])
    assert len(land_g) == len(borders_g) == len(defs)
    # the countries without any value: their land shape again, grey
    grey = [defs[u.get("href")[1:]] for u in grey_g]
    assert sorted(grey) == sorted(land[c] for c in payload["missing_countries"])
    assert styles[".nd use"]["fill"] == "url(#h)"
    assert bool(payload["missing_countries"]) == (limit is not None)   # the fixture's region map has such a country
    assert styles[".land use"]["fill"] == LAND_COLOR and styles[".borders use"]["stroke"] == BORDER_LINE[0]
    assert "".join(p.get("d") for p in sel_g) == "".join(paths[u] for u in payload["selected"])
    assert ("unit=" in search) == bool(payload["selected"])


def test_route_answers_any_query_with_a_map(app_client, ds):
    client = app_client
    r = client.get("/map.svg?country=CRI&level=1&year=2023")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.headers["Cache-Control"] == "no-cache"          # no data version in the address: it may change
    address = view.static_map_url(ds, sync(ds, None, "?country=CRI&level=1&year=2023").state)
    versioned = client.get(address)
    assert versioned.headers["Cache-Control"] == "public, max-age=86400"
    # the address names the code's version too (a new drawing must not meet a browser's day-old image); the data
    # version alone, as before round 11, is no longer kept
    from core.cache import code_version
    assert address.endswith(f"&v={view.geo_token(ds)}.{code_version()[:8]}")
    stale = client.get(address.rsplit("&v=", 1)[0] + f"&v={view.geo_token(ds)}")
    assert stale.headers["Cache-Control"] == "no-cache"
    ET.fromstring(r.get_data(as_text=True))
    # the same view whatever the order or the extra parameters: the body the page's own address gives
    same = client.get(view.static_map_url(ds, sync(ds, None, "?country=CRI&level=1&year=2023").state))
    assert same.get_data() == r.get_data()
    for hostile in ("/map.svg?country=<script>alert(1)</script>&level=99", "/map.svg?level=" + "9" * 5000,
                    "/map.svg?country=%ff%fe&year=-1", "/map.svg"):
        h = client.get(hostile)
        assert h.status_code == 200, hostile
        body = h.get_data(as_text=True)
        ET.fromstring(body)
        assert "<script" not in body and "alert" not in body


def test_page_shows_the_image_it_preloads(ds):
    from callbacks import main

    search = "?country=CRI&level=1&year=2023"
    imgs = []

    def walk(node):
        if getattr(node, "className", None) == "obs-map-static":
            imgs.append(node)
        kids = getattr(node, "children", None)
        for k in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
            walk(k)

    walk(main.render_page("/", search))
    assert len(imgs) == 1
    assert imgs[0].src == view.static_map_url(ds, sync(ds, None, search).state)
    assert imgs[0].alt == "" and getattr(imgs[0], "aria-hidden") == "true"   # the interactive map is the content
