"""Tests for geo/boundaries.py: counts, ids, nesting, coverage validity, names, input errors.

The main checks run twice: on the committed ``data/processed/units.parquet`` (when it exists)
and on a fresh build from the raw directory (``OBS_RAW_DIR``, default ``../shared/data/raw``
relative to the repository root), built once per module.
"""

from __future__ import annotations

import os
import pathlib

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo.boundaries import COUNTRIES, EXPECTED_COUNTS, BoundaryError, build_units, read_wof_layer

REPO = pathlib.Path(__file__).resolve().parents[1]
RAW_DIR = pathlib.Path(os.environ.get("OBS_RAW_DIR", REPO.parent / "shared" / "data" / "raw"))
COMMITTED = REPO / "data" / "processed" / "units.parquet"
COLUMNS = ["unit_id", "level", "country", "parent_id", "name", "name_en", "geometry"]


@pytest.fixture(scope="module")
def built() -> tuple[gpd.GeoDataFrame, dict]:
    """Units and report built from the raw directory, once for this module."""
    assert (RAW_DIR / "boundaries" / "wof" / "wof_adm2.parquet").exists(), f"raw data not found in {RAW_DIR}"
    return build_units(RAW_DIR)


SOURCES = ["built"] + (["committed"] if COMMITTED.exists() else [])


@pytest.fixture(scope="module", params=SOURCES)
def units(request: pytest.FixtureRequest) -> gpd.GeoDataFrame:
    """The units table from a fresh build, and from the committed file when it exists."""
    if request.param == "committed":
        return gpd.read_parquet(COMMITTED)
    return request.getfixturevalue("built")[0]


def test_schema_and_order(units: gpd.GeoDataFrame) -> None:
    assert list(units.columns) == COLUMNS
    assert units.crs.to_epsg() == 4326
    assert units["level"].dtype == np.int8
    for col in ("unit_id", "country", "name", "name_en"):
        assert units[col].map(type).eq(str).all(), col
    assert units.loc[units["level"] == 0, "parent_id"].isna().all()
    assert units.loc[units["level"] > 0, "parent_id"].map(type).eq(str).all()
    key = list(zip(units["level"], units["unit_id"]))
    assert key == sorted(key)


def test_counts_per_level_and_country(units: gpd.GeoDataFrame) -> None:
    for level, expected in EXPECTED_COUNTS.items():
        got = units[units["level"] == level].groupby("country").size().to_dict()
        assert got == dict(expected), level
    assert not ((units["country"] == "BLZ") & (units["level"] == 2)).any()
    assert len(units) == 8 + 129 + 1350


def test_ids_unique_and_shaped(units: gpd.GeoDataFrame) -> None:
    assert units["unit_id"].is_unique
    lvl0 = units[units["level"] == 0]
    assert sorted(lvl0["unit_id"]) == sorted(COUNTRIES) and (lvl0["unit_id"] == lvl0["country"]).all()
    lvl2 = units[units["level"] == 2]
    assert lvl2["unit_id"].str.fullmatch(r"[A-Z]{3}-\d+").all()
    assert (lvl2["unit_id"].str[:3] == lvl2["country"]).all()
    assert "CRI-421201603" in set(lvl2["unit_id"])
    assert {"CR-SJ", "GT-GU", "BZ-CY", "DO-01", "PA-8"} <= set(units.loc[units["level"] == 1, "unit_id"])


def test_parents_exist_one_level_up_same_country(units: gpd.GeoDataFrame) -> None:
    by_id = units.set_index("unit_id")
    for row in units[units["level"] > 0].itertuples():
        parent = by_id.loc[row.parent_id]
        assert parent["level"] == row.level - 1, row.unit_id
        assert parent["country"] == row.country, row.unit_id


def test_geometry_valid_and_coverage_per_level(units: gpd.GeoDataFrame) -> None:
    assert shapely.is_valid(units.geometry.values).all()
    assert not shapely.is_empty(units.geometry.values).any()
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}
    for level in (0, 1, 2):
        geoms = units.loc[units["level"] == level].geometry.values
        assert shapely.coverage_is_valid(geoms), f"level {level} has overlaps or mismatched edges"
        edges = shapely.coverage_invalid_edges(geoms)
        assert shapely.is_empty(edges).all()


def test_no_holes_inside_countries(units: gpd.GeoDataFrame) -> None:
    """Gaps between leaves were filled: a hole in a country outline is another country's land
    (or a sliver pinched off by simplification, < 0.01 km2)."""
    countries = units.loc[units["level"] == 0]
    for uid, geom in zip(countries["unit_id"], countries.geometry.values):
        others = shapely.union_all(countries.loc[countries["unit_id"] != uid].geometry.values)
        for part in shapely.get_parts(geom):
            for ring in part.interiors:
                hole = shapely.Polygon(ring)
                uncovered = hole.area - shapely.intersection(hole, others).area
                # simplification can pinch a sliver off the coast (a few spikes, < 0.01 km2 each)
                assert uncovered < 1e-6, (uid, hole.representative_point(), uncovered)


def test_parent_area_equals_sum_of_children(units: gpd.GeoDataFrame) -> None:
    area = dict(zip(units["unit_id"], shapely.area(units.geometry.values)))
    for (level, parent), children in units[units["level"] > 0].groupby(["level", "parent_id"]):
        total = sum(area[u] for u in children["unit_id"])
        assert total == pytest.approx(area[parent], rel=1e-9), (level, parent)


