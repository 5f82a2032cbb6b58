"""Administrative boundaries for Observatorio: WOF units -> one nested, web-ready GeoDataFrame.

Pipeline (see docs/GEOMETRY.md, section "Boundaries and geometry"):

1. read Who's On First adm0/adm1/adm2 (``boundaries/wof``), check CRS and every geometry;
2. build the unit table (ids, parents, names) and apply the reviewed name crosswalk
   ``geo/crosswalks/unit_names.csv``;
3. take the finest *leaf* coverage (level 2; level 1 for Belize), snap it to a 1e-4 degree grid,
   clean it into a valid polygonal coverage (``shapely.coverage_clean``: overlaps and enclosed gaps
   are merged into the neighbour sharing the longest border), simplify all leaves at once with
   ``shapely.coverage_simplify`` (shared borders stay shared; the result stays on the grid);
4. derive level 1 as the union of its level-2 children and level 0 as the union of its level-1
   children, so levels nest exactly; verify coverage validity and areas per level.

The public entry point is :func:`build_units`. ``python -m geo.boundaries --raw DIR --out FILE``
writes only the units GeoParquet.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import logging
import pathlib
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely

LOGGER = logging.getLogger(__name__)

COUNTRIES: tuple[str, ...] = ("BLZ", "CRI", "DOM", "GTM", "HND", "NIC", "PAN", "SLV")
LEAF_LEVEL_1_ONLY: frozenset[str] = frozenset({"BLZ"})  # countries without level 2
EXPECTED_COUNTS: Mapping[int, Mapping[str, int]] = {
    0: {c: 1 for c in COUNTRIES},
    1: {"BLZ": 6, "CRI": 7, "DOM": 32, "GTM": 22, "HND": 18, "NIC": 17, "PAN": 13, "SLV": 14},
    2: {"CRI": 81, "DOM": 152, "GTM": 333, "HND": 301, "NIC": 144, "PAN": 76, "SLV": 263},
}
GRID_SIZE: float = 1e-4  # degrees, ~11 m: the precision of every output coordinate
SIMPLIFY_TOLERANCE: float = 0.005  # degrees (~540 m E-W here), Visvalingam area tol^2; see docs/GEOMETRY.md
GAP_WIDTH: float = 0.01  # degrees: enclosed gaps narrower than this are merged into a neighbour
SNAP_DISTANCE: float = -1.0  # let GEOS choose a tiny node-snapping distance
EQUAL_AREA_CRS: str = "EPSG:6933"  # only for reporting areas in km2
COLUMNS: tuple[str, ...] = ("unit_id", "level", "country", "parent_id", "name", "name_en", "geometry")
WOF_COLUMNS: tuple[str, ...] = ("iso3", "wof_id", "name", "name_wof", "iso_3166_2", "adm1_iso_3166_2")
DEFAULT_CROSSWALK: pathlib.Path = pathlib.Path(__file__).resolve().parent / "crosswalks" / "unit_names.csv"
CROSSWALK_COLUMNS: tuple[str, ...] = ("unit_id", "source_name", "name", "name_en", "note")


class BoundaryError(ValueError):
    """Raised when boundary input is unusable (bad CRS, invalid geometry, broken crosswalk, ...)."""


@dataclass(frozen=True)
class Leaves:
    """The finest units as parallel arrays (one entry per leaf unit)."""

    unit_id: np.ndarray
    country: np.ndarray
    geometry: np.ndarray


# --------------------------------------------------------------------------------------------
# reading and validation
# --------------------------------------------------------------------------------------------


def snap_to_grid(geoms: np.ndarray | shapely.Geometry) -> np.ndarray | shapely.Geometry:
    """Round every vertex to the GRID_SIZE grid (valid output).

    The precision is first reset to floating: GEOS skips set_precision on geometries that already
    carry the requested precision model, even when an operation added off-grid vertices.
    """
    snapped = shapely.set_precision(shapely.set_precision(geoms, 0.0), GRID_SIZE)
    if isinstance(snapped, shapely.Geometry):
        return polygonal(snapped)
    return np.array([polygonal(g) for g in snapped], dtype=object)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygons of ``geom`` (rounding can leave collapsed lines in a collection)."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = shapely.get_parts(geom)
    parts = parts[shapely.get_type_id(parts) == 3]
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def check_crs(gdf: gpd.GeoDataFrame, path: pathlib.Path) -> None:
    """Raise BoundaryError unless ``gdf`` is in EPSG:4326 (longitude/latitude WGS 84)."""
    if gdf.crs is None:
        raise BoundaryError(f"{path}: no CRS, expected EPSG:4326")
    if gdf.crs.to_epsg() != 4326:
        raise BoundaryError(f"{path}: CRS is {gdf.crs.to_string()!r}, expected EPSG:4326")


def check_geometries(gdf: gpd.GeoDataFrame, path: pathlib.Path, id_column: str = "wof_id") -> None:
    """Raise BoundaryError naming file, feature and reason for the first unusable geometry."""
    geoms = gdf.geometry.values
    types = np.asarray(shapely.get_type_id(geoms))
    for pos in range(len(gdf)):
        geom = geoms[pos]
        feature = f"{id_column}={gdf[id_column].iloc[pos]} name={gdf['name'].iloc[pos]!r}" \
            if "name" in gdf.columns else f"{id_column}={gdf[id_column].iloc[pos]}"
        if geom is None or shapely.is_empty(geom):
            reason = "missing or empty geometry"
        elif types[pos] not in (3, 6):  # Polygon, MultiPolygon
            reason = f"geometry type {geom.geom_type}, expected (Multi)Polygon"
        elif not shapely.is_valid(geom):
            reason = f"invalid geometry: {shapely.is_valid_reason(geom)}"
        else:
            continue
        raise BoundaryError(f"{path}: feature {feature}: {reason}")


def read_wof_layer(path: pathlib.Path) -> gpd.GeoDataFrame:
    """Read one WOF GeoParquet layer, keep the project countries, and validate it."""
    if not path.exists():
        raise BoundaryError(f"{path}: file not found")
    gdf = gpd.read_parquet(path)
    missing = [c for c in WOF_COLUMNS if c not in gdf.columns]
    if missing:
        raise BoundaryError(f"{path}: missing columns {missing}")
    check_crs(gdf, path)
    gdf = gdf[gdf["iso3"].isin(COUNTRIES)].reset_index(drop=True)
    check_geometries(gdf, path)
    return gdf


def load_wof(raw_dir: pathlib.Path) -> dict[int, gpd.GeoDataFrame]:
    """Read ``wof_adm{0,1,2}.parquet`` from ``raw_dir/boundaries/wof``."""
    base = pathlib.Path(raw_dir) / "boundaries" / "wof"
    return {level: read_wof_layer(base / f"wof_adm{level}.parquet") for level in (0, 1, 2)}


# --------------------------------------------------------------------------------------------
# unit table and names
# --------------------------------------------------------------------------------------------


def unit_table(layers: Mapping[int, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Ids, levels, parents and source names of every unit (no geometry, no overrides yet).

    ``source_name`` is WOF ``name``; ``name_en`` defaults to WOF ``name_wof`` (English) for
    countries and to the name otherwise.
    """
    a0, a1, a2 = layers[0], layers[1], layers[2]
    lvl0 = pd.DataFrame({"unit_id": a0["iso3"], "level": 0, "country": a0["iso3"], "parent_id": None,
                         "source_name": a0["name"], "name_en": a0["name_wof"]})
    lvl1 = pd.DataFrame({"unit_id": a1["iso_3166_2"], "level": 1, "country": a1["iso3"], "parent_id": a1["iso3"],
                         "source_name": a1["name"], "name_en": a1["name"]})
    lvl2 = pd.DataFrame({"unit_id": a2["iso3"] + "-" + a2["wof_id"].astype(str), "level": 2,
                         "country": a2["iso3"], "parent_id": a2["adm1_iso_3166_2"],
                         "source_name": a2["name"], "name_en": a2["name"]})
    table = pd.concat([lvl0, lvl1, lvl2], ignore_index=True)
    table["name"] = table["source_name"]
    for col in ("unit_id", "country", "source_name", "name", "name_en"):
        table[col] = table[col].astype(str)
    table["parent_id"] = pd.Series([None if pd.isna(v) else str(v) for v in table["parent_id"]],
                                   index=table.index, dtype=object)
    table["level"] = table["level"].astype("int8")
    dup = table["unit_id"][table["unit_id"].duplicated()]
    if len(dup):
        raise BoundaryError(f"duplicate unit ids: {sorted(dup)}")
    return table


