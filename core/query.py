"""The only module that reads data/processed/.

`get_dataset(data_dir)` loads the Parquet files once per process (a lazy singleton keyed by the data folder) and
precomputes everything a filter change needs; the Dataset is read-only after loading. Queries answer with plain
DataFrames / dicts.

Source choice (docs/DATA_CONTRACT.md): for each unit/year/offense/sex/age and each measure, the best-priority source
(lowest `priority`) that has a non-null value for that measure. Where no source publishes a rate, the rate is
computed as count / population * 100,000 with the best-priority population for the same unit/year/sex/age
(`rate_computed` = True, `population_source` names it).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import threading
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import brotli
import numpy as np
import pandas as pd
import shapely

from core.i18n import OFFENSE_FALLBACK, prettify_code

log = logging.getLogger(__name__)

REPO_DIR = Path(__file__).resolve().parent.parent
VOCAB_DIR = REPO_DIR / "geo" / "vocab"
KEY = ["unit_id", "year", "offense", "sex", "age_group"]
POP_KEY = ["unit_id", "year", "sex", "age_group"]
MEASURES = ("rate", "count")
SEXES = ("total", "female", "male")
REGION = "region"
GEO_DECIMALS = 4


class DataError(RuntimeError):
    """The processed data is missing or unreadable (clear message, no traceback page)."""


# The whole region's departments and municipalities as the region-wide map shows them (levels 1 and 2, scope
# REGION): the region is ~24 degrees across, so a region map of 390-1,400 px has 0.06-0.017 degrees per pixel,
# and the municipalities' outlines (simplified by geo.build at 0.005 degrees for a country's map) carry detail
# no one can see there. Simplified again, as one coverage (shared borders stay shared), at this tolerance
# (shapely.coverage_simplify: Visvalingam-Whyatt, effective area tol^2): level 2 from 65,874 to ~21,000
# vertices, 318 -> ~110 KB br, and the first draw of the region's map ~0.19 s sooner (docs/PERFORMANCE.md).
# A country's own map (scope = the country) keeps the pipeline's geometry. 0 turns it off.
REGION_SIMPLIFY_TOLERANCE = float(os.environ.get("OBS_REGION_SIMPLIFY_DEG", "0.02"))
# The countries (level 0) at the pipeline's detail, served as /geo/level-0.json?country=detail: the land and the
# borders under a country's own map (its neighbours' coasts and borders, drawn at the country's scale). The
# region-wide maps use level 0 at region scale (?country=region), like levels 1 and 2 (round 7 of
# docs/PERFORMANCE.md: 53 -> 16 KB br on every region-wide page).
DETAIL = "DETAIL"
# The region-wide map of a level with more units than this draws a country none of whose units has a value as one
# grey area, its level-0 feature (core.figures.grey_countries; the same number as figures.NODATA_OUTLINE_MAX_UNITS,
# above which grey areas have no outline, tested). A country with no value at that level in the whole dataset is
# then never drawn unit by unit there, so the region-wide GeoJSON of the level leaves its units out (`whole_
# countries`): level 2 for the region 552 -> 40 KB, 88 -> 8.5 KB br, on every region-wide level-2 page.
REGION_WHOLE_GREY_MIN_UNITS = 300


def land_scope(scope: str) -> str:
    """The level-0 GeoJSON (land and country borders) under a map of `scope`: region scale for the region-wide
    map, the pipeline's detail under a country's map."""
    return REGION if scope == REGION else DETAIL


# the GeoJSON as brotli for browsers that accept it. Quality 5 for the small ones (all blobs ~0.1 s at load);
# the large ones (>= GEO_LARGE_BYTES: a country's level 2, the region's levels 1 and 2, the detailed level 0)
# at GEO_BROTLI_QUALITY_LARGE, compressed in two threads (brotli releases the GIL): quality 10 makes them ~20 %
# smaller (the region's level 2 108 -> 88 KB, Guatemala's 83 -> 62 KB) for ~0.9 s more at load, once per
# deployment with --preload (round 7 of docs/PERFORMANCE.md; quality 11: ~5 % smaller again, ~3x the time).
GEO_BROTLI_QUALITY = 5
GEO_BROTLI_QUALITY_LARGE = int(os.environ.get("OBS_GEO_BROTLI_QUALITY_LARGE", "10"))
GEO_LARGE_BYTES = 100 * 1024


@dataclass(frozen=True)
class GeoBlob:
    body: bytes
    gz: bytes
    br: bytes   # brotli (GEO_BROTLI_QUALITY, or GEO_BROTLI_QUALITY_LARGE for the large ones)
    etag: str


@dataclass
class Dataset:
    data_dir: Path
    version: str
    build_date: str
    units: pd.DataFrame                 # unit_id index: level, country, parent_id, name, anc0, anc1, minx..maxy
    values: pd.DataFrame                # precomputed best values per KEY (+ level, country)
    by_key: dict                        # (level, offense, sex, age) -> values subset (sorted by year)
    avail: pd.DataFrame                 # country, level, offense, measure, sex, age_group, year, n_units
    sources: dict                       # source_id -> dict
    offenses: list
    offense_labels: dict
    age_groups: list
    age_labels: dict
    years: list
    countries: list                     # ISO3, ordered by name
    children: dict                      # unit_id -> list of child unit ids
    geo: dict = field(default_factory=dict)   # (level, country|region) -> GeoBlob

    # ---- small helpers -------------------------------------------------------------------------
    def _info(self) -> dict:
        """unit_id -> (level, country, parent_id or None, name, English name), built once (a .loc per call cost
        ~0.5 ms)."""
        info = self.geo.get("__unit_info__")
        if info is None:
            u = self.units
            info = {uid: (int(lv), c, p if isinstance(p, str) else None, n, e)
                    for uid, lv, c, p, n, e in zip(u["unit_id"], u["level"], u["country"], u["parent_id"], u["name"],
                                                   u["name_en"])}
            self.geo["__unit_info__"] = info
        return info

    def unit(self, unit_id: str | None) -> dict | None:
        if not unit_id:
            return None
        r = self._info().get(unit_id)
        if r is None:
            return None
        return {"unit_id": unit_id, "level": r[0], "country": r[1], "parent_id": r[2], "name": r[3]}

    def name(self, unit_id: str, lang: str | None = None) -> str:
        """The unit's name; in English (`lang="en"`) its English name where the boundaries give one."""
        r = self._info().get(unit_id)
        if r is None:
            return unit_id
        return str(r[4] if lang == "en" else r[3])

    def ancestors(self, unit_id: str) -> list[str]:
        """[country, ..., unit] (the unit itself last)."""
        info = self._info()
        chain = []
        cur = unit_id
        while cur and cur in info and len(chain) < 5:
            chain.append(cur)
            cur = info[cur][2]
        return list(reversed(chain))

    def source_label(self, source_id: str | None) -> str:
        if not source_id:
            return ""
        s = self.sources.get(source_id)
        return s["publisher"] if s and s.get("publisher") else str(source_id)

    def offense_label(self, code: str, lang: str) -> str:
        lab = self.offense_labels.get(code) or OFFENSE_FALLBACK.get(code)
        if lab:
            return lab.get(lang) or lab.get("es") or prettify_code(code)
        return prettify_code(code)

    def age_label(self, code: str, lang: str) -> str:
        if code == "total":
            return "Todas las edades" if lang == "es" else "All ages"
        lab = self.age_labels.get(code)
        if lab:
            return lab.get(lang) or lab.get("es") or code
        return str(code).replace("_", "–")


# ---------------------------------------------------------------------------------------------------
_LOCK = threading.Lock()
_DATASETS: dict[Path, Dataset] = {}


def get_dataset(data_dir: str | Path | None = None) -> Dataset:
    """The dataset of `data_dir` (default: settings), loaded once per process."""
    if data_dir is None:
        if _DEFAULT_DIR:
            data_dir = _DEFAULT_DIR[0]
        else:
            from settings import SETTINGS
            data_dir = SETTINGS.data_dir
    ds = _DATASETS.get(data_dir)          # fast path: the folder exactly as asked before (no filesystem call)
    if ds is not None:
        return ds
    key = Path(data_dir).resolve()
    ds = _DATASETS.get(key)
    if ds is not None:
        _DATASETS[data_dir] = ds
        return ds
    with _LOCK:
        ds = _DATASETS.get(key)
        if ds is None:
            ds = _load(key)
            prepare(ds)
            _DATASETS[key] = ds
            _freeze_once()
    return ds


