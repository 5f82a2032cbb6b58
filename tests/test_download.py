"""CSV of a view, numbers checked against the Parquet files with pandas."""
import csv
import io

import pandas as pd
import pytest

from core import download, query
from core.viewstate import resolve


def _rows(ds, q, write=download.view_csv):
    state = resolve(q, query.catalog(ds))[0]
    text = write(ds, state).decode("utf-8")
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


def test_trend_csv_has_the_lines_of_the_chart_with_their_numbers(ds):
    from tests.fixtures import INEC_POP, OIJ_COUNT_2022, OIJ_COUNT_2023, UNODC_RATE
    from core import view

    state, rows = _rows(ds, "country=CRI&level=1&unit=CR-SJ&year=2023&measure=rate&lang=en", download.trend_csv)
    assert list(rows[0].keys()) == download.TREND_COLUMNS
    # the place, its country and the region, as the chart draws them
    assert list(dict.fromkeys(r["series_id"] for r in rows)) == ["CR-SJ", "CRI", "region"]
    assert {r["series"] for r in rows if r["series_id"] == "CR-SJ"} == {"San José"}
    sj = {int(r["year"]): r for r in rows if r["series_id"] == "CR-SJ"}
    # San José's rate computed by hand: OIJ's count / INEC's population x 100,000
    assert sorted(sj) == [2022, 2023]
    for year, count in ((2022, OIJ_COUNT_2022["CR-SJ"]), (2023, OIJ_COUNT_2023["CR-SJ"])):
        assert float(sj[year]["value"]) == pytest.approx(count / INEC_POP[year]["CR-SJ"] * 1e5, abs=1e-4)
        assert sj[year]["source"] == "cr_oij" and "OIJ" in sj[year]["source_citation"]
    cri = {int(r["year"]): r for r in rows if r["series_id"] == "CRI"}
    for year in (2019, 2020, 2021):   # only UNODC publishes Costa Rica's rate in these years
        assert float(cri[year]["value"]) == UNODC_RATE["CRI"][year] and cri[year]["source"] == "unodc"
    assert {(r["measure"], r["offense"], r["sex"], r["age_group"]) for r in rows} == {
        ("rate", "homicide", "total", "total")}
    # every number of the file is the one the chart draws (it draws 2 decimals), and nothing else
    fig = view.series_view(ds, state)["figure"]
    drawn = {(tr["name"], x): y for tr in fig["data"] for x, y in zip(tr["x"], tr["y"]) if y is not None}
    assert {(r["series"], int(r["year"])): round(float(r["value"]), 2) for r in rows} == drawn


def test_trend_csv_of_a_view_without_a_trend_is_its_header(ds):
    from core.viewstate import ViewState

    # El Salvador's homicide counts: UNODC publishes rates only (a link would be moved to the rate: built directly)
    state = ViewState(country="SLV", level=0, unit="SLV", offense="homicide", year=2022, measure="count")
    assert download.trend_rows(ds, state) == []
    assert download.trend_csv(ds, state).decode("utf-8-sig").strip() == ",".join(download.TREND_COLUMNS)
    assert download.filename(state, "tendencia").startswith("observatorio_tendencia_SLV_")


def test_compare_csv_has_each_place_year_and_index_by_hand(ds):
    from core import compare
    from tests.fixtures import UNODC_RATE

    st = compare.parse(ds, "?compare=SLV,GTM,nope&base=2019&offense=homicide&measure=rate&lang=en")
    text = download.compare_csv(ds, st).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert list(rows[0].keys()) == download.COMPARE_COLUMNS
    assert [r["unit_id"] for r in rows] == ["SLV"] * 5 + ["GTM"] * 5      # the unknown id left out, as on the page
    for r in rows:
        rate = UNODC_RATE[r["unit_id"]][int(r["year"])]
        assert float(r["value"]) == rate and r["source"] == "unodc" and r["base_year"] == "2019"
        assert float(r["index"]) == pytest.approx(rate / UNODC_RATE[r["unit_id"]][2019] * 100, abs=1e-4)
    assert download.compare_filename(st) == "observatorio_comparar_SLV_GTM_homicide_rate_base2019.csv"
    # without a base: no index; with no place: the header alone
    plain = download.compare_csv(ds, compare.parse(ds, "?compare=HND")).decode("utf-8-sig")
    plain_rows = list(csv.DictReader(io.StringIO(plain)))
    assert {r["index"] for r in plain_rows} == {""} and {r["year"] for r in plain_rows} == {"2019", "2020", "2021", "2022"}
    empty = download.compare_csv(ds, compare.parse(ds, "")).decode("utf-8-sig")
    assert empty.strip() == ",".join(download.COMPARE_COLUMNS)