def resolve_missing_parents(table: pd.DataFrame, a1: gpd.GeoDataFrame, a2: gpd.GeoDataFrame) -> list[dict]:
    """Fill level-2 parents that are null or unknown by spatial containment, in place.

    The parent is the level-1 unit of the same country whose WOF polygon shares the largest
    area with the county. Returns one report entry per resolved unit.
    """
    known = set(table.loc[table["level"] == 1, "unit_id"])
    lvl2 = table.index[table["level"] == 2]
    a1_geom = dict(zip(a1["iso_3166_2"], a1.geometry.values))
    a1_country = dict(zip(a1["iso_3166_2"], a1["iso3"]))
    resolved: list[dict] = []
    for row_pos, idx in enumerate(lvl2):
        parent = table.at[idx, "parent_id"]
        country = table.at[idx, "country"]
        if parent in known and a1_country[parent] == country:
            continue
        geom = a2.geometry.values[row_pos]
        candidates = sorted(k for k, c in a1_country.items() if c == country)
        shares = {k: shapely.intersection(geom, a1_geom[k]).area / geom.area for k in candidates}
        best = max(candidates, key=lambda k: (shares[k], k))
        method = "containment: largest share of its area inside the WOF adm1 polygon"
        if shares[best] < 0.5:
            border = {k: shared_border_length(geom, a1_geom[k]) for k in candidates}
            best = max(candidates, key=lambda k: (border[k], k))
            method = ("not contained in any WOF adm1 polygon: assigned to the adm1 sharing the longest "
                      f"border ({border[best] * 111.32:.0f} km approx.)")
            if border[best] <= 0:
                raise BoundaryError(f"wof_adm2: {table.at[idx, 'unit_id']}: parent {parent!r} unknown and "
                                    "no level-1 unit contains or touches it")
        table.at[idx, "parent_id"] = best
        resolved.append({"unit_id": table.at[idx, "unit_id"], "name": table.at[idx, "source_name"],
                         "source_parent": None if parent is None else str(parent), "parent_id": best,
                         "share_inside_parent": round(shares[best], 4), "method": method})
        LOGGER.warning("parent of %s resolved by containment: %s", table.at[idx, "unit_id"], best)
    return resolved


