"""The map as a static SVG image drawn on the server (`/map.svg?<view>`), shown from the page's first render until
plotly.js has drawn the interactive map over it (assets/22_static_map.js hides it in that same frame).

Why: on a cold page the interactive map comes last. Dash's scripts, the page's render, plotly.js (384 KB) and its
first draw of 1,350 areas run one after the other on the main thread (~1.9 s on this machine, 6 s on a phone's
link); an image needs none of them (docs/PERFORMANCE.md, round 6).

It must look the same as the map that replaces it, or the page jumps. So it draws what `core.figures.map_figure`
draws, as plotly.js draws it:
  * the same geometry: the GeoJSON the browser gets for the view (`core.query.geojson`);
  * the same projection and framing: plotly's `geo` subplot fits the box of the view's lon/lat ranges (drawn
    `CLIP_PAD` inside them, its edges bulging along great circles between five points) into the plot area,
    centred, and clips the drawing to that box. Here the coordinates are Mercator (x = longitude, y = the
    Mercator ordinate, both in degrees times `units`), the viewBox is that box and `preserveAspectRatio`
    centres it in whatever size the image has, as plotly does for the graph;
  * the same traces, order, colours and outlines (`figures.MAP_TRACES`), strokes in screen pixels
    (`vector-effect: non-scaling-stroke`, as plotly's are).
Pure functions over plain data, except `level_paths`, which keeps each (level, scope, precision)'s path data on
the dataset (immutable, like the GeoJSON it is made from).
"""
from __future__ import annotations

import math

import numpy as np
import orjson

from core import query
from core.figures import BORDER_LINE, LAND_COLOR, NO_DATA_COLOR, SELECTED_LINE, nodata_line_width, nodata_pattern

CLIP_PAD = 1e-3   # plotly.js geo constants.clipPad: the range box is drawn this many degrees inside the ranges
HATCH = "url(#h)"   # the no-data areas' fill: the hatching's pattern (core/figures.nodata_pattern) in the image
MAP_HEIGHT_PX = 500   # the map's height on the page (assets/02_app.css .obs-map)
# coordinates are written as whole numbers of 1/units degree: 0.005 degrees for the region (~0.25 px on a
# presenter's screen, the region being ~24 degrees across), 0.00025 degrees (~28 m) for a country or a place
REGION_UNITS = 200.0
COUNTRY_UNITS = 4000.0


def units_for(scope: str) -> float:
    """Units per degree of the coordinates of a map whose areas come from the GeoJSON of `scope`."""
    return REGION_UNITS if scope == query.REGION else COUNTRY_UNITS


def mercator(lat):
    """The Mercator ordinate of a latitude, in degrees (the equator 0, growing northwards)."""
    return np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))


def _polygons(geom: dict) -> list:
    kind = geom.get("type")
    if kind == "Polygon":
        return [geom["coordinates"]]
    if kind == "MultiPolygon":
        return list(geom["coordinates"])
    if kind == "GeometryCollection":
        return [p for g in geom.get("geometries", []) for p in _polygons(g)]
    return []


def path_data(geom: dict | None, units: float) -> str:
    """SVG path data of a GeoJSON (Multi)Polygon: one closed subpath per ring, x = lon and y = -Mercator(lat),
    in whole 1/units degrees, relative moves. Rings that round to fewer than three distinct points (an islet
    smaller than a unit: not visible at the map's scale) are left out."""
    if not geom:
        return ""
    out = []
    for poly in _polygons(geom):
        for ring in poly:
            a = np.asarray(ring, dtype="float64")
            if a.ndim != 2 or len(a) < 3:
                continue
            pts = np.column_stack([np.rint(a[:, 0] * units), np.rint(-mercator(a[:, 1]) * units)]).astype(np.int64)
            keep = np.ones(len(pts), dtype=bool)
            keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
            pts = pts[keep]
            if len(pts) > 1 and (pts[0] == pts[-1]).all():
                pts = pts[:-1]
            if len(pts) < 3:
                continue
            moves = np.diff(pts, axis=0).ravel().tolist()
            out.append(f"M{pts[0, 0]} {pts[0, 1]}l" + " ".join(map(str, moves)).replace(" -", "-") + "z")
    return "".join(out)


