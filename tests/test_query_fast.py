"""The array-based queries (core.query: slice_arrays, map_table, ...) against the plain pandas way they replace.

Every reference below is the pandas code the app used before the arrays (boolean masks, set_index/reindex,
Series.rank, sort_values), run on the same dataset: the fast path must give the same frame, value for value,
dtype for dtype, NaN for NaN and None for None."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import query

REAL = Path(__file__).resolve().parent.parent / "data" / "processed"


# ---- references: the pandas code of the previous version ---------------------------------------------------
def ref_scope_units(ds, level, focus):
    u = ds.units
    mask = u["level"] == level
    f = ds.unit(focus)
    if f is not None:
        mask &= u["anc0" if f["level"] == 0 else "anc1"] == focus
    return u.index[mask]


def ref_map_table(ds, level, focus, offense, year, sex, age, measure):
    units = ref_scope_units(ds, level, focus)
    sl = query._slice(ds, level, offense, sex, age)
    cur = sl[sl["year"] == year].set_index("unit_id").reindex(units)
    prev = sl[sl["year"] == year - 1].set_index("unit_id").reindex(units)
    src_col = f"{measure}_source"
    out = pd.DataFrame({
        "unit_id": units,
        "name": ds.units["name"].reindex(units).to_numpy(),
        "country": ds.units["country"].reindex(units).to_numpy(),
        "value": cur[measure].to_numpy(dtype="float64"),
        "count": cur["count"].to_numpy(dtype="float64"),
        "rate": cur["rate"].to_numpy(dtype="float64"),
        "rate_computed": cur["rate_computed"].fillna(False).astype(bool).to_numpy(),
        "population": cur["population"].to_numpy(dtype="float64"),
        "population_source": cur["population_source"].to_numpy(dtype=object),
        "source": cur[src_col].to_numpy(dtype=object),
        "count_source": cur["count_source"].to_numpy(dtype=object),
        "rate_source": cur["rate_source"].to_numpy(dtype=object),
    })
    prev_val = prev[measure].to_numpy(dtype="float64")
    same_src = prev[src_col].to_numpy(dtype=object) == out["source"].to_numpy(dtype=object)
    prev_val = np.where(same_src, prev_val, np.nan)
    out["prev_value"] = prev_val
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = np.where(prev_val > 0, (out["value"] - prev_val) / prev_val * 100.0, np.nan)
    out["rank"] = out["value"].rank(method="min", ascending=False).astype("Float64")
    out["_nan"] = out["value"].isna()
    return out.sort_values(["_nan", "rank", "name"]).drop(columns="_nan").reset_index(drop=True)


def _kinds(s: pd.Series) -> list[str]:
    """Each value's type, NaN told apart from None (a reindex fills text columns with NaN, the data has None)."""
    return [type(x).__name__ + ("-nan" if isinstance(x, float) and x != x else "") for x in s]


def assert_same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for c in a.columns:
        if a[c].dtype == object:
            assert _kinds(a[c]) == _kinds(b[c]), c