def shared_border_length(geom: shapely.Geometry, other: shapely.Geometry, width: float = 1e-3) -> float:
    """Length (degrees) of ``geom``'s boundary lying within ``width`` of ``other``."""
    return float(shapely.intersection(shapely.boundary(geom), shapely.buffer(other, width)).length)


def read_crosswalk(path: pathlib.Path) -> pd.DataFrame:
    """Read the reviewed name crosswalk; every column is text, no empty cells allowed."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or tuple(rows[0].keys()) != CROSSWALK_COLUMNS:
        raise BoundaryError(f"{path}: expected columns {list(CROSSWALK_COLUMNS)}")
    frame = pd.DataFrame(rows, columns=list(CROSSWALK_COLUMNS), dtype=str)
    for line, row in enumerate(rows, start=2):
        empty = [k for k in CROSSWALK_COLUMNS if not (row[k] or "").strip()]
        if empty:
            raise BoundaryError(f"{path}:{line}: empty {empty}")
    dup = frame["unit_id"][frame["unit_id"].duplicated()]
    if len(dup):
        raise BoundaryError(f"{path}: more than one override for {sorted(dup)}")
    return frame


def apply_name_overrides(table: pd.DataFrame, crosswalk: pd.DataFrame, path: pathlib.Path) -> list[dict]:
    """Apply crosswalk overrides in place; fail if an override's unit or source name does not match."""
    position = {uid: i for i, uid in zip(table.index, table["unit_id"])}
    applied: list[dict] = []
    for line, row in enumerate(crosswalk.itertuples(index=False), start=2):
        if row.unit_id not in position:
            raise BoundaryError(f"{path}:{line}: unit_id {row.unit_id!r} is not a unit")
        idx = position[row.unit_id]
        source = table.at[idx, "source_name"]
        if source != row.source_name:
            raise BoundaryError(f"{path}:{line}: {row.unit_id} source name is {source!r}, "
                                f"crosswalk expects {row.source_name!r}")
        table.at[idx, "name"] = row.name
        table.at[idx, "name_en"] = row.name_en
        applied.append({"unit_id": row.unit_id, "source_name": source, "name": row.name,
                        "name_en": row.name_en, "note": row.note})
    return applied


