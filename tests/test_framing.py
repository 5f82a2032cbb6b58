"""First view of the map (core/framing.py): framed on the parts that carry a unit's shape, not on remote specks."""
import pytest

from core import figures, framing, query, view
from core.viewstate import resolve


def _square(x: float, y: float, side: float) -> list:
    return [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]]


def test_a_remote_speck_is_left_out_of_the_frame_a_near_one_is_not():
    mainland = _square(0, 0, 4)                  # 16 square degrees
    near_cay = _square(4.5, 1, 0.2)              # 0.04: small, 0.5 off the coast (box side 4 -> near = 1)
    far_island = _square(-3, -6, 0.2)            # small and 6 away
    geom = {"type": "MultiPolygon", "coordinates": [mainland, near_cay, far_island]}
    assert framing.main_bbox(geom) == (0, 0, 4.7, 4)
    # a big part far away is part of the shape
    big_far = {"type": "MultiPolygon", "coordinates": [mainland, _square(-10, -10, 2)]}
    assert framing.main_bbox(big_far) == (-10, -10, 4, 4)
    assert framing.main_bbox({"type": "Polygon", "coordinates": far_island}) == (-3, -6, -2.8, -5.8)
    assert framing.main_bbox({"type": "Point", "coordinates": [0, 0]}) is None


def test_view_frame_uses_the_main_boxes(ds):
    ids = query.geo_ids(ds, 1, "CRI")
    boxes = framing.main_bboxes(ds, 1)
    assert set(ids) <= set(boxes)
    got = framing.view_bbox(ds, 1, ids)
    assert got == (min(boxes[u][0] for u in ids), min(boxes[u][1] for u in ids),
                   max(boxes[u][2] for u in ids), max(boxes[u][3] for u in ids))
    # never wider than the units' full boxes
    full = query.bbox(ds, ids)
    assert full[0] <= got[0] and full[1] <= got[1] and got[2] <= full[2] and got[3] <= full[3]
    assert framing.view_bbox(ds, 1, []) is None


def test_map_view_is_framed_on_the_main_box(ds):
    state = resolve("country=CRI&level=1&year=2023", query.catalog(ds))[0]
    payload = view.map_view(ds, state)
    b = framing.view_bbox(ds, 1, query.geo_ids(ds, 1, "CRI"))
    assert payload["view"] == figures.frame(b)
    assert payload["view"]["lat"][1] == pytest.approx(b[3] + (b[3] - b[1]) * 0.04 + 0.05, abs=1e-3)
    assert payload["view"]["lon"][0] <= b[0] - (b[2] - b[0]) * 0.04 - 0.05 + 1e-3
