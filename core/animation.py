"""The map through the years (issue 4): which years a selection has, and class breaks fixed over all of them,
so that a colour means the same number in every year while the slider plays.

`years_with_data(ds, state)` -> ascending years with at least one value in the map's scope.
`fixed_bins(ds, state)` -> quantile upper bounds computed over the values of every one of those years.
`year_payload(ds, state, year, bins)` -> core.figures.map_payload's output for `year`, re-classed on `bins`
(z, colours and legend), so that core.figures.map_patch sends only values (the GeoJSON stays in the browser).
"""
from __future__ import annotations

from dataclasses import replace

import mapclassify  # noqa: F401  (imported at load, so --preload shares it: the first frame is not a 3 s import)
import numpy as np

from core import figures, query, view
from core.viewstate import ViewState


def _scope_values(ds: query.Dataset, state: ViewState):
    focus = query.focus_of(ds, state.level, state.country, state.unit)
    units = query.scope_units(ds, state.level, focus)
    sl = query._slice(ds, state.level, state.offense, state.sex, state.age)
    sub = sl[sl["unit_id"].isin(units) & sl[state.measure].notna()]
    return sub


def years_with_data(ds: query.Dataset, state: ViewState) -> list[int]:
    """From the slice's prepared arrays (query.slice_arrays: rows by year, each row's unit position), as
    `_scope_values`' years would give them: ~0.05 ms instead of ~1.4 ms of pandas `isin` on every new view."""
    focus = query.focus_of(ds, state.level, state.country, state.unit)
    _, scope_pos = query._scope(ds, state.level, focus)
    sa = query.slice_arrays(ds, state.level, state.offense, state.sex, state.age)
    if not len(sa.upos):
        return []
    in_scope = np.zeros(len(ds.units), dtype=bool)
    in_scope[scope_pos] = True
    ok = (sa.upos >= 0) & in_scope[np.maximum(sa.upos, 0)] & ~np.isnan(sa.cols[state.measure])
    return [int(y) for y in np.unique(sa.year_of_rows(np.flatnonzero(ok)))]


def fixed_bins(ds: query.Dataset, state: ViewState, k: int = 5) -> list[float]:
    """Quantile class upper bounds over the values of all years of the selection (as core.figures.classify)."""
    vals = _scope_values(ds, state)[state.measure].to_numpy(dtype="float64")
    bins, _ = figures.classify(vals, k)
    if bins:
        bins[-1] = float(np.nanmax(vals))
    return bins


def classes_for(values, bins: list[float]) -> list[int]:
    """Class index of each value on fixed upper bounds (value <= bound), clipped to the last class."""
    if not bins:
        return [0] * len(values)
    idx = np.searchsorted(np.asarray(bins, dtype="float64"), np.asarray(values, dtype="float64"), side="left")
    return [int(i) for i in np.clip(idx, 0, len(bins) - 1)]


def year_payload(ds: query.Dataset, state: ViewState, year: int, bins: list[float]) -> dict:
    """The map payload of `year` with classes fixed on `bins` (legend: the fixed ranges)."""
    st = replace(state, year=int(year), unit=state.unit)
    payload = view.map_view(ds, st)
    focus, table = view._table(ds, st)
    data = table[table["value"].notna()]
    by_id = dict(zip(data["unit_id"].tolist(), data["value"].to_numpy(dtype="float64").tolist()))
    vals = np.array([by_id[u] for u in payload["ids"]], dtype="float64")   # in the payload's order (by id)
    payload["z"] = classes_for(vals, bins)
    payload["k"] = len(bins)
    payload["colors"] = figures.class_colors(len(bins)) if bins else []
    all_vals = _scope_values(ds, state)[state.measure].to_numpy(dtype="float64")
    n_missing = len(payload["missing"]) + len(payload["missing_countries"])
    payload["legend"] = figures.legend_items(all_vals, bins, state.measure, view.locale_of(st), st.lang, n_missing)
    payload["year"] = int(year)
    return payload