# ---- made at load, not on a filter change ----------------------------------------------------------------
_ON_LOAD: list = []
_FROZEN: list[bool] = []


def on_load(fn):
    """Register fn(ds), run by `prepare` on every dataset get_dataset loads, and now on those already loaded
    (core.view: the map framings). Pure functions of the immutable dataset only, keeping their results on it."""
    with _LOCK:
        if fn in _ON_LOAD:
            return fn
        _ON_LOAD.append(fn)
        loaded = list({id(d): d for d in _DATASETS.values()}.values())
    for ds in loaded:   # datasets loaded before fn was registered
        fn(ds)
    return fn


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


# Beyond this many best-value rows, a slice's arrays (and the caveat's source rows) are made when a view first asks
# for them (then kept), not all at load: at 11.2 M SYNTHETIC rows, preparing them took minutes and gigabytes
# (docs/PERFORMANCE.md, Scale).
PREPARE_SLICES_MAX_ROWS = _env_int("OBS_PREPARE_SLICES_MAX_ROWS", 2_000_000)


def prepare(ds: Dataset) -> None:
    """Everything a filter change reads that depends on the dataset alone, made once when it is loaded (with
    gunicorn --preload: in the master, shared by the workers) instead of on the first view that needs it: every
    slice's arrays, the units' arrays, the scopes of every (level, focus), the catalog's availability arrays, the
    source facts of the place caveat, and what modules registered with `on_load`. The first view of a slice
    cost up to ~140 ms more than the next ones (a level's framing ~100 ms, locale data ~20 ms, ...)."""
    from core import viewstate

    small = len(ds.values) <= PREPARE_SLICES_MAX_ROWS
    if small:
        for k in ds.by_key:
            slice_arrays(ds, *k)
    else:
        log.info("%d value rows (> OBS_PREPARE_SLICES_MAX_ROWS=%d): slices and the caveat's source rows prepared "
                 "on first use", len(ds.values), PREPARE_SLICES_MAX_ROWS)
    _unit_arrays(ds)
    for level, focus in view_scopes(ds):
        _scope(ds, level, focus)
    viewstate.prepare(catalog(ds))
    if small:   # a group per cell: at 11 M rows ~40 s and gigabytes, for the first view of a place only
        _source_fact_arrays(ds)
    for fn in list(_ON_LOAD):
        fn(ds)


def view_scopes(ds: Dataset) -> list[tuple[int, str | None]]:
    """Every (level, focus) focus_of can give: the region at each level, each country at levels 1 and 2, each
    level-1 unit at level 2."""
    info = ds._info()
    level1 = [uid for uid, (lv, *_rest) in info.items() if lv == 1]
    return ([(0, None), (1, None), (2, None)] + [(lv, c) for lv in (1, 2) for c in ds.countries]
            + [(2, u) for u in level1])


def _freeze_once() -> None:
    """After the first dataset of the process: collect, then move every object alive (the libraries, the app,
    the dataset: ~270,000 objects) out of the garbage collector's reach for good (gc.freeze). They live as long
    as the process; a full collection walking them took ~100 ms, on whichever filter change set it off. Under
    gunicorn --preload this runs in the master before the fork, so the workers' collections do not touch (and
    copy) the shared pages either."""
    if _FROZEN:
        return
    import gc

    _FROZEN.append(True)
    gc.collect()
    gc.freeze()


def _read_vocab(name: str) -> dict:
    """{code: {"es": ..., "en": ...}} from geo/vocab/<name>.csv if the pipeline ships it (else {})."""
    path = VOCAB_DIR / f"{name}.csv"
    if not path.is_file():
        return {}
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8")
    except Exception as exc:  # a broken vocabulary must not stop the app: fall back to built-in labels
        log.warning("cannot read %s: %s", path, exc)
        return {}
    cols = {c.lower(): c for c in df.columns}
    code_col = next((cols[c] for c in ("code", "offense", "offense_code", "age_group", "id") if c in cols),
                    df.columns[0])
    es_col = next((cols[c] for c in ("label_es", "es", "name_es", "etiqueta") if c in cols), None)
    en_col = next((cols[c] for c in ("label_en", "en", "name_en", "label") if c in cols), None)
    out = {}
    for _, r in df.iterrows():
        code = r[code_col]
        if not isinstance(code, str):
            continue
        lab = {}
        if es_col and isinstance(r[es_col], str):
            lab["es"] = r[es_col]
        if en_col and isinstance(r[en_col], str):
            lab["en"] = r[en_col]
        if lab:
            out[code.strip()] = lab
    return out


def _read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"processed data file missing: {path.name} in {path.parent}")
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as exc:
        raise DataError(f"cannot read {path.name}: {exc}") from exc


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


PLAIN_STRINGS_MAX_ROWS = 1_000_000