def level_paths(ds: query.Dataset, level: int, scope: str, units: float) -> dict[str, str]:
    """{unit id: path data} for the GeoJSON the browser gets for (level, scope), made once per dataset."""
    key = ("__svg_paths__", level, scope, units)
    hit = ds.geo.get(key)
    if hit is None:
        blob = query.geojson(ds, level, scope)
        feats = orjson.loads(blob.body)["features"] if blob is not None else []
        hit = {str(f["id"]): path_data(f.get("geometry"), units) for f in feats}
        ds.geo[key] = hit   # two requests making it at once make the same dict: no lock needed
    return hit


def frame_box(view: dict, units: float) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """(viewBox, clip box), each (x, y, width, height), that show the map for lon/lat `view` as plotly.js does.

    plotly's range box runs `CLIP_PAD` inside the ranges, with five points on its northern and southern edges.
    d3-geo fits that box into the plot area, centred (at the fitting scale the edges are straight: this is the
    viewBox's size), then plotly clips to the box's bounds at the final scale, where the edges are great circles
    bulging polewards between the points (an arc between two points Δλ apart at latitude φ peaks at
    atan(tan φ / cos(Δλ/2))), and moves the map's centre (the middle of the ranges in degrees, `geo.center`) to
    the middle of that clip box: on Mercator a little lower than the box's own middle (2.6 px on a 500 px map of
    the region)."""
    lon0, lon1 = view["lon"][0] + CLIP_PAD, view["lon"][1] - CLIP_PAD
    lat0, lat1 = view["lat"][0] + CLIP_PAD, view["lat"][1] - CLIP_PAD
    half = math.radians((lon1 - lon0) / 4) / 2

    def peak(lat: float) -> float:
        return math.degrees(math.atan(math.tan(math.radians(lat)) / math.cos(half)))

    w = (lon1 - lon0) * units
    h = (float(mercator(lat1)) - float(mercator(lat0))) * units
    bulge_n = (float(mercator(peak(lat1))) - float(mercator(lat1))) * units if lat1 > 0 else 0.0
    bulge_s = (float(mercator(lat0)) - float(mercator(peak(lat0)))) * units if lat0 < 0 else 0.0
    cx = (view["lon"][0] + view["lon"][1]) / 2 * units
    cy = -float(mercator((view["lat"][0] + view["lat"][1]) / 2)) * units + (bulge_n - bulge_s) / 2
    box = (cx - w / 2, cy - h / 2, w, h)
    clip = (cx - w / 2, cy - h / 2 - bulge_n, w, h + bulge_n + bulge_s)
    return box, clip


