"""Where the map looks first: the bounding box of the areas a view shows, without their remote specks.

A unit's own bounding box spans all its parts: Costa Rica's reaches Isla del Coco, 500 km out in the Pacific, so a
country view framed on it showed the mainland in a corner of an empty sea. Here each unit is framed on the parts
that carry its shape (every polygon of at least MIN_SHARE of its largest polygon's area) and on the small parts
near them (within NEAR of their box's larger side: Belize's cayes, the Bay Islands); only small parts far out are
left out of the frame. Nothing is dropped from the map: those parts are drawn, and panning shows them; only the
first view is tighter."""
from __future__ import annotations

import json

from core import query
from core.viewstate import REGION

MIN_SHARE = 0.05
NEAR = 0.25


def _ring_area(ring: list) -> float:
    """Planar area of a lon/lat ring (shoelace): only compared between parts of one unit."""
    s = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def main_bbox(geometry: dict) -> tuple[float, float, float, float] | None:
    """Bounding box of the polygons of a GeoJSON (Multi)Polygon whose outer ring has at least MIN_SHARE of the
    largest one's area."""
    if not geometry:
        return None
    if geometry.get("type") == "Polygon":
        polys = [geometry["coordinates"]]
    elif geometry.get("type") == "MultiPolygon":
        polys = geometry["coordinates"]
    else:
        return None
    outers = [p[0] for p in polys if p and len(p[0]) >= 3]
    if not outers:
        return None
    areas = [_ring_area(r) for r in outers]
    biggest = max(areas)
    boxes = [_box(r) for r in outers]
    main = _union([b for b, a in zip(boxes, areas) if a >= MIN_SHARE * biggest])
    near = NEAR * max(main[2] - main[0], main[3] - main[1])
    return _union([main] + [b for b, a in zip(boxes, areas) if a < MIN_SHARE * biggest and _gap(main, b) <= near])


def _box(ring: list) -> tuple[float, float, float, float]:
    xs = [pt[0] for pt in ring]
    ys = [pt[1] for pt in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def _union(boxes: list) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _gap(a: tuple, b: tuple) -> float:
    """Distance in degrees between two boxes (0 when they overlap)."""
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    return (dx * dx + dy * dy) ** 0.5


def main_bboxes(ds: query.Dataset, level: int) -> dict[str, tuple[float, float, float, float]]:
    """unit id -> main_bbox, for every area of a level (from the GeoJSON the app serves; computed once)."""
    key = ("__main_bbox__", level)
    found = ds.geo.get(key)
    if found is None:
        # the countries at the pipeline's detail (a coast simplified for the region-wide map must not move a frame)
        blob = query.geojson(ds, level, query.DETAIL if level == 0 else REGION)
        found = {}
        if blob is not None:
            for f in json.loads(blob.body)["features"]:
                b = main_bbox(f.get("geometry") or {})
                if b is not None:
                    found[str(f["id"])] = b
        ds.geo[key] = found
    return found


def view_bbox(ds: query.Dataset, level: int, unit_ids) -> tuple[float, float, float, float] | None:
    """The union of the main boxes of the units shown (the units' full boxes where a unit has no geometry)."""
    boxes = main_bboxes(ds, level)
    ids = list(unit_ids)
    got = [boxes[u] for u in ids if u in boxes]
    rest = [u for u in ids if u not in boxes]
    if rest:
        other = query.bbox(ds, rest)
        if other is not None:
            got.append(other)
    return _union(got) if got else None