def _plain_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: the per-change filters, takes and reindexes on pyarrow-backed strings
    cost more than on object arrays at this size (measured: docs/PERFORMANCE.md). Above a million rows the
    Python strings cost more memory than they save time (+4.4 GB on the 11 M-row SYNTHETIC table): kept as they are."""
    if len(df) > PLAIN_STRINGS_MAX_ROWS:
        return df
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_string_dtype(out[c].dtype) and out[c].dtype != object:
            out[c] = out[c].astype(object)
    return out


def _english_names(gunits) -> pd.Series:
    """Each unit's English name: the boundaries' `name_en` where they give one, else its name (the units table's
    `name_en`, the countries' GeoJSON property of that name)."""
    name = gunits["name"].astype(str)
    if "name_en" not in gunits.columns:
        return name
    en = gunits["name_en"]
    return en.where(en.notna() & (en.astype(str) != ""), name).astype(str)


def _load(data_dir: Path) -> Dataset:
    import geopandas as gpd

    upath = data_dir / "units.parquet"
    if not upath.is_file():
        raise DataError(f"processed data file missing: units.parquet in {data_dir}")
    try:
        gunits = gpd.read_parquet(upath)
    except Exception as exc:
        raise DataError(f"cannot read units.parquet: {exc}") from exc
    facts = _read_parquet(data_dir / "facts.parquet")
    pop = _read_parquet(data_dir / "population.parquet")
    src = _read_parquet(data_dir / "sources.parquet")
    report = {}
    rpath = data_dir / "build_report.json"
    if rpath.is_file():
        try:
            report = json.loads(rpath.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("cannot read build_report.json: %s", exc)

    # ---- units ----
    bounds = gunits.geometry.bounds
    units = pd.DataFrame({
        "unit_id": gunits["unit_id"].astype(str),
        "level": gunits["level"].astype("int64"),
        "country": gunits["country"].astype(str),
        "parent_id": gunits["parent_id"].astype(object).where(gunits["parent_id"].notna(), None),
        "name": gunits["name"].astype(str),
        "name_en": _english_names(gunits),   # countries: "Dominican Republic"
        "minx": bounds["minx"], "miny": bounds["miny"], "maxx": bounds["maxx"], "maxy": bounds["maxy"],
    }).set_index("unit_id", drop=False)
    parent = units["parent_id"].to_dict()
    anc1 = []
    for uid, lvl in zip(units["unit_id"], units["level"]):
        anc1.append(uid if lvl == 1 else (parent.get(uid) if lvl == 2 else None))
    units["anc0"] = units["country"]
    units["anc1"] = anc1
    children: dict[str, list[str]] = {}
    for uid, p in parent.items():
        if isinstance(p, str):
            children.setdefault(p, []).append(uid)

    # ---- sources ----
    src = src.copy()
    src["priority"] = pd.to_numeric(src["priority"], errors="coerce").fillna(999).astype("int64")
    sources = {}
    for r in src.to_dict("records"):
        sources[str(r["source_id"])] = {k: (None if (isinstance(v, float) and np.isnan(v)) else v)
                                         for k, v in r.items()}
    prio = src[["source_id", "priority"]]

    # ---- best values ----
    v = _plain_strings(_best_values(units, prio, facts, pop))

    by_key = {k: g.reset_index(drop=True) for k, g in v.groupby(["level", "offense", "sex", "age_group"], sort=False)}

    av = []
    for m in MEASURES:
        sub = v[v[m].notna()]
        g = sub.groupby(["country", "level", "offense", "sex", "age_group", "year"]).size().rename("n_units").reset_index()
        g["measure"] = m
        av.append(g)
    avail = pd.concat(av, ignore_index=True) if av else pd.DataFrame()

    # ---- vocabularies ----
    offense_labels = _read_vocab("offenses")
    age_labels = _read_vocab("age_groups")
    ncountries = v.groupby("offense")["country"].nunique().to_dict()
    offenses = sorted(v["offense"].unique().tolist(), key=lambda o: (o != "homicide", -ncountries.get(o, 0), o))
    order = {code: i for i, code in enumerate(age_labels)}
    ages = sorted((a for a in v["age_group"].unique().tolist() if a != "total"), key=lambda a: (order.get(a, 999), a))
    age_groups = ["total"] + ages
    countries = sorted(units.loc[units["level"] == 0, "unit_id"].tolist(), key=lambda c: units.at[c, "name"])

    version_raw = report.get("version", "")
    if isinstance(version_raw, dict):
        build_date = str(version_raw.get("date") or version_raw.get("build_date") or "")
        h = str(version_raw.get("hash") or version_raw.get("content_hash") or "")
        version = f"{build_date} ({h[:7]})" if h else build_date
    else:
        version = str(version_raw)
        build_date = version[:10]
    if not version:
        h = hashlib.sha256(pd.util.hash_pandas_object(v[KEY], index=False).values.tobytes()).hexdigest()
        version, build_date = h[:7], ""

    ds = Dataset(data_dir=data_dir, version=version, build_date=build_date, units=units, values=v, by_key=by_key,
                 avail=avail, sources=sources, offenses=offenses, offense_labels=offense_labels,
                 age_groups=age_groups, age_labels=age_labels, years=sorted(v["year"].unique().tolist()),
                 countries=countries, children=children)
    with_values = set(zip(avail["country"].tolist(), avail["level"].tolist())) if len(avail) else set()
    ds.geo.update(_build_geo(gunits, countries, with_values))
    if len(facts) <= PREPARE_SLICES_MAX_ROWS:   # the facts just read (not read a second time); a larger table's
        ds.geo["__source_facts__"] = _source_facts(ds, facts)   # are made on first use (source_facts)
    return ds


def region_scale(geoms: np.ndarray, tolerance: float | None = None) -> np.ndarray:
    """The units of one level simplified together for the region-wide map (REGION_SIMPLIFY_TOLERANCE). A unit
    the simplification would empty or break keeps its own geometry; if the set is not a clean coverage (so
    shapely refuses it), all keep theirs and a warning says so."""
    tol = REGION_SIMPLIFY_TOLERANCE if tolerance is None else tolerance
    if tol <= 0 or not len(geoms):
        return geoms
    try:
        out = shapely.coverage_simplify(geoms, tol)
    except Exception as exc:   # a GEOS error on an odd input: the map is still right, only heavier
        log.warning("region-scale simplification skipped (%d units): %s", len(geoms), exc)
        return geoms
    bad = shapely.is_empty(out) | ~shapely.is_valid(out) | shapely.is_missing(out)
    out[bad] = geoms[bad]
    return out


def _build_geo(gunits, countries: list[str], with_values: set[tuple[str, int]] | None = None) -> dict:
    """GeoJSON FeatureCollections per (level, country|region), built once: id = unit_id, properties.name (and, for
    the countries, properties.name_en).

    `with_values`: the (country, level) pairs with at least one value. Given, the region-wide GeoJSON of a level
    with more than REGION_WHOLE_GREY_MIN_UNITS units leaves out the units of the countries without any value at
    that level that have a level-0 feature (they are drawn whole: `whole_countries`); None leaves out nothing.

    Rings are wound as the browser's map draws them: exterior rings clockwise, holes counter-clockwise. The SVG
    map (d3-geo inside plotly.js) reads a counter-clockwise exterior as "the whole globe except this area" and
    would paint the entire map with one unit's colour. (RFC 7946 recommends the opposite winding but tells
    readers not to reject either.)"""
    def served(geoms: np.ndarray) -> np.ndarray:
        geoms = shapely.transform(geoms, lambda c: np.round(c, GEO_DECIMALS))
        return shapely.to_geojson(shapely.orient_polygons(geoms, exterior_cw=True))

    levels = gunits["level"].to_numpy()
    geoms = np.asarray(gunits.geometry.to_numpy(), dtype=object)
    texts = served(geoms)
    region_texts = texts.copy()   # the region-wide map's levels 0, 1 and 2: coarser (region_scale)
    for lvl in (0, 1, 2):
        pos = np.flatnonzero(levels == lvl)
        if len(pos):
            region_texts[pos] = served(region_scale(geoms[pos]))
    feats = {}
    for uid, name, name_en, lvl, ctry, gj, gj_region in zip(gunits["unit_id"], gunits["name"],
                                                            _english_names(gunits), levels, gunits["country"],
                                                            texts, region_texts):
        if gj is None:
            continue
        props = {"name": str(name)}
        if int(lvl) == 0:   # the countries: their English name too (figures.name_property, assets/21_ranking.js)
            props["name_en"] = name_en
        head = json.dumps({"type": "Feature", "id": str(uid), "properties": props}, ensure_ascii=False)
        feats.setdefault(int(lvl), []).append((str(ctry), str(uid), head[:-1] + ',"geometry":' + gj + "}",
                                               head[:-1] + ',"geometry":' + (gj_region or gj) + "}"))
    out: dict = {}
    bodies: dict = {}
    land = {u for _, u, _, _ in feats.get(0, [])}
    for lvl, items in feats.items():
        whole: frozenset[str] = frozenset()
        if with_values is not None and lvl > 0 and len(items) > REGION_WHOLE_GREY_MIN_UNITS:
            whole = frozenset(c for c, _, _, _ in items if (c, lvl) not in with_values and c in land)
        out[("__whole__", lvl, REGION)] = whole
        for scope in [REGION] + countries:
            if scope == REGION:   # the region-wide map: without the countries drawn whole
                kept = [it for it in items if it[0] not in whole]
            else:                 # a country's own map: all its units
                kept = [it for it in items if it[0] == scope]
            if not kept and scope != REGION:
                continue
            bodies[(lvl, scope)] = _collection([(sr if scope == REGION else s) for _, _, s, sr in kept])
            out[("__ids__", lvl, scope)] = [u for _, u, _, _ in kept]
        if lvl == 0:   # every country at the pipeline's detail: the land under a country's map (DETAIL)
            bodies[(0, DETAIL)] = _collection([s for _, _, s, _ in items])
            out[("__ids__", 0, DETAIL)] = [u for _, u, _, _ in items]
    out.update(_blobs(bodies))
    return out


def _collection(features: list[str]) -> bytes:
    """A GeoJSON FeatureCollection of features already written as JSON text."""
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode("utf-8")


def _blobs(bodies: dict) -> dict:
    """{key: GeoBlob} for {key: GeoJSON bytes}: gzip 6 and brotli (quality by size), two threads."""
    from concurrent.futures import ThreadPoolExecutor

    def blob(body: bytes) -> GeoBlob:
        quality = GEO_BROTLI_QUALITY_LARGE if len(body) >= GEO_LARGE_BYTES else GEO_BROTLI_QUALITY
        return GeoBlob(body=body, gz=gzip.compress(body, 6, mtime=0), br=brotli.compress(body, quality=quality),
                       etag=hashlib.sha256(body).hexdigest()[:16])
    # the largest first, so that the two threads finish together
    order = sorted(bodies, key=lambda k: -len(bodies[k]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda k: blob(bodies[k]), order))
    _trim_heap()
    return dict(zip(order, done))


def _trim_heap() -> None:
    """Give the compressors' freed buffers back to the system (glibc keeps them in its per-thread arenas: ~11 MB
    more in every worker after brotli 10, measured); nothing happens where there is no glibc."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------------
def _as_object(col):
    """A text column as a NumPy array of Python objects (pandas would infer its Arrow-backed str dtype); other
    columns as they are."""
    if isinstance(col, pd.Index) or getattr(col, "dtype", None) == object or pd.api.types.is_string_dtype(
            getattr(col, "dtype", None)):
        return np.asarray(col, dtype=object)
    return col


def object_frame(cols: dict) -> pd.DataFrame:
    """A DataFrame of `cols` (name -> array of one length), text columns and column labels as Python objects.

    Built with `DataFrame._from_arrays`, pandas' own constructor from column arrays: ~0.5 ms for a level-2 view's
    21 columns, where the public constructor, with its checks and inference per column, took ~2.1 ms of the
    ~24 ms a never-seen level-2 view costs. It is private API (present since pandas 0.23; pandas is pinned in
    requirements.txt), so a pandas without it gets the public constructor: tests/test_query_fast.py compares
    the table with one built the public way."""
    arrays = [_as_object(v) for v in cols.values()]
    names = pd.Index(list(cols), dtype=object)
    n = len(arrays[0]) if arrays else 0
    build = getattr(pd.DataFrame, "_from_arrays", None)
    if build is not None:
        try:
            return build(arrays, columns=names, index=pd.RangeIndex(n), verify_integrity=False)
        except TypeError:   # another signature: the public way below
            pass
    out = pd.DataFrame({c: pd.Series(a, dtype=object, copy=False) if getattr(a, "dtype", None) == object else a
                        for c, a in zip(cols, arrays)})
    out.columns = names
    return out


def frame_memo(maxsize: int = 512):
    """Memoise a pure query `fn(ds, *hashable args) -> DataFrame` in this process (bounded, least recently used
    first out). One filter change asks for the same table from several panels; a DataFrame is not worth a trip
    through Redis. Each caller gets its own copy (callers may add columns). Results of pure functions of the
    immutable dataset only: no request or user state."""
    from collections import OrderedDict
    from functools import wraps

    def deco(fn):
        store: OrderedDict = OrderedDict()
        lock = threading.Lock()

        @wraps(fn)
        def wrapper(ds, *args, **kwargs):
            key = (id(ds), ds.version, str(ds.data_dir), args, tuple(sorted(kwargs.items())))
            with lock:
                hit = store.get(key)
                if hit is not None:
                    store.move_to_end(key)
            if hit is None:
                hit = fn(ds, *args, **kwargs)
                with lock:
                    store[key] = hit
                    while len(store) > maxsize:
                        store.popitem(last=False)
            # copy-on-write (pandas 3): a shallow copy is the caller's own; a column it adds or a value it sets
            # never reaches the memoised frame (a deep copy per call cost ~0.3 ms, four times per view)
            return hit.copy(deep=False) if isinstance(hit, pd.DataFrame) else hit

        wrapper.cache_clear = store.clear   # type: ignore[attr-defined]
        return wrapper
    return deco


def geo_scope(level: int, country: str) -> str:
    """Which GeoJSON a map at `level` for `country` uses: level 0 is always the whole region."""
    return REGION if level == 0 else country


def focus_of(ds: Dataset, level: int, country: str, unit: str | None) -> str | None:
    """The area the map is framed on and whose units it ranks (None = region).

    A selected unit above the map level is the focus (drill-down); a unit at the map level is seen inside its
    parent (a municipality inside its department); otherwise the chosen country, else the region."""
    if level == 0:
        return None
    u = ds.unit(unit)
    if u is not None:
        if u["level"] < level:
            return u["unit_id"]
        chain = ds.ancestors(u["unit_id"])
        return chain[level - 1] if len(chain) >= level else None
    return None if country == REGION else country


def scope_units(ds: Dataset, level: int, focus: str | None) -> pd.Index:
    """Unit ids at `level` inside `focus` (None = region), in the units' order (kept per dataset: pd.Index is
    immutable)."""
    return _scope(ds, level, focus)[0]


def _scope(ds: Dataset, level: int, focus: str | None) -> tuple[pd.Index, np.ndarray]:
    """scope_units and the positions of those units in ds.units (built once per (level, focus))."""
    store = _fast(ds).setdefault("scope", {})
    hit = store.get((level, focus))
    if hit is None:
        u = ds.units
        mask = u["level"] == level
        f = ds.unit(focus)
        if f is not None:
            mask &= u["anc0" if f["level"] == 0 else "anc1"] == focus
        mask = mask.to_numpy(dtype=bool)
        hit = store[(level, focus)] = (u.index[mask], np.flatnonzero(mask))
    return hit


def _slice(ds: Dataset, level: int, offense: str, sex: str, age: str) -> pd.DataFrame:
    return ds.by_key.get((level, offense, sex, age), ds.values.iloc[0:0])


# ---- plain arrays prepared once per dataset / slice: a filter change reads positions, not pandas masks -------
def _fast(ds: Dataset) -> dict:
    """The per-dataset store of prepared arrays (kept on the dataset, read-only once built)."""
    d = ds.geo.get("__fast__")
    if d is None:
        d = ds.geo.setdefault("__fast__", {})
    return d


@dataclass(frozen=True)
class SliceArrays:
    """One (level, offense, sex, age) slice of the best values as arrays, rows ordered by year (stable).

    `years`: distinct years ascending; rows of years[i] are bounds[i]:bounds[i+1]. `upos`: each row's unit as
    a position in ds.units (-1 if unknown). `cols`: the value columns as float64 / bool / object arrays.
    Internal: callers must not change the arrays."""
    years: np.ndarray
    bounds: np.ndarray
    upos: np.ndarray
    cols: dict
    src: np.ndarray          # each row's position in the slice's frame (ds.by_key[key])

    def block(self, year: int) -> tuple[int, int]:
        i = int(np.searchsorted(self.years, year))
        if i < len(self.years) and self.years[i] == year:
            return int(self.bounds[i]), int(self.bounds[i + 1])
        return 0, 0

    def year_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """The year of each row (int64)."""
        return self.years[np.searchsorted(self.bounds, rows, side="right") - 1]

    def rows_of(self, year: int, upos: np.ndarray, n_units: int) -> np.ndarray:
        """Row of each unit position in `upos` for `year` (-1 where the unit has no row)."""
        a, b = self.block(year)
        lookup = np.full(n_units, -1, dtype=np.intp)
        if b > a:
            lookup[self.upos[a:b]] = np.arange(a, b)
        return lookup[upos]


FLOAT_COLS = ("count", "rate", "population")
OBJECT_COLS = ("population_source", "count_source", "rate_source")


def _values_arrays(ds: Dataset) -> dict:
    """The best-values table as arrays, and each slice's row positions (one groupby, once per dataset)."""
    store = _fast(ds)
    hit = store.get("values")
    if hit is None:
        v = ds.values
        hit = {
            "groups": v.groupby(["level", "offense", "sex", "age_group"], sort=False).indices,
            "year": v["year"].to_numpy(dtype="int64"),
            "upos": ds.units.index.get_indexer(v["unit_id"]).astype(np.intp),
            "rate_computed": v["rate_computed"].to_numpy(dtype=bool),
            # text columns already held as Python objects (under a million rows): shared, not copied
            **{c: v[c].to_numpy(dtype="float64") for c in FLOAT_COLS},
            **{c: v[c].to_numpy() for c in OBJECT_COLS if v[c].dtype == object},
        }
        store["values"] = hit
    return hit


def slice_arrays(ds: Dataset, level: int, offense: str, sex: str, age: str) -> SliceArrays:
    """The arrays of one slice (built on first use from the dataset's arrays, then kept)."""
    store = _fast(ds).setdefault("slices", {})
    k = (level, offense, sex, age)
    hit = store.get(k)
    if hit is None:
        va = _values_arrays(ds)
        pos = va["groups"].get(k)
        pos = np.zeros(0, dtype=np.intp) if pos is None else np.asarray(pos, dtype=np.intp)
        yrs = va["year"][pos]
        order = np.argsort(yrs, kind="stable")
        pos, yrs = pos[order], yrs[order]
        years, starts = np.unique(yrs, return_index=True)
        cols = {c: va[c][pos] for c in FLOAT_COLS + ("rate_computed",)}
        for c in OBJECT_COLS:
            cols[c] = va[c][pos] if c in va else ds.values[c].take(pos).to_numpy(dtype=object)
        hit = store[k] = SliceArrays(years=years, bounds=np.append(starts, len(yrs)).astype(np.intp),
                                     upos=va["upos"][pos], cols=cols, src=order.astype(np.intp))
    return hit


def _unit_arrays(ds: Dataset) -> dict:
    """Per-unit arrays in ds.units order: name and country as Python strings, and a sort key of the name (equal
    names, equal keys; the order of Python string comparison, as pandas sorts text)."""
    store = _fast(ds)
    hit = store.get("units")
    if hit is None:
        names = ds.units["name"].to_numpy(dtype=object)
        _, name_key = np.unique(names, return_inverse=True)
        hit = store["units"] = {"name": names, "country": ds.units["country"].to_numpy(dtype=object),
                                "unit_id": ds.units.index.to_numpy(dtype=object),
                                "name_key": name_key.reshape(-1).astype(np.intp),
                                **{c: ds.units[c].to_numpy(dtype="float64") for c in ("minx", "miny", "maxx", "maxy")}}
    return hit


def _take(arr: np.ndarray, rows: np.ndarray, fill) -> np.ndarray:
    """arr[rows] with `fill` where rows == -1 (what a reindex gives for a missing label)."""
    ok = rows >= 0
    if arr.dtype == object:
        out = np.full(len(rows), fill, dtype=object)
    else:
        out = np.full(len(rows), fill, dtype=arr.dtype)
    out[ok] = arr[rows[ok]]
    return out


def rank_min_desc(values: np.ndarray) -> np.ndarray:
    """pandas' Series.rank(method="min", ascending=False) of a float array: 1 + how many values are larger;
    NaN stays NaN."""
    values = np.asarray(values, dtype="float64")
    out = np.full(len(values), np.nan)
    ok = ~np.isnan(values)
    s = np.sort(values[ok])
    out[ok] = (len(s) - np.searchsorted(s, values[ok], side="right") + 1).astype("float64")
    return out


@frame_memo()
def map_table(ds: Dataset, level: int, focus: str | None, offense: str, year: int, sex: str, age: str,
              measure: str) -> pd.DataFrame:
    """One row per unit in scope (units without data included, value NaN), sorted by rank then name.

    Columns: unit_id, name, country, value, count, rate, rate_computed, population, population_source, source,
    count_source, rate_source, rank, prev_value, change_pct (change only between years of the same source).
    Built from the slice's arrays (tests/test_query_fast.py checks it against the pandas reindex it replaces)."""
    return pd.DataFrame(map_columns(ds, level, focus, offense, year, sex, age, measure))


def map_columns(ds: Dataset, level: int, focus: str | None, offense: str, year: int, sex: str, age: str,
                measure: str) -> dict:
    """map_table's columns, in order, as arrays (pd.DataFrame(map_columns(...)) is map_table): core.view builds
    the annotated table in one go from them."""
    units, upos = _scope(ds, level, focus)
    sa = slice_arrays(ds, level, offense, sex, age)
    ua = _unit_arrays(ds)
    n_all = len(ds.units)
    cur = sa.rows_of(year, upos, n_all)
    prev = sa.rows_of(year - 1, upos, n_all)
    c = sa.cols
    src_col = f"{measure}_source"
    value = _take(c[measure], cur, np.nan)
    source = _take(c[src_col], cur, np.nan)
    prev_val = _take(c[measure], prev, np.nan)
    same_src = _take(c[src_col], prev, np.nan) == source
    prev_val = np.where(same_src, prev_val, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(prev_val > 0, (value - prev_val) / prev_val * 100.0, np.nan)
    rank = rank_min_desc(value)
    nan = np.isnan(value)
    # sort_values(["_nan", "rank", "name"]) is a stable lexicographic sort: the same with np.lexsort
    order = np.lexsort((ua["name_key"][upos], np.where(nan, np.inf, rank), nan))
    cur = cur[order]
    return {
        "unit_id": units[order],
        "name": ua["name"][upos[order]],
        "country": ua["country"][upos[order]],
        "value": value[order],
        "count": _take(c["count"], cur, np.nan),
        "rate": _take(c["rate"], cur, np.nan),
        "rate_computed": _take(c["rate_computed"], cur, False),
        "population": _take(c["population"], cur, np.nan),
        "population_source": _take(c["population_source"], cur, np.nan),
        "source": source[order],
        "count_source": _take(c["count_source"], cur, np.nan),
        "rate_source": _take(c["rate_source"], cur, np.nan),
        "prev_value": prev_val[order],
        "change_pct": change[order],
        "rank": pd.array(rank[order], dtype="Float64"),
    }


def _value_row(ds: Dataset, unit_id: str, offense: str, year: int, sex: str, age: str,
               measure: str) -> tuple[SliceArrays, int] | None:
    """The slice arrays and the row of one unit's best value (None: unknown unit, no row, or no value)."""
    u = ds._info().get(unit_id) if unit_id else None
    if u is None:
        return None
    sa = slice_arrays(ds, u[0], offense, sex, age)
    a, b = sa.block(year)
    hit = np.flatnonzero(sa.upos[a:b] == ds.units.index.get_loc(unit_id))
    if len(hit) == 0 or np.isnan(sa.cols[measure][a + hit[0]]):
        return None
    return sa, int(a + hit[0])


def unit_value(ds: Dataset, unit_id: str, offense: str, year: int, sex: str, age: str, measure: str) -> dict | None:
    """The best value of one unit (dict of the values row) or None."""
    found = _value_row(ds, unit_id, offense, year, sex, age, measure)
    if found is None:
        return None
    sa, row = found
    return _slice(ds, ds._info()[unit_id][0], offense, sex, age).iloc[int(sa.src[row])].to_dict()


_EMPTY_SERIES = ("year", "value", "source")


@frame_memo(2048)
def unit_series(ds: Dataset, unit_id: str, offense: str, sex: str, age: str, measure: str) -> pd.DataFrame:
    """year, value, source for one unit, years with a value only, ascending."""
    arrs = unit_series_arrays(ds, unit_id, offense, sex, age, measure)
    if arrs is None:
        return pd.DataFrame(columns=list(_EMPTY_SERIES))
    return pd.DataFrame(dict(zip(_EMPTY_SERIES, arrs)))


def unit_series_arrays(ds: Dataset, unit_id: str, offense: str, sex: str, age: str,
                       measure: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """unit_series as arrays (years int64, values float64, sources object), no DataFrame: the trend of the whole
    region reads eight of them per view. None when the unit is unknown or has no row in the slice."""
    u = ds.unit(unit_id)
    if u is None:
        return None
    sa = slice_arrays(ds, u["level"], offense, sex, age)
    rows = np.flatnonzero(sa.upos == ds.units.index.get_loc(unit_id))   # ascending years (rows ordered by year)
    if len(rows) == 0:
        return None
    rows = rows[~np.isnan(sa.cols[measure][rows])]
    return sa.year_of_rows(rows), sa.cols[measure][rows], sa.cols[f"{measure}_source"][rows]


# The six countries of the observatories' mission; Panama and Nicaragua are neighbours shown alongside.
MISSION_COUNTRIES = ("BLZ", "CRI", "DOM", "SLV", "GTM", "HND")


@frame_memo()
def region_series(ds: Dataset, offense: str, sex: str, age: str, measure: str) -> pd.DataFrame:
    """Regional figure per year, only where it can be honestly aggregated: every mission country (and every
    country of the data if none of them is present) has the value that year; neighbours without it are left out
    and listed in `missing`. Counts: the sum; rates: population-weighted mean = sum(rate*pop)/sum(pop), which
    needs a population for every country counted. Columns year, value, sources, population_sources, missing.
    One pass over the level-0 slice's arrays, rows in the slice's order (so the sums add in the same order)."""
    members = list(ds.countries)
    required = set(c for c in members if c in MISSION_COUNTRIES) or set(members)
    sa = slice_arrays(ds, 0, offense, sex, age)
    store = _fast(ds)
    member_pos = store.get("member_pos")
    if member_pos is None:   # the countries' positions in ds.units (a get_indexer cost ~0.5 ms per call)
        member_pos = store["member_pos"] = ds.units.index.get_indexer(pd.Index(members, dtype=object))
    c = sa.cols
    keep = np.isin(sa.upos, member_pos) & ~np.isnan(c[measure])
    names = _unit_arrays(ds)["unit_id"]
    rows = []
    for i, year in enumerate(sa.years):
        a, b = int(sa.bounds[i]), int(sa.bounds[i + 1])
        r = a + np.argsort(sa.src[a:b], kind="stable")   # the slice frame's order within the year
        r = r[keep[r]]
        if len(r) == 0:
            continue
        present = set(names[sa.upos[r]].tolist())
        if not required <= present:
            continue
        pop_sources: list[str] = []
        if measure == "count":
            val = float(c["count"][r].sum())
        else:
            pop = c["population"][r]
            if np.isnan(pop).any():
                continue
            val = float((c["rate"][r] * pop).sum() / pop.sum())
            pop_sources = sorted({str(x) for x in c["population_source"][r] if not _na(x)})
        rows.append({"year": int(year), "value": val,
                     "sources": sorted({str(x) for x in c[f"{measure}_source"][r] if not _na(x)}),
                     "population_sources": pop_sources,
                     "missing": sorted(set(members) - present)})
    names = ["year", "value", "sources", "population_sources", "missing"]
    if not rows:
        return pd.DataFrame(rows, columns=names)
    # pd.DataFrame(rows, columns=names) gives the same frame; from columns it costs ~0.2 instead of ~0.5 ms
    lists = []
    for name in names[2:]:
        col = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):   # element by element: lists of one length would be broadcast
            col[i] = r[name]
        lists.append(col)
    out = object_frame(dict(zip(names, [np.array([r["year"] for r in rows], dtype="int64"),
                                        np.array([r["value"] for r in rows], dtype="float64")] + lists)))
    out.columns = pd.Index(names)   # the labels as the public constructor makes them
    return out


def _na(x) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def sources_in(ds: Dataset, source_ids) -> list[dict]:
    """Source records (publisher, title, citation, address) for the given ids, in priority order."""
    ids = {s for s in source_ids if isinstance(s, str) and s in ds.sources}
    return sorted((ds.sources[s] for s in ids), key=lambda r: (r.get("priority", 999), str(r["source_id"])))


def bbox(ds: Dataset, unit_ids) -> tuple[float, float, float, float] | None:
    ua = _unit_arrays(ds)
    pos = ds.units.index.get_indexer(pd.Index(list(unit_ids), dtype=object))
    pos = np.unique(pos[pos >= 0])
    if len(pos) == 0:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN bounds: NaN, as pandas' min gives
        return (float(np.nanmin(ua["minx"][pos])), float(np.nanmin(ua["miny"][pos])),
                float(np.nanmax(ua["maxx"][pos])), float(np.nanmax(ua["maxy"][pos])))


def geojson(ds: Dataset, level: int, scope: str) -> GeoBlob | None:
    return ds.geo.get((level, scope))


def whole_countries(ds: Dataset, level: int, scope: str) -> frozenset[str]:
    """The countries whose units the GeoJSON of (level, scope) leaves out: no value at that level anywhere in the
    data, drawn as one grey area each (REGION_WHOLE_GREY_MIN_UNITS). Empty but for the region-wide levels."""
    return ds.geo.get(("__whole__", level, scope)) or frozenset()


def geo_ids(ds: Dataset, level: int, scope: str) -> list[str]:
    """The feature ids of the GeoJSON served for (level, scope), in its order (kept when the GeoJSON is built)."""
    key = ("__ids__", level, scope)
    ids = ds.geo.get(key)
    if ids is None:
        blob = geojson(ds, level, scope)
        ids = [str(f["id"]) for f in json.loads(blob.body)["features"]] if blob is not None else []
        ds.geo[key] = ids
    return list(ids)


def geo_id_set(ds: Dataset, level: int, scope: str) -> frozenset[str]:
    """The feature ids of the GeoJSON served for (level, scope), as a set (kept on the dataset)."""
    key = ("__id_set__", level, scope)
    got = ds.geo.get(key)
    if got is None:
        got = ds.geo[key] = frozenset(geo_ids(ds, level, scope))
    return got


def catalog(ds: Dataset):
    """The view-state catalog of this dataset (built once, cached on the dataset)."""
    from core.viewstate import Catalog

    cat = ds.geo.get("__catalog__")
    if cat is None:
        u = ds.units
        units = {uid: (int(lv), c, (p if isinstance(p, str) else None))
                 for uid, lv, c, p in zip(u["unit_id"], u["level"], u["country"], u["parent_id"])}
        lw = frozenset(zip(u["country"], u["level"].astype(int)))
        cat = Catalog(countries=tuple(ds.countries), units=units, offenses=tuple(ds.offenses),
                      years=tuple(int(y) for y in ds.years), ages=tuple(a for a in ds.age_groups if a != "total"),
                      levels_with_units=lw, avail=ds.avail)
        ds.geo["__catalog__"] = cat
    return cat


_DEFAULT_DIR: list[Path] = []


def set_default_data_dir(data_dir: str | Path) -> None:
    """The folder get_dataset() uses without an argument (set by app.create_app)."""
    _DEFAULT_DIR[:] = [Path(data_dir).resolve()]


# ---------------------------------------------------------------------------------------------------
# Issue 5 part B: every source side by side (reconciliation), pooled small numbers, units with data
# ---------------------------------------------------------------------------------------------------
SMALL_N = 20          # a rate built on fewer events than this is flagged as unstable
POOL_YEARS = 3


def source_facts(ds: Dataset) -> pd.DataFrame:
    """Every annual fact row of every source (month null), with the source's priority. Read once per dataset.

    Columns: unit_id, year, offense, sex, age_group, count, rate, source_id, priority."""
    cached = ds.geo.get("__source_facts__")
    if cached is not None:
        return cached
    out = _source_facts(ds, _read_parquet(ds.data_dir / "facts.parquet"))
    ds.geo["__source_facts__"] = out
    return out


def _source_facts(ds: Dataset, f: pd.DataFrame) -> pd.DataFrame:
    """source_facts of the facts table `f` (as read from facts.parquet)."""
    f = f[f["month"].isna()] if "month" in f.columns else f
    f = f[f["unit_id"].isin(ds.units.index)]
    prio = {s: int(r.get("priority") if r.get("priority") is not None else 999) for s, r in ds.sources.items()}
    out = pd.DataFrame({
        "unit_id": f["unit_id"].astype(str).to_numpy(), "year": f["year"].astype("int64").to_numpy(),
        "offense": f["offense"].astype(str).to_numpy(), "sex": f["sex"].astype(str).to_numpy(),
        "age_group": f["age_group"].astype(str).to_numpy(),
        "count": _floats(f["count"]), "rate": _floats(f["rate"]),
        "source_id": f["source_id"].astype(str).to_numpy(),
    })
    out["priority"] = out["source_id"].map(prio).fillna(999).astype("int64")
    return out[out["count"].notna() | out["rate"].notna()].reset_index(drop=True)


def _source_fact_rows(ds: Dataset) -> dict:
    """(unit_id, year, offense, sex, age_group) -> ascending row positions in source_facts (built once)."""
    store = _fast(ds)
    hit = store.get("source_fact_rows")
    if hit is None:
        hit = store["source_fact_rows"] = source_facts(ds).groupby(
            ["unit_id", "year", "offense", "sex", "age_group"], sort=False).indices
    return hit


def cell_sources(ds: Dataset, unit_id: str, year: int, offense: str, sex: str = "total",
                 age: str = "total") -> pd.DataFrame:
    """All sources' figures for one unit/year/offense/sex/age, in priority order.

    Columns: source_id, priority, count, rate (as published), population (best-priority, as the app uses),
    population_source, rate_any (published rate, else count / population * 100,000), rate_computed,
    map_count / map_rate (True for the source the map uses for that measure)."""
    f = source_facts(ds)
    rows = _source_fact_rows(ds).get((unit_id, int(year), offense, sex, age))
    # the cell's rows by position (five masks over every fact cost ~19 ms per call), in the table's order
    sub = f.iloc[rows if rows is not None else np.zeros(0, dtype=np.intp)].sort_values(["priority", "source_id"])
    best = unit_value(ds, unit_id, offense, int(year), sex, age, "count") or \
        unit_value(ds, unit_id, offense, int(year), sex, age, "rate") or {}
    pop = best.get("population")
    pop = float(pop) if pop is not None and not pd.isna(pop) else np.nan
    out = sub[["source_id", "priority", "count", "rate"]].reset_index(drop=True)
    out["population"] = pop
    out["population_source"] = best.get("population_source") if isinstance(best.get("population_source"), str) else None
    computed = out["rate"].isna() & out["count"].notna() & (pop == pop)
    out["rate_any"] = np.where(out["rate"].notna(), out["rate"], np.where(computed, out["count"] / pop * 1e5, np.nan))
    out["rate_computed"] = computed.to_numpy()
    out["map_count"] = out["source_id"] == best.get("count_source")
    out["map_rate"] = out["source_id"] == best.get("rate_source")
    return out


def _source_fact_arrays(ds: Dataset) -> dict:
    """source_facts' source_id, priority, count and rate as arrays, and each cell's rows (built once)."""
    store = _fast(ds)
    hit = store.get("source_fact_arrays")
    if hit is None:
        f = source_facts(ds)
        hit = store["source_fact_arrays"] = {
            "rows": _source_fact_rows(ds), "source_id": f["source_id"].to_numpy(dtype=object),
            "priority": f["priority"].to_numpy(dtype="int64"),
            "count": f["count"].to_numpy(dtype="float64"), "rate": f["rate"].to_numpy(dtype="float64")}
    return hit


def cell_source_arrays(ds: Dataset, unit_id: str, year: int, offense: str, sex: str = "total",
                       age: str = "total") -> dict:
    """cell_sources as arrays, for the headline's "sources disagree" caveat (asked on every view of a place;
    the DataFrame cost ~8 ms): source_id (object), count, rate and rate_any (float64), in the same order (priority,
    then source id; the facts' order between equal ones) and with the same rate_any.
    tests/test_query_fast.py checks it against cell_sources on every cell."""
    a = _source_fact_arrays(ds)
    rows = a["rows"].get((unit_id, int(year), offense, sex, age))
    if rows is None or len(rows) == 0:
        rows = np.zeros(0, dtype=np.intp)
    else:   # a handful of rows: Python's stable sort on (priority, source id), as sort_values orders them
        prio, sid = a["priority"], a["source_id"]
        rows = np.array(sorted(rows.tolist(), key=lambda r: (prio[r], sid[r])), dtype=np.intp)
    count, rate = a["count"][rows], a["rate"][rows]
    pop = np.nan
    if len(rows):
        found = (_value_row(ds, unit_id, offense, int(year), sex, age, "count")
                 or _value_row(ds, unit_id, offense, int(year), sex, age, "rate"))
        if found is not None:
            sa, r = found
            pop = float(sa.cols["population"][r])
    computed = np.isnan(rate) & ~np.isnan(count) & (pop == pop)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_any = np.where(~np.isnan(rate), rate, np.where(computed, count / pop * 1e5, np.nan))
    return {"source_id": a["source_id"][rows], "count": count, "rate": rate, "rate_any": rate_any}


def discrepancies(ds: Dataset, sex: str = "total", age: str = "total") -> pd.DataFrame:
    """Cells (unit_id, year, offense) where two or more sources publish a figure, for sex/age.

    Columns: unit_id, country, level, year, offense, n_sources, n_count_sources, count_min, count_max,
    has_rate_and_count. Sorted: cells with several counts first, then by country, year."""
    f = source_facts(ds)
    f = f[(f["sex"] == sex) & (f["age_group"] == age)]
    g = f.groupby(["unit_id", "year", "offense"])
    out = pd.DataFrame({
        "n_sources": g["source_id"].nunique(),
        "n_count_sources": g["count"].count(),
        "count_min": g["count"].min(),
        "count_max": g["count"].max(),
        "n_rate": g["rate"].count(),
    }).reset_index()
    out = out[out["n_sources"] >= 2].copy()
    out["has_rate_and_count"] = (out["n_rate"] > 0) & (out["n_count_sources"] > 0)
    out["country"] = ds.units["country"].reindex(out["unit_id"]).to_numpy()
    out["level"] = ds.units["level"].reindex(out["unit_id"]).to_numpy()
    out["_multi"] = out["n_count_sources"] < 2
    out = out.sort_values(["_multi", "level", "country", "year", "offense"]).drop(columns=["_multi", "n_rate"])
    return out.reset_index(drop=True)


def pooled_rates(ds: Dataset, level: int, offense: str, year: int, sex: str, age: str,
                 years: int = POOL_YEARS) -> pd.DataFrame:
    """Rate over `years` years ending in `year` = sum(count) / sum(population) * 100,000, with the best count
    and best population of each year (as the map uses them). Only units with a count and a population in every
    one of those years. Columns: unit_id, pooled_count, pooled_population, pooled_rate, first_year, last_year,
    count_sources (sorted tuple)."""
    sl = _slice(ds, level, offense, sex, age)
    span = list(range(int(year) - years + 1, int(year) + 1))
    sub = sl[sl["year"].isin(span) & sl["count"].notna() & sl["population"].notna()]
    g = sub.groupby("unit_id")
    out = pd.DataFrame({"n": g["year"].nunique(), "pooled_count": g["count"].sum(),
                        "pooled_population": g["population"].sum(),
                        "count_sources": g["count_source"].agg(lambda s: tuple(sorted(set(s))))}).reset_index()
    out = out[out["n"] == years].drop(columns="n")
    out["pooled_rate"] = out["pooled_count"] / out["pooled_population"] * 1e5
    out["first_year"], out["last_year"] = span[0], span[-1]
    return out.reset_index(drop=True)


def units_with_data(ds: Dataset, offense: str, sex: str = "total", age: str = "total",
                    measure: str | None = None) -> list[str]:
    """Unit ids (any level) with at least one value of the offense (for the measure, or either), ordered by
    level, country name, name."""
    v = ds.values
    mask = (v["offense"] == offense) & (v["sex"] == sex) & (v["age_group"] == age)
    if measure in MEASURES:
        mask &= v[measure].notna()
    ids_ = pd.unique(v.loc[mask, "unit_id"])
    u = ds.units.loc[list(ids_)]
    cname = {c: ds.name(c) for c in ds.countries}
    u = u.assign(_c=u["country"].map(cname)).sort_values(["level", "_c", "name"])
    return u.index.tolist()


# ---------------------------------------------------------------------------------------------------
# Issue 5 part A: public API tables, methodology, data version and pinned (previous) versions
# ---------------------------------------------------------------------------------------------------
PREVIOUS_DIR = "previous"                  # data/processed/previous/facts-<version id>.parquet (geo/build.py)
_VERSION_ID = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9a-f]{8}$")
FACT_COLUMNS = ["unit_id", "year", "month", "offense", "sex", "age_group", "count", "rate", "source_id"]


def _memo_ds(ds: Dataset, key: str, make):
    """A value computed once per dataset and kept on it (read-only afterwards)."""
    val = ds.geo.get(key)
    if val is None:
        val = make()
        ds.geo[key] = val
    return val


def build_report(ds: Dataset) -> dict:
    """build_report.json of the dataset's folder ({} if missing or unreadable)."""
    def make():
        path = ds.data_dir / "build_report.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
    return _memo_ds(ds, "__report__", make)


def version_info(ds: Dataset) -> dict:
    """{id, date, content_hash, label}: id is the build report's `version.id` (date-hash8), label the footer text."""
    v = build_report(ds).get("version")
    v = v if isinstance(v, dict) else {}
    date = str(v.get("date") or v.get("build_date") or ds.build_date or "")
    h = str(v.get("content_hash") or v.get("hash") or "")
    vid = str(v.get("id") or (f"{date}-{h[:8]}" if date and h else ds.version))
    return {"id": vid, "date": date, "content_hash": h, "label": ds.version}


def coverage_table(ds: Dataset) -> list[dict]:
    """The build report's coverage list (country, level, offense, source_id, years, sexes, age_groups, measures)."""
    cov = build_report(ds).get("coverage")
    return [c for c in cov if isinstance(c, dict)] if isinstance(cov, list) else []


def units_table(ds: Dataset, geometry: bool = False) -> pd.DataFrame:
    """unit_id, level, country, parent_id, name, name_en (+ geometry as GeoJSON text, 4 decimals), file order."""
    def make():
        import geopandas as gpd
        g = gpd.read_parquet(ds.data_dir / "units.parquet")
        geoms = shapely.transform(g.geometry.values, lambda c: np.round(c, GEO_DECIMALS))
        return pd.DataFrame({
            "unit_id": g["unit_id"].astype(str).to_numpy(), "level": g["level"].astype("int64").to_numpy(),
            "country": g["country"].astype(str).to_numpy(),
            "parent_id": g["parent_id"].astype(object).where(g["parent_id"].notna(), None).to_numpy(),
            "name": g["name"].astype(str).to_numpy(),
            "name_en": (g["name_en"].astype(object).where(g["name_en"].notna(), None).to_numpy()
                        if "name_en" in g.columns else None),
            "geometry": shapely.to_geojson(geoms),
        })
    full = _memo_ds(ds, "__units_api__", make)
    return full if geometry else full.drop(columns="geometry")


def facts_table(ds: Dataset) -> pd.DataFrame:
    """Every row of facts.parquet (the contract columns, file order) plus unit_name, country, level and
    source_citation; counts/rates as floats (NaN = not published), month as nullable Int64."""
    def make():
        f = _read_parquet(ds.data_dir / "facts.parquet")
        u = ds.units
        cit = {s: (r.get("citation") or r.get("publisher") or s) for s, r in ds.sources.items()}
        return pd.DataFrame({
            "unit_id": f["unit_id"].astype(str).to_numpy(),
            "unit_name": u["name"].reindex(f["unit_id"]).to_numpy(dtype=object),
            "country": u["country"].reindex(f["unit_id"]).to_numpy(dtype=object),
            "level": u["level"].reindex(f["unit_id"]).to_numpy(dtype="float64"),
            "year": f["year"].astype("int64").to_numpy(),
            "month": f["month"].astype("Int64").to_numpy() if "month" in f.columns else pd.NA,
            "offense": f["offense"].astype(str).to_numpy(), "sex": f["sex"].astype(str).to_numpy(),
            "age_group": f["age_group"].astype(str).to_numpy(),
            "count": _floats(f["count"]), "rate": _floats(f["rate"]),
            "source_id": f["source_id"].astype(str).to_numpy(),
            "source_citation": f["source_id"].astype(str).map(cit).to_numpy(dtype=object),
        })
    return _memo_ds(ds, "__facts_api__", make)


def offense_vocabulary() -> list[dict]:
    """geo/vocab/offenses.csv as records: code, label_es, label_en, description."""
    path = VOCAB_DIR / "offenses.csv"
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False)
    except (OSError, ValueError):
        return []
    cols = [c for c in ("code", "label_es", "label_en", "description") if c in df.columns]
    return [{c: (r[c] or None) for c in cols} for r in df[cols].to_dict("records")]