def _num(x: float) -> str:
    """A coordinate of the viewBox or the clip, to 1/1000 of a unit (0.05 px at most), without trailing zeros."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


def map_svg(payload: dict, unit_paths: dict[str, str], land_paths: dict[str, str], units: float,
            label: str = "") -> str:
    """The SVG of one view's map. `payload`: core.figures.map_payload's output plus `land_ids`;
    `unit_paths`/`land_paths`: `level_paths` of the view's level and of level 0 (the land: `query.land_scope`)."""
    (x, y, w, h), clip = frame_box(payload["view"], units)
    colors = payload.get("colors") or []
    widths = payload.get("line_width") or [0.6] * len(payload["ids"])
    lines = payload.get("line_color") or ["#ffffff"] * len(payload["ids"])
    styles: dict[tuple, str] = {}   # (fill, stroke, width) -> class name

    def cls(fill: str, stroke: str, width: float) -> str:
        k = (fill, stroke, width)
        if k not in styles:
            styles[k] = f"s{len(styles)}"
        return styles[k]

    land_ids = [u for u in payload.get("land_ids") or [] if land_paths.get(u)]
    body: list[str] = []
    # land (below everything), then the grey no-data areas, the values, the country borders, the selected place
    body.append('<g class="land">' + "".join(f'<use href="#l{i}"/>' for i in range(len(land_ids))) + "</g>")
    # one path per style, all its units' subpaths in the payload's order: the browser parses and paints ~10
    # elements instead of ~1,400 (measured: the image's long frames 60 ms -> none). Units never overlap, so a
    # style's areas painted together look as painted one by one (an enclave of the same class is the other unit's
    # hole filled again: odd under even-odd)
    # countries without any value, grey as one area each (figures.grey_countries), then the units one by one
    grey = set(payload["missing_countries"])
    body.append('<g class="nd">' + "".join(f'<use href="#l{i}"/>' for i, u in enumerate(land_ids) if u in grey)
                + "</g>")
    nd = cls(NO_DATA_COLOR, "#ffffff", nodata_line_width(payload))
    body.append("<g>" + _joined({nd: [unit_paths.get(u, "") for u in payload["missing"]]}) + "</g>")
    data: dict[str, list[str]] = {}
    for u, z, lw, lc in zip(payload["ids"], payload["z"], widths, lines):
        data.setdefault(cls(colors[int(z)] if colors else NO_DATA_COLOR, lc, lw), []).append(unit_paths.get(u, ""))
    body.append("<g>" + _joined(data) + "</g>")
    body.append('<g class="borders">' + "".join(f'<use href="#l{i}"/>' for i in range(len(land_ids))) + "</g>")
    body.append('<g class="sel">' + _joined({"": [unit_paths.get(u, "") for u in payload.get("selected") or []]})
                + "</g>")
    css = ["path,use{vector-effect:non-scaling-stroke;fill-rule:evenodd;stroke-linejoin:miter}",
           f".land use{{fill:{LAND_COLOR};stroke:none}}", f".nd use{{fill:{HATCH};stroke:none}}",
           f".borders use{{fill:none;stroke:{BORDER_LINE[0]};stroke-width:{BORDER_LINE[1]:g}px}}",
           f".sel path{{fill:none;stroke:{SELECTED_LINE[0]};stroke-width:{SELECTED_LINE[1]:g}px}}"]
    for (fill, stroke, width), name in styles.items():
        css.append(f".{name}{{fill:{HATCH if fill == NO_DATA_COLOR else fill};"
                   + (f"stroke:{stroke};stroke-width:{width}px}}" if width else "stroke:none}"))
    # the no-data hatching as on the page: its period ~6 px where the map is shown 500 px high (.obs-map)
    defs = nodata_pattern("h", 6 * h / MAP_HEIGHT_PX)
    defs += "".join(f'<path id="l{i}" d="{land_paths[u]}"/>' for i, u in enumerate(land_ids))
    box = f"{_num(x)} {_num(y)} {_num(w)} {_num(h)}"
    title = f"<title>{_escape(label)}</title>" if label else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{box}" preserveAspectRatio="xMidYMid meet">'
            f"{title}<style>{''.join(css)}</style>"
            f'<defs><clipPath id="f"><rect x="{_num(clip[0])}" y="{_num(clip[1])}" width="{_num(clip[2])}" '
            f'height="{_num(clip[3])}"/>'
            f"</clipPath>{defs}</defs>"
            f'<g clip-path="url(#f)">{"".join(body)}</g></svg>')


def _joined(by_class: dict[str, list[str]]) -> str:
    """One <path> per class with its subpaths joined (none for a class without any)."""
    out = []
    for name, parts in by_class.items():
        d = "".join(parts)
        if d:
            out.append(f'<path class="{name}" d="{d}"/>' if name else f'<path d="{d}"/>')
    return "".join(out)


def _escape(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@query.on_load
def _prepare(ds: query.Dataset) -> None:
    """Every GeoJSON's path data made when the dataset is loaded (~0.6 s for the 26 of the committed data, before
    gunicorn forks), not by the first view of each in each worker (up to ~0.2 s)."""
    for key in [k for k in ds.geo if isinstance(k, tuple) and len(k) == 2 and isinstance(k[0], int)]:
        level, scope = key
        level_paths(ds, level, scope, units_for(scope))   # (0, DETAIL) among them: the land under a country's map