# --------------------------------------------------------------------------------------------
# geometry
# --------------------------------------------------------------------------------------------


def leaf_units(table: pd.DataFrame, layers: Mapping[int, gpd.GeoDataFrame]) -> Leaves:
    """The finest units: level 2 where a country has it, level 1 for BLZ; sorted by unit_id."""
    a1, a2 = layers[1], layers[2]
    ids2 = (a2["iso3"] + "-" + a2["wof_id"].astype(str)).to_numpy(dtype=object)
    geoms = list(a2.geometry.values)
    ids = list(ids2)
    countries = list(a2["iso3"])
    mask = a1["iso3"].isin(LEAF_LEVEL_1_ONLY).to_numpy()
    ids += list(a1.loc[mask, "iso_3166_2"])
    geoms += list(a1.geometry.values[mask])
    countries += list(a1.loc[mask, "iso3"])
    order = np.argsort(np.asarray(ids, dtype=str), kind="stable")
    return Leaves(np.asarray(ids, dtype=object)[order], np.asarray(countries, dtype=object)[order],
                  np.asarray(geoms, dtype=object)[order])


def km2(geoms: Sequence[shapely.Geometry] | np.ndarray) -> np.ndarray:
    """Areas in km2 (equal-area projection) of lon/lat geometries."""
    if len(geoms) == 0:
        return np.zeros(0)
    return gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6