def population_coverage(ds: Dataset) -> list[dict]:
    """Per population source, country and level: the years with a population figure (sorted)."""
    def make():
        p = _read_parquet(ds.data_dir / "population.parquet", columns=["unit_id", "year", "source_id"])
        p = p.assign(country=ds.units["country"].reindex(p["unit_id"]).to_numpy(dtype=object),
                     level=ds.units["level"].reindex(p["unit_id"]).to_numpy(dtype="float64"))
        p = p[p["country"].notna()]
        return [{"source_id": str(s), "country": str(c), "level": int(lv),
                 "years": sorted(int(y) for y in g["year"].unique())}
                for (s, c, lv), g in p.groupby(["source_id", "country", "level"])]
    return _memo_ds(ds, "__pop_cov__", make)


def previous_versions(ds: Dataset) -> dict[str, Path]:
    """{version id: facts file} of the previous build(s) kept in <data>/previous/ (see geo/build.py)."""
    folder = ds.data_dir / PREVIOUS_DIR
    out: dict[str, Path] = {}
    if folder.is_dir():
        for path in folder.glob("facts-*.parquet"):
            vid = path.name[len("facts-"):-len(".parquet")]
            if _VERSION_ID.match(vid):
                out[vid] = path
    return out


def _best_values(units: pd.DataFrame, prio: pd.DataFrame, facts: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    """The rule of the contract: per KEY and measure, the best-priority source with a value; a rate computed as
    count / population * 100,000 (best-priority population of the same unit/year/sex/age) where none is
    published. Annual figures only (month null)."""
    f = facts[facts["month"].isna()] if "month" in facts.columns else facts
    f = f[f["unit_id"].isin(units.index)]
    f = f.assign(count=_floats(f["count"]), rate=_floats(f["rate"]),
                 year=f["year"].astype("int64")).merge(prio, on="source_id", how="left")
    f["priority"] = f["priority"].fillna(999)
    f = f.sort_values(KEY + ["priority", "source_id"])
    cnt = (f[f["count"].notna()].drop_duplicates(KEY)[KEY + ["count", "source_id"]]
           .rename(columns={"source_id": "count_source"}))
    rat = (f[f["rate"].notna()].drop_duplicates(KEY)[KEY + ["rate", "source_id"]]
           .rename(columns={"rate": "rate_pub", "source_id": "rate_pub_source"}))
    v = cnt.merge(rat, on=KEY, how="outer")
    p = pop.assign(population=_floats(pop["population"]), year=pop["year"].astype("int64"))
    p = p[p["population"] > 0].merge(prio, on="source_id", how="left")
    p["priority"] = p["priority"].fillna(999)
    p = (p.sort_values(POP_KEY + ["priority", "source_id"]).drop_duplicates(POP_KEY)[POP_KEY + ["population",
                                                                                            "source_id"]]
         .rename(columns={"source_id": "population_source"}))
    v = v.merge(p, on=POP_KEY, how="left")
    published = v["rate_pub"].notna()
    computed = ~published & v["count"].notna() & v["population"].notna()
    v["rate"] = np.where(published, v["rate_pub"], np.where(computed, v["count"] / v["population"] * 1e5, np.nan))
    v["rate_computed"] = computed.to_numpy()
    v["rate_source"] = np.where(published, v["rate_pub_source"], np.where(computed, v["count_source"], None))
    v = v.drop(columns=["rate_pub", "rate_pub_source"])
    v["level"] = units["level"].reindex(v["unit_id"]).to_numpy()
    v["country"] = units["country"].reindex(v["unit_id"]).to_numpy()
    return v.sort_values(["level", "offense", "sex", "age_group", "year", "unit_id"]).reset_index(drop=True)


def best_values(ds: Dataset, facts: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    """The best value per KEY from another facts/population table (a pinned version), with the dataset's units
    and source priorities: the same rule `_load` applies to the current files."""
    prio = pd.DataFrame({"source_id": list(ds.sources),
                         "priority": [int(r.get("priority") if r.get("priority") is not None else 999)
                                      for r in ds.sources.values()]})
    return _plain_strings(_best_values(ds.units, prio, facts, pop))


def pinned_dataset(ds: Dataset, version_id: str) -> Dataset | None:
    """The dataset as it was at a previous version (its facts, and its population when kept; otherwise today's
    population), sharing units, sources and labels with `ds`. `ds` itself for the current version; None when
    the version is unknown or its file unreadable."""
    if not isinstance(version_id, str) or not _VERSION_ID.match(version_id):
        return None
    if version_id == version_info(ds)["id"]:
        return ds
    key = f"__pinned__{version_id}"
    cached = ds.geo.get(key)
    if cached is not None:
        return cached
    path = previous_versions(ds).get(version_id)
    if path is None:
        return None
    try:
        facts = pd.read_parquet(path)
        ppath = path.with_name(f"population-{version_id}.parquet")
        pop = pd.read_parquet(ppath if ppath.is_file() else ds.data_dir / "population.parquet")
        v = best_values(ds, facts, pop)
    except Exception as exc:   # an unreadable old file is an unknown version, never a crash
        log.warning("cannot read previous version %s: %s", version_id, exc)
        return None
    by_key = {k: g.reset_index(drop=True) for k, g in v.groupby(["level", "offense", "sex", "age_group"], sort=False)}
    old = replace(ds, version=version_id, values=v, by_key=by_key, geo={})
    ds.geo[key] = old
    return old