def test_children_union_is_parent(units: gpd.GeoDataFrame) -> None:
    geom = dict(zip(units["unit_id"], units.geometry.values))
    for parent, children in units[units["level"] == 1].groupby("parent_id"):
        union = shapely.coverage_union_all([geom[u] for u in children["unit_id"]])
        assert shapely.equals(union, geom[parent]), parent


def test_coordinates_on_grid(units: gpd.GeoDataFrame) -> None:
    coords = shapely.get_coordinates(units.geometry.values)
    assert np.abs(coords * 1e4 - np.round(coords * 1e4)).max() < 1e-6


def test_names(units: gpd.GeoDataFrame) -> None:
    name = dict(zip(units["unit_id"], units["name"]))
    name_en = dict(zip(units["unit_id"], units["name_en"]))
    assert name["CR-SJ"] == "San José"
    assert name["GT-PE"] == "Petén"
    assert name["HN-AT"] == "Atlántida"
    assert name["DO-15"] == "Montecristi" and name["DO-19"] == "Hermanas Mirabal"
    assert name["PA-KY"] == "Guna Yala" and name["PA-EM"] == "Emberá-Wounaan"
    assert name["BLZ"] == "Belize" and name["BZ-BZ"] == "Belize"
    assert name["SLV-890452037"] == "El Triunfo"
    assert name["SLV-1108694897"] == "Puerto El Triunfo"
    assert name["CRI-421175407"] == "Sarchí"
    assert name["DOM"] == "República Dominicana" and name_en["DOM"] == "Dominican Republic"
    assert name["PAN"] == "Panamá" and name_en["PAN"] == "Panama"
    assert name_en["CRI"] == "Costa Rica"
    non_country = units[units["level"] > 0]
    assert (non_country["name"] == non_country["name_en"]).all()
    assert units["name"].str.strip().ne("").all()
    # no two units with the same name under the same parent (core countries; NIC/PAN left as WOF has them)
    core = units[(units["level"] > 0) & units["country"].isin(["BLZ", "CRI", "DOM", "GTM", "HND", "SLV"])]
    assert not core.duplicated(["parent_id", "name"]).any()


def test_report(built: tuple[gpd.GeoDataFrame, dict]) -> None:
    import json

    _, report = built
    json.dumps(report)
    assert report["levels"]["2"]["geojson_bytes"] <= 1_500_000
    assert report["simplify_tolerance_deg"] > 0
    assert len(report["name_overrides"]) > 100
    assert [r["unit_id"] for r in report["parents_resolved_by_containment"]] == ["NIC-421172641"]
    assert report["problems"] == []


def test_committed_matches_build(built: tuple[gpd.GeoDataFrame, dict]) -> None:
    if not COMMITTED.exists():  # nothing committed yet: the build itself is checked above
        return
    committed = gpd.read_parquet(COMMITTED)
    fresh = built[0]
    for col in ("unit_id", "level", "country", "parent_id", "name", "name_en"):
        as_list = [[None if isinstance(v, float) and np.isnan(v) else v for v in frame[col]]
                   for frame in (committed, fresh)]
        assert as_list[0] == as_list[1], col
    assert shapely.equals_exact(committed.geometry.values, fresh.geometry.values, tolerance=0).all()


# ---------------------------------------------------------------------------------------------
# input errors (tiny synthetic fixtures)
# ---------------------------------------------------------------------------------------------


def _fixture_frame(geoms: list, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame({"iso3": ["CRI"] * n, "wof_id": list(range(1, n + 1)), "name": [f"U{i}" for i in range(n)],
                             "name_wof": [f"U{i}" for i in range(n)], "iso_3166_2": [None] * n,
                             "adm1_iso_3166_2": ["CR-SJ"] * n}, geometry=geoms, crs=crs)


def test_invalid_geometry_raises_naming_feature(tmp_path: pathlib.Path) -> None:
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    path = tmp_path / "wof_adm2.parquet"
    _fixture_frame([box(0, 0, 1, 1), bowtie]).to_parquet(path)
    with pytest.raises(BoundaryError) as err:
        read_wof_layer(path)
    message = str(err.value)
    assert "wof_adm2.parquet" in message and "wof_id=2" in message and "U1" in message
    assert "Self-intersection" in message


def test_wrong_crs_raises(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "wof_adm1.parquet"
    _fixture_frame([box(500000, 1000000, 501000, 1001000)], crs="EPSG:32616").to_parquet(path)
    with pytest.raises(BoundaryError, match="wof_adm1.parquet.*EPSG:4326"):
        read_wof_layer(path)


def test_non_polygon_raises(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "wof_adm0.parquet"
    _fixture_frame([shapely.Point(0, 0).buffer(1), shapely.LineString([(0, 0), (1, 1)])]).to_parquet(path)
    with pytest.raises(BoundaryError, match="wof_id=2.*LineString"):
        read_wof_layer(path)


def test_broken_crosswalk_raises(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "unit_names.csv"
    bad.write_text("unit_id,source_name,name,name_en,note\nGT-PE,Petén,Petén,Petén,already accented?\n",
                   encoding="utf-8")
    with pytest.raises(BoundaryError, match="GT-PE source name is 'Peten'"):
        build_units(RAW_DIR, crosswalk=bad)