def overlap_pieces(geoms: np.ndarray, candidates: np.ndarray) -> list[tuple[int, int, shapely.Geometry]]:
    """Areal intersections between pairs of leaves (i < j) where ``candidates[i] or candidates[j]``."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = (left < right) & (candidates[left] | candidates[right])
    left, right = left[keep], right[keep]
    pieces = shapely.intersection(geoms[left], geoms[right])
    out = []
    for i, j, piece in zip(left, right, pieces):
        parts = shapely.get_parts(piece)
        parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)]
        if len(parts):
            out.append((int(i), int(j), shapely.multipolygons(parts)))
    return out


def repair_coverage(leaves: Leaves) -> tuple[np.ndarray, dict]:
    """Snap leaves to the grid and clean them into a valid coverage; report what changed.

    Overlaps (also between countries) and enclosed gaps narrower than GAP_WIDTH are merged into
    the neighbour with the longest shared border (``shapely.coverage_clean``). Overlap pieces are
    measured pairwise on the input; a unit's filled gap area is its net area change plus the
    overlap area it gave away.
    """
    snapped = shapely.set_precision(leaves.geometry, GRID_SIZE)
    cleaned = shapely.coverage_clean(snapped, gap_width=GAP_WIDTH, snapping_distance=SNAP_DISTANCE,
                                     merge_strategy="longest_border")
    cleaned = snap_to_grid(cleaned)  # nodes added by cleaning go back on the grid
    bad = np.flatnonzero(shapely.is_empty(cleaned) | ~shapely.is_valid(cleaned))
    if len(bad):
        raise BoundaryError(f"coverage cleaning broke leaves {list(leaves.unit_id[bad])}")
    changed = ~shapely.equals_exact(shapely.normalize(cleaned), shapely.normalize(snapped))
    overlaps = overlap_pieces(snapped, changed)
    piece_km2 = km2([p for _, _, p in overlaps])
    lost_km2 = np.zeros(len(snapped))
    cross: list[dict] = []
    for (i, j, piece), area in zip(overlaps, piece_km2):
        kept_i = shapely.intersection(piece, cleaned[i]).area
        kept_j = shapely.intersection(piece, cleaned[j]).area
        keeper, loser = (i, j) if kept_i >= kept_j else (j, i)
        lost_km2[loser] += area
        if leaves.country[i] != leaves.country[j]:
            cross.append({"units": [str(leaves.unit_id[i]), str(leaves.unit_id[j])],
                          "area_km2": round(float(area), 4), "kept_by": str(leaves.unit_id[keeper])})
    net_km2 = km2(cleaned) - km2(snapped)
    gained_km2 = np.clip(net_km2 + lost_km2, 0.0, None)
    report: dict = {"grid_size_deg": GRID_SIZE, "gap_width_deg": GAP_WIDTH,
                    "method": "shapely.coverage_clean (merge_strategy=longest_border) after snapping to the grid",
                    "leaves_changed": int(changed.sum()), "per_country": {},
                    "units_changed_over_0_1_km2": [], "cross_country_overlaps": cross}
    for c in COUNTRIES:
        m = leaves.country == c
        report["per_country"][c] = {"leaves_changed": int(changed[m].sum()),
                                    "overlap_removed_km2": round(float(lost_km2[m].sum()), 3),
                                    "gaps_filled_km2": round(float(gained_km2[m].sum()), 3)}
    for k in np.flatnonzero((gained_km2 > 0.1) | (lost_km2 > 0.1)):
        report["units_changed_over_0_1_km2"].append({"unit_id": str(leaves.unit_id[k]),
                                                      "gap_filled_km2": round(float(gained_km2[k]), 3),
                                                      "overlap_removed_km2": round(float(lost_km2[k]), 3)})
    report["cross_country_overlap_total_km2"] = round(sum(x["area_km2"] for x in cross), 3)
    cleaned, holes = fill_enclosed_holes(cleaned, leaves.country, leaves.unit_id)
    report["holes_filled_after_clean"] = holes
    if not shapely.coverage_is_valid(cleaned):
        raise BoundaryError("leaf coverage is not valid after repair")
    return cleaned, report


def fill_enclosed_holes(geoms: np.ndarray, countries: np.ndarray, unit_ids: np.ndarray,
                        max_km2: float = 1.0) -> tuple[np.ndarray, list[dict]]:
    """Fill holes left inside a country's dissolve (gaps coverage_clean did not merge).

    Each hole smaller than ``max_km2`` is merged into the leaf of that country sharing the longest
    border with it. Returns new geometries and one report entry per hole.
    """
    out = geoms.copy()
    filled: list[dict] = []
    for country in COUNTRIES:
        idx = np.flatnonzero(countries == country)
        dissolved = shapely.coverage_union_all(out[idx])
        holes = [shapely.Polygon(r) for p in shapely.get_parts(dissolved) for r in p.interiors]
        holes = sorted(holes, key=lambda h: h.wkb)
        if not holes:
            continue
        tree = shapely.STRtree(out[idx])
        foreign = shapely.STRtree(out[countries != country])
        foreign_geoms = out[countries != country]
        for hole, area in zip(holes, km2(holes)):
            inside = foreign_geoms[foreign.query(hole, predicate="intersects")]
            if area > max_km2 or any(shapely.intersection(hole, g).area > 0 for g in inside):
                continue  # a large hole is not a gap; a hole holding another country's land is not one either
            near = idx[tree.query(hole, predicate="intersects")]
            lengths = [shapely.intersection(hole.exterior, shapely.boundary(out[k])).length for k in near]
            best = int(near[int(np.argmax(lengths))])
            out[best] = snap_to_grid(shapely.union(out[best], hole, grid_size=GRID_SIZE))
            filled.append({"unit_id": str(unit_ids[best]), "area_km2": round(float(area), 4),
                           "point": [round(c, 4) for c in hole.representative_point().coords[0]]})
    return out, filled


def simplify_leaves(geoms: np.ndarray, tolerance: float) -> tuple[np.ndarray, list[str]]:
    """Simplify the whole leaf coverage at once and keep it on the grid and valid."""
    simplified = shapely.coverage_simplify(geoms, tolerance)
    simplified = snap_to_grid(simplified)
    problems: list[str] = []
    invalid = np.flatnonzero(~shapely.is_valid(simplified))
    if len(invalid):
        problems.append(f"{len(invalid)} leaves invalid after simplification; repaired with make_valid")
        simplified[invalid] = snap_to_grid(shapely.make_valid(simplified[invalid]))
    empty = np.flatnonzero(shapely.is_empty(simplified))
    if len(empty):
        raise BoundaryError(f"simplification emptied leaves at positions {list(empty)}")
    return simplified, problems


def union_children(child_ids: np.ndarray, child_parent: np.ndarray, child_geom: np.ndarray,
                   parent_ids: Iterable[str]) -> dict[str, shapely.Geometry]:
    """Union of the children of every parent (exact for a valid, edge-matched coverage)."""
    out: dict[str, shapely.Geometry] = {}
    for pid in parent_ids:
        members = child_geom[child_parent == pid]
        if len(members) == 0:
            raise BoundaryError(f"unit {pid} has no children to build its geometry from")
        out[pid] = shapely.normalize(shapely.coverage_union_all(members))
    return out


def assemble_geometries(table: pd.DataFrame, leaves: Leaves, leaf_geom: np.ndarray) -> np.ndarray:
    """Geometry for every row of ``table``: leaves as simplified, parents as unions of children."""
    geom_by_id: dict[str, shapely.Geometry] = {
        uid: shapely.normalize(g) for uid, g in zip(leaves.unit_id, leaf_geom)}
    lvl2 = table[table["level"] == 2]
    lvl1 = table[table["level"] == 1]
    need1 = lvl1.loc[~lvl1["country"].isin(LEAF_LEVEL_1_ONLY), "unit_id"]
    ids2 = lvl2["unit_id"].to_numpy()
    geom_by_id.update(union_children(ids2, lvl2["parent_id"].to_numpy(),
                                     np.array([geom_by_id[u] for u in ids2], dtype=object), need1))
    ids1 = lvl1["unit_id"].to_numpy()
    geom_by_id.update(union_children(ids1, lvl1["parent_id"].to_numpy(),
                                     np.array([geom_by_id[u] for u in ids1], dtype=object),
                                     table.loc[table["level"] == 0, "unit_id"]))
    return np.array([geom_by_id[u] for u in table["unit_id"]], dtype=object)


# --------------------------------------------------------------------------------------------
# checks and measurements
# --------------------------------------------------------------------------------------------


def check_counts(units: pd.DataFrame) -> list[str]:
    """Differences between unit counts and EXPECTED_COUNTS."""
    problems = []
    for level, expected in EXPECTED_COUNTS.items():
        got = units[units["level"] == level].groupby("country").size().to_dict()
        for c in COUNTRIES:
            if got.get(c, 0) != expected.get(c, 0):
                problems.append(f"level {level} {c}: {got.get(c, 0)} units, expected {expected.get(c, 0)}")
    return problems


def check_nesting(units: gpd.GeoDataFrame, rel_tol: float = 1e-9) -> tuple[list[str], dict]:
    """Coverage validity per level and country, parent area == sum of child areas."""
    problems: list[str] = []
    stats: dict = {}
    area = dict(zip(units["unit_id"], shapely.area(units.geometry.values)))
    for level in (0, 1, 2):
        sub = units[units["level"] == level]
        geoms = sub.geometry.values
        if not shapely.is_valid(geoms).all():
            problems.append(f"level {level}: invalid geometries")
        if not shapely.coverage_is_valid(geoms):
            edges = shapely.coverage_invalid_edges(geoms)
            bad = sub["unit_id"].to_numpy()[~shapely.is_empty(edges)]
            problems.append(f"level {level}: coverage invalid at {list(bad)[:20]}")
        if level == 0:
            continue
        worst = 0.0
        for pid, children in sub.groupby("parent_id"):
            total = sum(area[u] for u in children["unit_id"])
            rel = abs(area[pid] - total) / area[pid]
            worst = max(worst, rel)
            if rel > rel_tol:
                problems.append(f"{pid}: area {area[pid]} != sum of level-{level} children {total}")
        stats[f"max_rel_area_diff_level_{level}_vs_parent"] = worst
    return problems, stats


def geojson_text(gdf: gpd.GeoDataFrame) -> str:
    """Compact GeoJSON FeatureCollection (properties unit_id and name) as a browser would get it."""
    feats = [f'{{"type":"Feature","properties":{json.dumps({"unit_id": u, "name": n}, ensure_ascii=False)},'
             f'"geometry":{shapely.to_geojson(g)}}}'
             for u, n, g in zip(gdf["unit_id"], gdf["name"], gdf.geometry.values)]
    return '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}"


def measure_levels(units: gpd.GeoDataFrame) -> dict:
    """Features, vertices and GeoJSON bytes (raw and gzip) per level."""
    out = {}
    for level in (0, 1, 2):
        sub = units[units["level"] == level]
        data = geojson_text(sub).encode("utf-8")
        out[str(level)] = {"features": int(len(sub)),
                           "vertices": int(shapely.get_num_coordinates(sub.geometry.values).sum()),
                           "geojson_bytes": len(data),
                           "geojson_gzip_bytes": len(gzip.compress(data, compresslevel=9, mtime=0))}
    return out


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def build_units(raw_dir: pathlib.Path, *, crosswalk: pathlib.Path = DEFAULT_CROSSWALK,
                tolerance: float = SIMPLIFY_TOLERANCE) -> tuple[gpd.GeoDataFrame, dict]:
    """Build the units GeoDataFrame (levels 0-2, nested, simplified) and a JSON-able report.

    Raises BoundaryError on unusable input (bad CRS or geometry, broken crosswalk, wrong counts,
    levels that do not nest).
    """
    started = time.perf_counter()
    raw_dir = pathlib.Path(raw_dir)
    layers = load_wof(raw_dir)
    table = unit_table(layers)
    parents_resolved = resolve_missing_parents(table, layers[1], layers[2])
    overrides = apply_name_overrides(table, read_crosswalk(crosswalk), crosswalk)
    problems = check_counts(table)
    if problems:
        raise BoundaryError("unit counts differ from the contract: " + "; ".join(problems))

    leaves = leaf_units(table, layers)
    input_vertices = int(shapely.get_num_coordinates(leaves.geometry).sum())
    cleaned, repair = repair_coverage(leaves)
    simplified, simplify_problems = simplify_leaves(cleaned, tolerance)
    simplified, closed = fill_enclosed_holes(simplified, leaves.country, leaves.unit_id)
    repair["holes_closed_by_simplification"] = closed
    table = table.sort_values(["level", "unit_id"], kind="stable").reset_index(drop=True)
    geometry = assemble_geometries(table, leaves, simplified)
    units = gpd.GeoDataFrame(table[list(COLUMNS[:-1])].copy(), geometry=geometry, crs="EPSG:4326")
    units = units[list(COLUMNS)]

    nest_problems, nest_stats = check_nesting(units)
    if nest_problems:
        raise BoundaryError("levels do not nest: " + "; ".join(nest_problems[:10]))
    report = {
        "source": "Who's On First admin (boundaries/wof/wof_adm{0,1,2}.parquet)",
        "simplify_tolerance_deg": tolerance,
        "grid_size_deg": GRID_SIZE,
        "leaf_input_vertices": input_vertices,
        "levels": measure_levels(units),
        "repair": repair,
        "parents_resolved_by_containment": parents_resolved,
        "name_overrides": overrides,
        "checks": nest_stats,
        "problems": simplify_problems,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return units, report


# EPSG:4326 as PROJJSON, fixed: PROJ versions (and even the order of pyproj calls in one process) spell the
# same CRS as `datum` or `datum_ensemble`, which would make identical builds differ byte for byte.
CANONICAL_CRS_FILE = pathlib.Path(__file__).parent / "epsg4326.projjson"


def write_units(units: gpd.GeoDataFrame, out: pathlib.Path) -> None:
    """Write units as GeoParquet (zstd, bbox covering) with a fixed EPSG:4326 PROJJSON; byte-identical for
    identical input."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if units.crs is None or units.crs.to_epsg() != 4326:
        raise BoundaryError(f"units to write must be in EPSG:4326, not {units.crs}")
    units.to_parquet(out, index=False, compression="zstd", write_covering_bbox=True)
    written = pq.read_table(out)
    meta = dict(written.schema.metadata or {})
    geo = json.loads(meta[b"geo"])
    geo["columns"][geo["primary_column"]]["crs"] = json.loads(CANONICAL_CRS_FILE.read_text(encoding="utf-8"))
    meta[b"geo"] = json.dumps(geo).encode("utf-8")
    pq.write_table(written.replace_schema_metadata(meta), out, compression="zstd")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m geo.boundaries --raw DIR --out FILE.parquet [--report FILE.json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=pathlib.Path, required=True, help="raw data dir (has boundaries/wof)")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="output GeoParquet")
    parser.add_argument("--report", type=pathlib.Path, help="optional JSON report")
    parser.add_argument("--tolerance", type=float, default=SIMPLIFY_TOLERANCE, help="degrees")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        units, report = build_units(args.raw, tolerance=args.tolerance)
    except BoundaryError as exc:
        LOGGER.error("%s", exc)
        return 1
    write_units(units, args.out)
    if args.report:
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    LOGGER.info("wrote %d units to %s in %.1f s; levels %s", len(units), args.out, report["seconds"],
                json.dumps(report["levels"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
