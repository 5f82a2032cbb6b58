"""SYNTHETIC data for the scale benchmark only — invented numbers, never shipped, never written under data/.

A fact table of >= 10 million rows in the shape of docs/DATA_CONTRACT.md's facts.parquet: every unit of a
units.parquet x 30 years x offences x sex (total, female, male, unknown) x age groups, `source_id` = "SYNTHETIC",
and the Parquet file carries the key-value metadata {"observatorio": "SYNTHETIC benchmark data, not real"}.

Then: the query behind one filter change (level 2, whole region, one offence / year / sex / age, and the year
before for the change column) timed several ways:
  * pandas boolean mask over the whole table (str columns, then categorical columns);
  * pre-grouped: dict (level, offence, sex, age) -> frame sorted by year, then a year slice — what
    core/query.py's Dataset.by_key does;
  * DuckDB over the Parquet file (sorted so that row-group statistics prune) and over the in-memory Arrow table;
  * the app's own code: core.query.get_dataset() on a folder holding the synthetic facts (load time, memory),
    then core.query.map_table() — the exact query behind a filter change.

`python -m bench.synthetic [--units PATH] [--rows N] [--no-app]` prints JSON.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
LABEL = {"observatorio": "SYNTHETIC benchmark data, not real"}
SEXES = ["total", "female", "male", "unknown"]
YEARS = list(range(1995, 2025))   # 30 years


def _vocab(name: str) -> list[str]:
    path = ROOT / "geo" / "vocab" / f"{name}.csv"
    return pd.read_csv(path)["code"].astype(str).tolist() if path.is_file() else []


def dimensions(n_units: int, rows: int) -> tuple[list[str], list[str]]:
    """Offences and age groups so that units x 30 x 4 x ages x offences >= rows."""
    ages = ["total"] + [a for a in _vocab("age_groups") if a != "total"][:6]
    per_offense = n_units * len(YEARS) * len(SEXES) * len(ages)
    n_off = math.ceil(rows / per_offense)
    offenses = (_vocab("offenses") or ["homicide"])[:n_off]
    offenses += [f"synthetic_{i:03d}" for i in range(n_off - len(offenses))]
    return offenses, ages


def generate(units: pd.DataFrame, rows: int = 10_000_000, seed: int = 7) -> pd.DataFrame:
    """The synthetic fact table (whole years only). `units`: unit_id, level."""
    rng = np.random.default_rng(seed)
    offenses, ages = dimensions(len(units), rows)
    dims = [units["unit_id"].to_numpy(dtype=object), np.array(YEARS, dtype="int16"), np.array(offenses, dtype=object),
            np.array(SEXES, dtype=object), np.array(ages, dtype=object)]
    sizes = [len(d) for d in dims]
    n = int(np.prod(sizes))
    idx = np.indices(sizes, dtype="int32").reshape(len(sizes), n)   # offence-major order after the sort below
    df = pd.DataFrame({
        "unit_id": pd.Categorical.from_codes(idx[0], categories=dims[0]).astype(str),
        "year": dims[1][idx[1]],
        "month": pd.array([None] * n, dtype="Int8"),
        "offense": pd.Categorical.from_codes(idx[2], categories=dims[2]).astype(str),
        "sex": pd.Categorical.from_codes(idx[3], categories=dims[3]).astype(str),
        "age_group": pd.Categorical.from_codes(idx[4], categories=dims[4]).astype(str),
        "count": pd.array(rng.poisson(12, n).astype("float64"), dtype="Float64"),
        "rate": pd.array(np.full(n, np.nan), dtype="Float64"),
        "source_id": "SYNTHETIC",
    })
    return df


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **{k.encode(): v.encode()
                                                                               for k, v in LABEL.items()}})
    pq.write_table(table, path, compression="zstd", row_group_size=256_000)


def _timeit(fn, reps: int) -> dict:
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return {"median_ms": round(statistics.median(ts) * 1e3, 2), "p95_ms": round(ts[int(0.95 * (len(ts) - 1))] * 1e3, 2),
            "n": reps}


def run(units_path: Path, rows: int = 10_000_000, with_app: bool = True, reps: int = 30) -> dict:
    import geopandas as gpd

    t0 = time.perf_counter()
    gunits = gpd.read_parquet(units_path)
    units = pd.DataFrame({"unit_id": gunits["unit_id"].astype(str), "level": gunits["level"].astype("int8")})
    facts = generate(units, rows)
    gen_s = time.perf_counter() - t0
    offenses, ages = dimensions(len(units), rows)
    out: dict = {"label": "SYNTHETIC", "rows": len(facts), "units": len(units), "years": len(YEARS),
                 "offenses": len(offenses), "sexes": len(SEXES), "age_groups": len(ages),
                 "generate_s": round(gen_s, 2)}
    rng = np.random.default_rng(1)
    combos = [(offenses[rng.integers(len(offenses))], int(YEARS[rng.integers(1, len(YEARS))]),
               SEXES[rng.integers(3)], "total") for _ in range(64)]
    it = iter(combos * 1000)
    lvl2 = units.loc[units["level"] == 2, "unit_id"]
    level = units.set_index("unit_id")["level"]
    facts["level"] = level.reindex(facts["unit_id"]).to_numpy()

    # 1. pandas mask over the whole table (strings: pandas 3's default str dtype)
    def mask_q(df):
        def q():
            o, y, s, a = next(it)
            m = (df["level"] == 2) & (df["offense"] == o) & (df["sex"] == s) & (df["age_group"] == a)
            cur = df[m & (df["year"] == y)]
            prev = df[m & (df["year"] == y - 1)]
            return len(cur) + len(prev)
        return q
    out["pandas_mask_str"] = _timeit(mask_q(facts), max(5, reps // 3))
    cat = facts.astype({"offense": "category", "sex": "category", "age_group": "category", "unit_id": "category"})
    out["pandas_mask_categorical"] = _timeit(mask_q(cat), reps)
    del cat

    # 2. pre-grouped (what the app's Dataset.by_key does): dict lookup + year slice on a year-sorted frame
    t = time.perf_counter()
    by_key = {k: g.sort_values(["year", "unit_id"]).reset_index(drop=True)
              for k, g in facts.groupby(["level", "offense", "sex", "age_group"], sort=False)}
    group_s = time.perf_counter() - t

    def grouped_q():
        o, y, s, a = next(it)
        g = by_key[(2, o, s, a)]
        yrs = g["year"].to_numpy()
        lo, hi = np.searchsorted(yrs, [y - 1, y + 1])
        cur = g.iloc[np.searchsorted(yrs, y):hi].set_index("unit_id").reindex(lvl2)
        prev = g.iloc[lo:np.searchsorted(yrs, y)].set_index("unit_id").reindex(lvl2)
        return len(cur) + len(prev)
    out["pandas_pregrouped"] = _timeit(grouped_q, reps) | {"build_s": round(group_s, 2)}
    by_key.clear()

    # 3. DuckDB over Parquet (sorted: row-group min/max prune) and over the in-memory Arrow table
    try:
        import duckdb
    except ImportError:
        out["duckdb"] = "not installed (pip install duckdb)"
    else:
        tmp = Path(tempfile.mkdtemp(prefix="observatorio-synthetic-"))
        try:
            srt = facts.sort_values(["level", "offense", "sex", "age_group", "year", "unit_id"]).reset_index(drop=True)
            t = time.perf_counter()
            write_parquet(srt.drop(columns="level"), tmp / "facts.parquet")
            pq.write_table(pa.Table.from_pandas(srt[["unit_id", "level"]].drop_duplicates()), tmp / "levels.parquet")
            write_s = time.perf_counter() - t
            out["parquet_mb"] = round((tmp / "facts.parquet").stat().st_size / 1e6, 1)
            con = duckdb.connect()
            con.execute("PRAGMA threads=2")
            # level: the sorted file keeps one level's rows together; the query filters on unit ids of level 2
            con.execute(f"CREATE VIEW f AS SELECT * FROM read_parquet('{tmp / 'facts.parquet'}')")
            con.register("lvl2", pd.DataFrame({"unit_id": lvl2.to_numpy()}))
            sql = ("SELECT f.unit_id, f.year, f.count FROM f JOIN lvl2 USING (unit_id) "
                   "WHERE offense = ? AND sex = ? AND age_group = ? AND year IN (?, ?)")

            def duck_file():
                o, y, s, a = next(it)
                return con.execute(sql, [o, s, a, y, y - 1]).fetchnumpy()
            out["duckdb_parquet"] = _timeit(duck_file, reps) | {"write_s": round(write_s, 2)}
            arrow = pa.Table.from_pandas(srt, preserve_index=False)
            con.register("mem", arrow)
            sql_mem = ("SELECT unit_id, year, count FROM mem WHERE level = 2 AND offense = ? AND sex = ? "
                       "AND age_group = ? AND year IN (?, ?)")

            def duck_mem():
                o, y, s, a = next(it)
                return con.execute(sql_mem, [o, s, a, y, y - 1]).fetchnumpy()
            out["duckdb_arrow_in_memory"] = _timeit(duck_mem, reps)
            out["duckdb_version"] = duckdb.__version__
            con.close()
            del srt, arrow
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # 4. the app's own code on a folder with the synthetic facts (outside data/)
    if with_app:
        out["app"] = _app_path(units_path, facts.drop(columns="level"), combos, reps)
    return out


def _app_path(units_path: Path, facts: pd.DataFrame, combos, reps: int) -> dict:
    from core import query

    tmp = Path(tempfile.mkdtemp(prefix="observatorio-synthetic-app-"))
    try:
        shutil.copy(units_path, tmp / "units.parquet")
        write_parquet(facts, tmp / "facts.parquet")
        pd.DataFrame({"unit_id": pd.Series([], dtype=str), "year": pd.Series([], dtype="int16"),
                      "sex": pd.Series([], dtype=str), "age_group": pd.Series([], dtype=str),
                      "population": pd.Series([], dtype="Int64"), "source_id": pd.Series([], dtype=str)}
                     ).to_parquet(tmp / "population.parquet")
        pd.DataFrame([{"source_id": "SYNTHETIC", "publisher": "SYNTHETIC", "title": "SYNTHETIC benchmark data",
                       "address": "", "licence": "", "citation": "SYNTHETIC", "notes": "not real", "priority": 1,
                       "kind": "facts"}]).to_parquet(tmp / "sources.parquet")
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        ds = query.get_dataset(tmp)
        load_s = time.perf_counter() - t
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        it = iter(combos * 1000)

        uncached = getattr(query.map_table, "__wrapped__", query.map_table)   # the query itself, not its memo

        def q():
            o, y, s, a = next(it)
            return uncached(ds, 2, None, o, y, s, a, "count")
        res = _timeit(q, reps)
        return res | {"load_s": round(load_s, 1), "peak_rss_gb_after_load": round(rss1 / 1e6, 2),
                      "peak_rss_growth_gb": round((rss1 - rss0) / 1e6, 2),
                      "note": "core.query.get_dataset + core.query.map_table (level 2, whole region, measure count)"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=Path, default=Path(os.environ.get("OBS_DATA_DIR") or ROOT / "data" / "processed")
                    / "units.parquet")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--no-app", action="store_true", help="skip loading the synthetic table through core.query")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    print(json.dumps(run(args.units, args.rows, not args.no_app, args.reps), indent=1))


if __name__ == "__main__":
    main()