def _cases(ds, n_focus: int = 4):
    cat = query.catalog(ds)
    level1 = [u for u, (lv, _c, _p) in cat.units.items() if lv == 1][:n_focus]
    foci = [None] + list(ds.countries) + level1
    keys = sorted({(lv, o, s, a) for (lv, o, s, a) in ds.by_key})
    offenses = sorted({k[1] for k in keys})[:3]
    years = sorted(ds.years)
    years = sorted({years[0] - 1, years[len(years) // 2], years[-2], years[-1]})
    for level in (0, 1, 2):
        for focus in foci:
            for off in offenses:
                for year in years:
                    for sex in ("total", "female"):
                        for m in ("rate", "count"):
                            yield level, focus, off, year, sex, "total", m


@pytest.fixture(scope="module")
def real_ds():
    if not (REAL / "facts.parquet").is_file():
        pytest.skip("no processed data in data/processed")
    return query.get_dataset(REAL)


# ---- tests ---------------------------------------------------------------------------------------------------
def test_rank_min_desc_is_pandas_rank():
    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 7, 50, 400):
        vals = rng.integers(0, 12, n).astype("float64") / 4   # many ties
        vals[rng.random(n) < 0.2] = np.nan
        vals[: min(n, 2)] = [0.0, -0.0][: min(n, 2)]
        expected = pd.Series(vals).rank(method="min", ascending=False).to_numpy()
        np.testing.assert_array_equal(query.rank_min_desc(vals), expected)


def test_slice_arrays_rows_are_the_pandas_rows(ds):
    for (level, off, sex, age), sl in ds.by_key.items():
        sa = query.slice_arrays(ds, level, off, sex, age)
        for year in sorted(set(sl["year"])) + [1900]:
            sub = sl[sl["year"] == year]
            a, b = sa.block(year)
            assert b - a == len(sub)
            got = sorted(ds.units.index[sa.upos[a:b]])
            assert got == sorted(sub["unit_id"])
            # every column of the unit's row, by position
            upos = ds.units.index.get_indexer(sub["unit_id"])
            rows = sa.rows_of(year, upos, len(ds.units))
            for c in query.FLOAT_COLS:
                np.testing.assert_array_equal(sa.cols[c][rows], sub[c].to_numpy(dtype="float64"))
            for c in query.OBJECT_COLS + ("rate_computed",):
                assert list(sa.cols[c][rows]) == list(sub[c])


def test_scope_units_is_the_pandas_mask(ds):
    for level in (0, 1, 2):
        for focus in [None] + list(ds.units.index):
            assert list(query.scope_units(ds, level, focus)) == list(ref_scope_units(ds, level, focus))


def test_map_table_same_frame_as_pandas_fixture(ds):
    n = 0
    for i, case in enumerate(_cases(ds)):
        if i % 5 == 0:   # a fifth (5 is prime to the inner loops: every measure, sex and year)
            assert_same_frame(query.map_table.__wrapped__(ds, *case), ref_map_table(ds, *case))
            n += 1
    assert n > 100


def test_map_table_same_frame_as_pandas_real_data(real_ds):
    for i, case in enumerate(_cases(real_ds, 3)):
        if i % 7 == 0:   # a seventh of the cases: still every level, offence and year
            assert_same_frame(query.map_table.__wrapped__(real_ds, *case), ref_map_table(real_ds, *case))


def ref_unit(ds, unit_id):
    if not unit_id or unit_id not in ds.units.index:
        return None
    r = ds.units.loc[unit_id]
    return {"unit_id": unit_id, "level": int(r["level"]), "country": r["country"],
            "parent_id": r["parent_id"] if isinstance(r["parent_id"], str) else None, "name": r["name"]}


def ref_ancestors(ds, unit_id):
    chain, cur = [], unit_id
    while cur and cur in ds.units.index and len(chain) < 5:
        chain.append(cur)
        p = ds.units.at[cur, "parent_id"]
        cur = p if isinstance(p, str) else None
    return list(reversed(chain))


def test_unit_name_ancestors_as_pandas(ds):
    for uid in list(ds.units.index) + ["nope", "", None]:
        assert ds.unit(uid) == ref_unit(ds, uid)
        if uid is not None:
            assert ds.ancestors(uid) == ref_ancestors(ds, uid)
            expected = str(ds.units.at[uid, "name"]) if uid in ds.units.index else uid
            assert ds.name(uid) == expected


def ref_bbox(ds, unit_ids):
    sub = ds.units.loc[ds.units.index.intersection(list(unit_ids))]
    if sub.empty:
        return None
    return (float(sub["minx"].min()), float(sub["miny"].min()), float(sub["maxx"].max()), float(sub["maxy"].max()))


def test_bbox_as_pandas(ds):
    ids = list(ds.units.index)
    for sel in ([], ids, ids[:1], ids[1:4], ["nope"] + ids[-3:], ids[::2]):
        assert query.bbox(ds, sel) == ref_bbox(ds, sel)


def _ref_unit_rows(ds, unit_id, offense, sex, age):
    u = ds.unit(unit_id)
    sl = query._slice(ds, u["level"], offense, sex, age)
    return sl, sl[sl["unit_id"] == unit_id]


def ref_unit_series(ds, unit_id, offense, sex, age, measure):
    if ds.unit(unit_id) is None:
        return pd.DataFrame(columns=["year", "value", "source"])
    _, s = _ref_unit_rows(ds, unit_id, offense, sex, age)
    if s.empty:
        return pd.DataFrame(columns=["year", "value", "source"])
    s = s[s[measure].notna()]
    return pd.DataFrame({"year": s["year"].to_numpy(), "value": s[measure].to_numpy(dtype="float64"),
                         "source": s[f"{measure}_source"].to_numpy(dtype=object)}
                        ).sort_values("year").reset_index(drop=True)


def ref_unit_value(ds, unit_id, offense, year, sex, age, measure):
    if ds.unit(unit_id) is None:
        return None
    sl, _ = _ref_unit_rows(ds, unit_id, offense, sex, age)
    row = sl[(sl["year"] == year) & (sl["unit_id"] == unit_id)]
    if row.empty or pd.isna(row.iloc[0][measure]):
        return None
    return row.iloc[0].to_dict()


def _same_dict(a, b):
    assert (a is None) == (b is None)
    if a is not None:
        assert list(a) == list(b)
        for k in a:
            assert type(a[k]) is type(b[k]) and (a[k] == b[k] or (a[k] != a[k] and b[k] != b[k])), k


def test_unit_series_and_value_as_pandas(ds):
    units = list(ds.units.index) + ["nope"]
    offenses = sorted({k[1] for k in ds.by_key})[:3]
    for i, uid in enumerate(units):
        for off in offenses:
            for sex in ("total", "female"):
                for m in ("rate", "count"):
                    assert_same_frame(query.unit_series.__wrapped__(ds, uid, off, sex, "total", m),
                                      ref_unit_series(ds, uid, off, sex, "total", m))
                    for year in ds.years[i % 3::5]:
                        _same_dict(query.unit_value(ds, uid, off, year, sex, "total", m),
                                   ref_unit_value(ds, uid, off, year, sex, "total", m))


def ref_region_series(ds, offense, sex, age, measure):
    members = list(ds.countries)
    required = [c for c in members if c in query.MISSION_COUNTRIES] or members
    sl = query._slice(ds, 0, offense, sex, age)
    sl = sl[sl["unit_id"].isin(members) & sl[measure].notna()]
    rows = []
    for year, g in sl.groupby("year"):
        if not set(required) <= set(g["unit_id"]):
            continue
        pop_sources = []
        if measure == "count":
            val = float(g["count"].sum())
        else:
            if g["population"].isna().any():
                continue
            val = float((g["rate"] * g["population"]).sum() / g["population"].sum())
            pop_sources = sorted(set(g["population_source"].dropna().astype(str)))
        rows.append({"year": int(year), "value": val,
                     "sources": sorted(set(g[f"{measure}_source"].dropna().astype(str))),
                     "population_sources": pop_sources, "missing": sorted(set(members) - set(g["unit_id"]))})
    return pd.DataFrame(rows, columns=["year", "value", "sources", "population_sources", "missing"])


@pytest.mark.parametrize("which", ["fixture", "real"])
def test_region_series_as_pandas(which, ds, request):
    d = ds if which == "fixture" else request.getfixturevalue("real_ds")
    for off in sorted({k[1] for k in d.by_key}):
        for sex in ("total", "female", "male"):
            for m in ("rate", "count"):
                a = query.region_series.__wrapped__(d, off, sex, "total", m)
                b = ref_region_series(d, off, sex, "total", m)
                pd.testing.assert_frame_equal(a, b, check_exact=True)


# ---- core.smallnum.annotate: the columns it adds, as the previous inserts into a copy -------------------------
def ref_annotate_plain(table):
    """annotate() without pooling, as it was (pool=1 or counts)."""
    out = table.copy()
    count = out["count"].to_numpy(dtype="float64")
    out["small"] = np.where(np.isnan(count), False, count < query.SMALL_N)
    out["pooled"] = False
    out["pooled_count"] = np.nan
    out["pooled_population"] = np.nan
    out["pool_years"] = ""
    ranks = out["rank"]
    out["tie"] = ranks.notna() & ranks.duplicated(keep=False)
    return out


def test_ties_as_pandas_duplicated():
    from core.smallnum import ties
    rng = np.random.default_rng(5)
    for n in (0, 1, 3, 40, 300):
        r = pd.Series(rng.integers(1, 9, n).astype(float)).astype("Float64")
        r[rng.random(n) < 0.3] = pd.NA
        expected = (r.notna() & r.duplicated(keep=False)).to_numpy()
        np.testing.assert_array_equal(ties(r.to_numpy(dtype="float64", na_value=np.nan)), expected)


def test_annotate_adds_the_same_columns(ds):
    from core import smallnum
    from core.viewstate import ViewState
    for i, case in enumerate(_cases(ds)):
        if i % 5:
            continue
        level, focus, off, year, sex, age, m = case
        table = query.map_table.__wrapped__(ds, *case)
        got = smallnum.annotate(ds, ViewState(level=level, offense=off, year=year, sex=sex, measure=m), table)
        assert_same_frame(got, ref_annotate_plain(table))


def _text_as_object(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns and its column labels as Python objects (as core.view._annotated)."""
    out = df.astype({c: object for c, dt in df.dtypes.items() if pd.api.types.is_string_dtype(dt)})
    out.columns = pd.Index(list(out.columns), dtype=object)
    return out


def test_annotated_table_in_one_go_as_annotate_of_map_table(ds):
    """core.view._annotated builds the table and the small-number columns in one DataFrame when nothing pools:
    the same frame as smallnum.annotate over the pandas map table (and with pool=3, annotate itself), its text
    columns and column labels held as Python objects (missing text as NaN, as in the pandas frame)."""
    from core import smallnum, view
    from core.viewstate import ViewState
    for i, case in enumerate(_cases(ds)):
        if i % 5:
            continue
        level, focus, off, year, sex, age, m = case
        for pool in (1, 3):
            st = ViewState(level=level, offense=off, year=year, sex=sex, age=age, measure=m, pool=pool)
            got = view._annotated.__wrapped__(ds, level, focus, off, year, sex, age, m, pool)
            assert_same_frame(got, _text_as_object(smallnum.annotate(ds, st, ref_map_table(ds, *case))))


def test_object_frame_without_pandas_private_constructor(ds, monkeypatch):
    """query.object_frame builds with pandas' DataFrame._from_arrays (private API); a pandas without it gets the
    public constructor: the same frame either way, text columns and labels as Python objects."""
    from core import smallnum
    level, focus, off, year, sex, age, m = next(iter(_cases(ds)))
    cols = query.map_columns(ds, level, focus, off, year, sex, age, m)
    cols = cols | smallnum.plain_columns(cols["count"], cols["rank"])
    fast = query.object_frame(cols)
    monkeypatch.delattr(pd.DataFrame, "_from_arrays")
    public = query.object_frame(cols)
    assert_same_frame(fast, public)
    assert list(fast.columns) == list(cols) and fast.columns.dtype == object
    assert all(fast[c].dtype == object for c in ("unit_id", "name", "source", "pool_years"))
    assert fast["rank"].dtype == "Float64" and fast["value"].dtype == "float64"
    assert len(fast) == len(cols["value"]) and fast.index.equals(pd.RangeIndex(len(fast)))


def test_cell_sources_rows_as_masks(ds):
    """query.cell_sources picks the cell's rows by position: the same frame as the five boolean masks."""
    f = query.source_facts(ds)
    cells = f[["unit_id", "year", "offense", "sex", "age_group"]].drop_duplicates().itertuples(index=False)
    n = 0
    for unit_id, year, offense, sex, age in list(cells)[:200] + [("nope", 2020, "homicide", "total", "total")]:
        ref = f[(f["unit_id"] == unit_id) & (f["year"] == int(year)) & (f["offense"] == offense)
                & (f["sex"] == sex) & (f["age_group"] == age)].sort_values(["priority", "source_id"])
        got = query.cell_sources(ds, unit_id, int(year), offense, sex, age)
        assert list(got["source_id"]) == list(ref["source_id"])
        pd.testing.assert_series_equal(got["count"], ref["count"].reset_index(drop=True), check_exact=True)
        pd.testing.assert_series_equal(got["rate"], ref["rate"].reset_index(drop=True), check_exact=True)
        n += 1
    assert n > 5


def _cells(ds):
    """Every cell two or more sources publish, every 20th of the others, an unknown unit and a year without data."""
    n = query.source_facts(ds).groupby(["unit_id", "year", "offense", "sex", "age_group"], sort=False).size()
    cells = list(n[n >= 2].index) + list(n[n < 2].index[::20])
    return cells + [("nope", 2020, "homicide", "total", "total"), (cells[0][0], 1800) + tuple(cells[0][2:])]


@pytest.mark.parametrize("which", ["fixture", "real"])
def test_cell_source_arrays_are_cell_sources(which, ds, request):
    """query.cell_source_arrays (the headline caveat's path) against the cell_sources DataFrame, many cells:
    same sources in the same order, same published figures, same rate_any (computed rates included)."""
    d = ds if which == "fixture" else request.getfixturevalue("real_ds")
    n_multi = n_computed = 0
    for unit_id, year, offense, sex, age in _cells(d):
        ref = query.cell_sources(d, unit_id, int(year), offense, sex, age)
        got = query.cell_source_arrays(d, unit_id, int(year), offense, sex, age)
        assert list(got["source_id"]) == list(ref["source_id"])
        assert all(isinstance(s, str) for s in got["source_id"])
        for c in ("count", "rate", "rate_any"):
            assert got[c].dtype == np.float64
            np.testing.assert_array_equal(got[c], ref[c].to_numpy(dtype="float64"))
        n_multi += len(ref) >= 2
        n_computed += bool(ref["rate_computed"].any())
    assert n_multi > 0 and n_computed > 0


def test_load_prepares_every_slice_and_scope(fixture_dir, tmp_path):
    """get_dataset prepares the arrays a filter change reads before any query runs: every slice, and the scope
    of every (level, focus) focus_of can give (the same arrays a lazy first call builds)."""
    import shutil
    ds = query.get_dataset(shutil.copytree(fixture_dir, tmp_path / "copy"))   # a dataset no test has queried
    fast = query._fast(ds)
    assert set(fast["slices"]) == set(ds.by_key)
    assert set(fast["scope"]) == set(query.view_scopes(ds))
    cat = query.catalog(ds)
    expected = {(lv, query.focus_of(ds, lv, c, u)) for lv in (0, 1, 2) for c in [query.REGION] + list(ds.countries)
                for u in [None] + list(cat.units)}
    assert expected <= set(query.view_scopes(ds)) <= set(fast["scope"])
    for level, focus in expected:
        assert list(query.scope_units(ds, level, focus)) == list(ref_scope_units(ds, level, focus))


def test_geo_ids_are_the_served_geojson_ids(ds):
    """The feature ids kept when the GeoJSON is built are those of the served body, in its order."""
    import json
    blobs = [(k, b) for k, b in ds.geo.items() if isinstance(k, tuple) and len(k) == 2 and isinstance(k[0], int)]
    assert blobs
    for (level, scope), blob in blobs:
        assert query.geo_ids(ds, level, scope) == [str(f["id"]) for f in json.loads(blob.body)["features"]]


def test_source_facts_made_at_load_are_the_parquet_rows(ds):
    """source_facts, made from the facts read at load, equals the table read from facts.parquet again."""
    got = query.source_facts(ds)
    ref = query._source_facts(ds, pd.read_parquet(ds.data_dir / "facts.parquet"))
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    f = pd.read_parquet(ds.data_dir / "facts.parquet")
    annual = f[f["month"].isna() & (f["count"].notna() | f["rate"].notna())]
    assert len(got) == len(annual[annual["unit_id"].isin(ds.units.index)])


def test_large_datasets_prepare_slices_on_first_use(fixture_dir, monkeypatch):
    """Above OBS_PREPARE_SLICES_MAX_ROWS rows, no slice and no per-cell source row is prepared at load; a view
    makes them on first use, with the same tables as a dataset prepared at load."""
    monkeypatch.setattr(query, "PREPARE_SLICES_MAX_ROWS", 0)
    lazy = query._load(fixture_dir)
    query.prepare(lazy)
    assert query._fast(lazy).get("slices", {}) == {}
    assert "__source_facts__" not in lazy.geo
    assert "source_fact_arrays" not in query._fast(lazy)
    monkeypatch.setattr(query, "PREPARE_SLICES_MAX_ROWS", 10 ** 9)
    eager = query._load(fixture_dir)
    query.prepare(eager)
    assert len(query._fast(eager)["slices"]) == len(eager.by_key) > 0
    for level, off, year in ((0, "homicide", 2023), (1, "homicide", 2022), (1, "theft", 2023)):
        args = (level, None, off, year, "total", "total", "rate")
        pd.testing.assert_frame_equal(query.map_table.__wrapped__(lazy, *args),
                                      query.map_table.__wrapped__(eager, *args))
    assert (1, "theft", "total", "total") in query._fast(lazy)["slices"]
    for cell in (("CRI", 2023, "homicide"), ("CR-SJ", 2023, "homicide"), ("SLV", 2019, "homicide")):
        a, b = query.cell_sources(lazy, *cell), query.cell_sources(eager, *cell)
        pd.testing.assert_frame_equal(a, b)
        a, b = query.cell_source_arrays(lazy, *cell), query.cell_source_arrays(eager, *cell)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f")
                                            for k in a)
    assert "source_fact_arrays" in query._fast(lazy)   # made on first use
    pd.testing.assert_frame_equal(query.source_facts(lazy), query.source_facts(eager))
