"""Honest small numbers (issue 5): a rate built on fewer than 20 events is flagged, ties are visible, and with
`pool=3` a small unit's rate is the 3-year rate (sum of counts / sum of populations × 100,000), labelled as pooled.

`annotate(ds, state, table)` takes core.query.map_table's output and returns a copy with the columns
small (bool), tie (bool), pooled (bool), pooled_count, pooled_population, pool_years ('2021–2023' or '').
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core import query


_TEXT = pd.Series([""]).dtype   # the dtype pandas gives a text column (as `out[col] = ""` did)


def years_label(year: int, n: int = query.POOL_YEARS) -> str:
    return f"{int(year) - n + 1}–{int(year)}"


def pools(state) -> bool:
    """Whether annotate() may pool small units (pool=3, rates, a year)."""
    return bool(getattr(state, "pool", 1) == query.POOL_YEARS and state.measure == "rate" and state.year)


def plain_columns(count: np.ndarray, rank) -> dict:
    """The columns annotate() adds when nothing is pooled (small, pooled, pooled_count, pooled_population,
    pool_years, tie), from the table's count and rank columns."""
    count = np.asarray(count, dtype="float64")
    n = len(count)
    out = {"small": np.where(np.isnan(count), False, count < query.SMALL_N), "pooled": np.zeros(n, dtype=bool),
           "pooled_count": np.full(n, np.nan), "pooled_population": np.full(n, np.nan),
           "pool_years": pd.array([""] * n, dtype=_TEXT), "tie": None}
    if rank is not None:
        out["tie"] = ties(np.asarray(pd.array(rank, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan)))
    return out


def annotate(ds: query.Dataset, state, table: pd.DataFrame) -> pd.DataFrame:
    cols = plain_columns(table["count"].to_numpy(dtype="float64"), None)
    del cols["tie"]
    # the five columns in one concat (five inserts into a copy cost ~2 ms per view)
    out = pd.concat([table, pd.DataFrame(cols, index=table.index)], axis=1)
    if pools(state) and len(out):
        pr = query.pooled_rates(ds, state.level, state.offense, int(state.year), state.sex, state.age)
        pr = pr.set_index("unit_id")
        take = out["small"].to_numpy() & out["unit_id"].isin(pr.index).to_numpy()
        if take.any():
            ids = out.loc[take, "unit_id"]
            out.loc[take, "pooled"] = True
            out.loc[take, "pooled_count"] = pr.loc[ids, "pooled_count"].to_numpy()
            out.loc[take, "pooled_population"] = pr.loc[ids, "pooled_population"].to_numpy()
            out.loc[take, "rate"] = pr.loc[ids, "pooled_rate"].to_numpy()
            out.loc[take, "value"] = pr.loc[ids, "pooled_rate"].to_numpy()
            out.loc[take, "rate_computed"] = True
            out.loc[take, "change_pct"] = np.nan          # a pooled rate is not comparable with last year's
            out.loc[take, "pool_years"] = years_label(int(state.year))
            out.loc[take, "small"] = out.loc[take, "pooled_count"].to_numpy(dtype="float64") < query.SMALL_N
            out["rank"] = out["value"].rank(method="min", ascending=False).astype("Float64")
            out["_nan"] = out["value"].isna()
            out = out.sort_values(["_nan", "rank", "name"]).drop(columns="_nan").reset_index(drop=True)
    out["tie"] = ties(out["rank"].to_numpy(dtype="float64", na_value=np.nan))
    return out


def ties(ranks: np.ndarray) -> np.ndarray:
    """True where a rank (not NaN) is shared with another row."""
    ranks = np.asarray(ranks, dtype="float64")
    out = np.zeros(len(ranks), dtype=bool)
    ok = ~np.isnan(ranks)
    if ok.any():
        _, inv, cnt = np.unique(ranks[ok], return_inverse=True, return_counts=True)
        out[ok] = cnt[inv.reshape(-1)] > 1
    return out


def any_small(table: pd.DataFrame) -> bool:
    return bool(("small" in table) and table.loc[table["value"].notna(), "small"].any())


def pool_note(ds: query.Dataset, state, table: pd.DataFrame, lang: str) -> str:
    """What pool=3 did, in plain words ('' when not pooling)."""
    from core.i18n import t

    if getattr(state, "pool", 1) != query.POOL_YEARS or state.measure != "rate" or not state.year:
        return ""
    years = years_label(int(state.year))
    return t("pool_active" if bool(table["pooled"].any()) else "pool_none", lang, years=years)
