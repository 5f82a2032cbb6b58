"""core.viewstate's array paths (availability per country/level, options, reconcile, default year) against the
pandas code they replace, on the fixture and on the committed data."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from core import query, viewstate
from core.viewstate import LEVELS, MEASURES, MISSION_COUNTRIES, REGION, SEXES, ViewState

REAL = Path(__file__).resolve().parent.parent / "data" / "processed"


def ref_rows(cat, country, level):
    a = cat.avail
    if country != REGION:
        a = a[a["country"] == country]
    at_level = a[a["level"] == level]
    if len(at_level):
        return at_level, True
    return a, False


def ref_default_year(rows):
    if rows is None or rows.empty:
        return None
    core_rows = rows[rows["country"].isin(MISSION_COUNTRIES)]
    if not core_rows.empty:
        rows = core_rows
    per = rows.groupby("year")["country"].nunique()
    best = per.max()
    return int(per[per == best].index.max())


def ref_options(state, cat):
    a = cat.avail
    out = {}
    off_rows = a[a["offense"].to_numpy() == state.offense]
    have_c = set(off_rows["country"].unique())
    out["country"] = {c: (c in have_c) for c in cat.countries}
    ctry_rows = off_rows if state.country == REGION else off_rows[off_rows["country"].to_numpy() == state.country]
    levels_with_data = set(ctry_rows["level"].unique().tolist())
    # a level has units in the region if some country has units there (said as sets, not as options' loop)
    with_units = {lv for c, lv in cat.levels_with_units if state.country in (REGION, c) and c in cat.countries}
    out["level"] = {level: (level in with_units, level in levels_with_data) for level in LEVELS}
    rows, _ = ref_rows(cat, state.country, state.level)
    have = set(rows["offense"].unique())
    out["offense"] = {o: (o in have) for o in cat.offenses}
    rows = rows[rows["offense"].to_numpy() == state.offense]
    have = set(rows["measure"].unique())
    out["measure"] = {m: (m in have) for m in MEASURES}
    rows = rows[rows["measure"].to_numpy() == state.measure]
    have = set(rows["sex"].unique())
    out["sex"] = {s: (s in have) for s in SEXES}
    rows = rows[rows["sex"].to_numpy() == state.sex]
    have = set(rows["age_group"].unique())
    out["age"] = {g: (g in have) for g in ("total",) + tuple(cat.ages)}
    rows = rows[rows["age_group"].to_numpy() == state.age]
    have_y = set(rows["year"].tolist())
    out["year"] = {y: (y in have_y) for y in cat.years}
    return out


def _states(cat):
    offenses = list(cat.offenses)[:5] + ["nope"]
    years = [None, cat.years[0], cat.years[len(cat.years) // 2], cat.years[-1], 1800]
    i = 0
    for country in (REGION,) + tuple(cat.countries):
        for level in LEVELS:
            for off in offenses:
                i += 1
                yield ViewState(country=country, level=level, offense=off, year=years[i % len(years)],
                                sex=SEXES[i % 3], age="total" if i % 4 else (list(cat.ages) + ["x", "y"])[i % 2],
                                measure=MEASURES[i % 2])


@pytest.fixture(scope="module", params=["fixture", "real"])
def cat(request, ds):
    if request.param == "fixture":
        return query.catalog(ds)
    if not (REAL / "facts.parquet").is_file():
        pytest.skip("no processed data")
    return query.catalog(query.get_dataset(REAL))


def test_row_arrays_are_the_pandas_rows(cat):
    for country in (REGION,) + tuple(cat.countries) + ("XXX",):
        for level in LEVELS:
            rows, has = ref_rows(cat, country, level)
            arrs, has2 = viewstate._row_arrays(cat, country, level)
            assert has == has2
            for c in viewstate.AVAIL_COLS:
                assert arrs[c].tolist() == rows[c].tolist(), c


def test_default_year_as_groupby(cat):
    a = cat.avail
    for country in (REGION,) + tuple(cat.countries):
        rows, _ = ref_rows(cat, country, 0)
        for off in list(cat.offenses)[:6]:
            sub = rows[rows["offense"] == off]
            assert viewstate.default_year(sub) == ref_default_year(sub)
    assert viewstate.default_year(a.iloc[0:0]) is None
    only_neighbours = pd.DataFrame({"year": [2020, 2021, 2021], "country": ["PAN", "NIC", "PAN"]})
    assert viewstate.default_year(only_neighbours) == ref_default_year(only_neighbours) == 2021


def test_options_and_reconcile_as_pandas(cat):
    """options() equals the pandas options; _reconcile() checked against the pandas rows without repeating its
    own picking: each value it settles on is offered, a value it keeps was offered, every change has a note,
    and a replaced year is the default year of the rows left."""
    n = 0
    for st in _states(cat):
        assert viewstate.options(st, cat) == ref_options(st, cat)
        new, notes, has = viewstate._reconcile(st, cat)
        if any(x.kind == "no_units" for x in notes):
            # a level the country has no units at: the deepest it has above it, said; the rest is then checked
            # from that level
            assert st.country != "region" and (st.country, st.level) not in cat.levels_with_units
            assert new.level < st.level and (st.country, new.level) in cat.levels_with_units
            assert all((st.country, lv) not in cat.levels_with_units for lv in range(new.level + 1, st.level))
            st = replace(st, level=new.level)
        assert new.level == st.level
        rows, has_ref = ref_rows(cat, st.country, st.level)
        n += 1
        if rows.empty:
            assert (new, notes, has) == (st, (), False)
            continue
        assert has == has_ref
        opts = ref_options(new, cat)
        for k in ("offense", "measure", "sex", "age", "year"):
            assert opts[k][getattr(new, k)], (st, k)
            if getattr(new, k) != getattr(st, k) and not (k == "year" and st.year is None):
                assert any(x.param == k for x in notes), (st, k)
        for k in ("offense", "measure", "sex", "age"):
            if ref_options(st, cat)[k].get(getattr(st, k)) and not [x for x in notes if x.param in
                                                                   ("offense", "measure", "sex", "age")]:
                assert getattr(new, k) == getattr(st, k)
        if new.offense != st.offense:   # homicide first when the place has it, else the catalogue's order
            at_level = ref_options(st, cat)["offense"]
            offered = [o for o in (viewstate.DEFAULT_OFFENSE,) + tuple(cat.offenses) if at_level.get(o)]
            assert new.offense == offered[0]
        if new.year != st.year:
            left = rows[(rows["offense"] == new.offense) & (rows["measure"] == new.measure)
                        & (rows["sex"] == new.sex) & (rows["age_group"] == new.age)]
            assert new.year == ref_default_year(left)
    assert n >= 45
