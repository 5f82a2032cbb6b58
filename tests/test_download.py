"""CSV of a view, numbers checked against the Parquet files with pandas."""
import csv
import io

import pandas as pd
import pytest

from core import download, query
from core.viewstate import resolve


def _rows(ds, q):
    state = resolve(q, query.catalog(ds))[0]
    text = download.view_csv(ds, state).decode("utf-8")
    assert text.startswith("\ufeff")
    return state, list(csv.DictReader(io.StringIO(text[1:])))


def test_columns_and_one_row_per_unit(ds):
    _, rows = _rows(ds, "country=CRI&level=2&unit=CRI&year=2023")
    assert list(rows[0].keys()) == download.COLUMNS
    assert sorted(r["unit_id"] for r in rows) == ["CRI-101", "CRI-102", "CRI-201"]


def test_numbers_match_parquet(ds, fixture_dir):
    facts = pd.read_parquet(fixture_dir / "facts.parquet")
    pop = pd.read_parquet(fixture_dir / "population.parquet")
    _, rows = _rows(ds, "country=CRI&level=1&unit=CRI&year=2023")
    for r in rows:
        f = facts[(facts.unit_id == r["unit_id"]) & (facts.year == 2023) & facts.month.isna()
                  & (facts.offense == "homicide") & (facts.sex == "total") & (facts.age_group == "total")]
        p = pop[(pop.unit_id == r["unit_id"]) & (pop.year == 2023) & (pop.source_id == "cr_inec")]
        count = float(f["count"].dropna().iloc[0])
        assert float(r["count"]) == count
        assert float(r["population"]) == float(p["population"].iloc[0])
        assert float(r["rate"]) == pytest.approx(count / float(p["population"].iloc[0]) * 1e5, abs=1e-4)
        assert r["rate_computed"] == "true" and r["population_source"] == "cr_inec"
        assert r["source"] == "cr_oij" and "OIJ" in r["source_citation"]
        assert (r["offense"], r["year"], r["sex"], r["age_group"]) == ("homicide", "2023", "total", "total")


def test_units_without_data_have_empty_values(ds):
    _, rows = _rows(ds, "level=0&year=2023")
    hnd = next(r for r in rows if r["unit_id"] == "HND")
    assert hnd["value"] == "" and hnd["source"] == ""


def test_filename_is_safe(ds):
    state = resolve("country=CRI&level=1&year=2023", query.catalog(ds))[0]
    name = download.filename(state)
    assert name.endswith(".csv") and "/" not in name and " " not in name
