"""The processed data against the raw files: real numbers, computed here independently with pandas.

One full rebuild (``python -m geo.build``) runs into a temporary folder per test session; it must equal, byte for byte,
what is committed in data/processed, and its numbers must match the raw sources.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest


ROOT = Path(__file__).resolve().parent.parent
RAW = Path(os.environ.get("OBS_RAW_DIR", ROOT.parent / "shared" / "data" / "raw"))
COMMITTED = ROOT / "data" / "processed"
FILES = ["units.parquet", "facts.parquet", "population.parquet", "sources.parquet", "build_report.json"]

# Hand-written here (not read from the crosswalk) so the test checks the pipeline's matching independently.
CR_PROVINCES = {"SAN JOSE": "CR-SJ", "ALAJUELA": "CR-A", "CARTAGO": "CR-C", "HEREDIA": "CR-H",
                "GUANACASTE": "CR-G", "PUNTARENAS": "CR-P", "LIMON": "CR-L"}
HN_DEPARTMENTS = {"Atlantida": "HN-AT", "Choluteca": "HN-CH", "Colon": "HN-CL", "Comayagua": "HN-CM",
                  "Copan": "HN-CP", "Cortes": "HN-CR", "El Paraiso": "HN-EP", "Francisco Morazan": "HN-FM",
                  "Gracias A Dios": "HN-GD", "Intibuca": "HN-IN", "Islas De La Bahia": "HN-IB", "La Paz": "HN-LP",
                  "Lempira": "HN-LE", "Ocotepeque": "HN-OC", "Olancho": "HN-OL", "Santa Barbara": "HN-SB",
                  "Valle": "HN-VA", "Yoro": "HN-YO"}


@pytest.fixture(scope="session")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rebuild") / "processed"
    if (COMMITTED / "build_report.json").exists():  # keep the committed build date when content is the same
        out.mkdir()
        (out / "build_report.json").write_bytes((COMMITTED / "build_report.json").read_bytes())
    # in a separate process, as a user runs it: no state left by other tests can leak into the build
    done = subprocess.run([sys.executable, "-m", "geo.build", "--raw", str(RAW), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def facts(rebuilt: Path) -> pd.DataFrame:
    return pd.read_parquet(rebuilt / "facts.parquet")


def totals(facts: pd.DataFrame, source: str, offense: str = "homicide") -> pd.DataFrame:
    sel = facts[(facts.source_id == source) & (facts.offense == offense) & (facts.sex == "total")
                & (facts.age_group == "total")]
    return sel.set_index(["unit_id", "year"])


@pytest.mark.parametrize("name", FILES)
def test_rebuild_equals_committed(rebuilt: Path, name: str) -> None:
    assert (COMMITTED / name).exists(), f"data/processed/{name} is not committed"
    assert (rebuilt / name).read_bytes() == (COMMITTED / name).read_bytes(), f"{name} differs from a rebuild"


def test_costa_rica_2023_homicides_per_province(facts: pd.DataFrame) -> None:
    raw = pd.read_csv(RAW / "crime/cr_oij_2023/oij_2023_full_from2024i.csv")
    homicides = raw[raw.Delito == "HOMICIDIO"]
    expected = homicides.groupby("Provincia").size()
    got = totals(facts, "cr_oij_2023")
    for province, unit in CR_PROVINCES.items():
        assert got.loc[(unit, 2023), "count"] == expected[province], province
    assert got.loc[("CRI", 2023), "count"] == len(homicides) == 903
    # the three records of unknown province count at the national level only
    assert sum(got.loc[(u, 2023), "count"] for u in CR_PROVINCES.values()) == 903 - (
        homicides.Provincia == "DESCONOCIDO").sum()


def test_costa_rica_cantons_carved_out_counted_in_their_old_canton(facts: pd.DataFrame) -> None:
    raw = pd.read_csv(RAW / "crime/cr_oij_2023/oij_2023_full_from2024i.csv")
    units = pd.read_parquet(COMMITTED / "units.parquet", columns=["unit_id", "name", "level", "country"])
    cantons = units[(units.country == "CRI") & (units.level == 2)].set_index("name").unit_id
    theft = raw[raw.Delito == "HURTO"].groupby("Canton").size()
    got = totals(facts, "cr_oij_2023", "theft")
    assert got.loc[(cantons["Puntarenas"], 2023), "count"] == theft["PUNTARENAS"] + theft["MONTEVERDE"]
    assert got.loc[(cantons["Grecia"], 2023), "count"] == theft["GRECIA"] + theft["RIO CUARTO"]
    cars = raw[raw.Delito == "ROBO DE VEHICULO"].groupby("Canton").size()
    got_cars = totals(facts, "cr_oij_2023", "vehicle_theft")
    assert got_cars.loc[(cantons["Golfito"], 2023), "count"] == cars["GOLFITO"] + cars["PUERTO JIMÉNEZ"]
    sarchi = cantons.get("Sarchí", cantons.get("Valverde Vega"))
    assert got.loc[(sarchi, 2023), "count"] == theft["SARCHÍ"]


def test_honduras_2019_homicides_per_department(facts: pd.DataFrame) -> None:
    raw = pd.read_csv(RAW / "crime/hn_sepol_dept_2019/hn_departamento_poblacion_homicidios_2019.csv")
    got = totals(facts, "hn_sepol_2019")
    for row in raw.itertuples():
        unit = HN_DEPARTMENTS[row.departamento]
        assert got.loc[(unit, 2019), "count"] == row.homicidios
        assert got.loc[(unit, 2019), "rate"] == pytest.approx(row.tasa_homicidios)
    assert got.loc[("HND", 2019), "count"] == raw.homicidios.sum() == 4051
    assert pd.isna(got.loc[("HND", 2019), "rate"])  # SEPOL publishes department rates; none is invented


def test_panama_victims_per_year_and_2023_sex(facts: pd.DataFrame) -> None:
    raw = pd.read_csv(RAW / "crime/pa_homicidios/dataset_homicidios.csv")
    got = totals(facts, "pa_mp_homicide_victims")
    for year, n in raw.groupby("año").size().items():
        assert got.loc[("PAN", year), "count"] == n, year
    raw23 = pd.read_csv(RAW / "crime/pa_homicidios/homicidios_2023.csv")
    women = facts[(facts.source_id == "pa_mp_homicide_victims") & (facts.unit_id == "PAN") & (facts.year == 2023)
                  & (facts.offense == "homicide") & (facts.sex == "female") & (facts.age_group == "total")]
    assert women["count"].item() == (raw23["GÉNERO"] == "Femenino").sum() == 46
    # 2021 has no sex recorded: no female figure rather than a zero
    no_sex = facts[(facts.source_id == "pa_mp_homicide_victims") & (facts.year == 2021) & (facts.sex == "female")]
    assert no_sex.empty


def test_guatemala_pnc_2020_homicide_by_department(facts: pd.DataFrame) -> None:
    raw = pd.read_csv(RAW / "crime/gt_pnc_victims_2020/gt_pnc_victimas_2020_depto_delito.csv")
    homicide = raw[raw.delito_com.between(1, 6)]
    got = totals(facts, "gt_ine_pnc_victims_2020")
    assert got.loc[("GTM", 2020), "count"] == homicide.victimas.sum() == 2569
    assert got.loc[("GT-GU", 2020), "count"] == homicide[homicide.departamento == "Guatemala"].victimas.sum()
    kidnap = totals(facts, "gt_ine_pnc_victims_2020", "kidnapping")
    assert len(kidnap.xs(2020, level="year")) == 23  # every department (zeros included) + the country


def test_unodc_rates_copied_exactly(facts: pd.DataFrame) -> None:
    raw = pd.read_csv(RAW / "crime/unodc_homicide_rate/homicide-rate-unodc.csv")
    cri = raw[(raw.Code == "CRI") & (raw.Year == 2023)]["Homicide rate per 100,000 population"].item()
    got = totals(facts, "unodc_homicide_rate")
    assert got.loc[("CRI", 2023), "rate"] == pytest.approx(cri)
    assert pd.isna(got.loc[("CRI", 2023), "count"])


def test_belize_district_murders_complete(facts: pd.DataFrame) -> None:
    blz = facts[facts.unit_id.str.startswith("BZ-") & (facts.offense == "homicide")]
    assert blz.groupby("year")["count"].sum().to_dict() == {2013: 99.0, 2014: 123.0}


def test_sum_of_parts_plus_unknown_equals_total(facts: pd.DataFrame) -> None:
    for source in ("cr_oij_2023", "pa_mp_homicide_victims", "gt_inacif_necropsies"):
        sel = facts[facts.source_id == source]
        for dim in ("sex", "age_group"):
            other = [c for c in ("unit_id", "year", "offense", "sex", "age_group") if c != dim]
            parts = sel[sel[dim] != "total"].groupby(other)["count"].sum()
            total = sel[sel[dim] == "total"].set_index(other)["count"]
            joined = pd.concat([parts.rename("parts"), total.rename("total")], axis=1)
            assert joined.notna().all().all(), (source, dim)
            assert (joined.parts == joined.total).all(), (source, dim)


def test_every_fact_has_a_unit_and_a_source(rebuilt: Path, facts: pd.DataFrame) -> None:
    units = pd.read_parquet(rebuilt / "units.parquet", columns=["unit_id"])
    sources = pd.read_parquet(rebuilt / "sources.parquet")
    population = pd.read_parquet(rebuilt / "population.parquet")
    assert set(facts.unit_id) <= set(units.unit_id)
    assert set(facts.source_id) <= set(sources.source_id)
    assert set(population.unit_id) <= set(units.unit_id)
    assert set(population.source_id) <= set(sources.source_id)
    assert (facts["count"].notna() | facts["rate"].notna()).all()
    assert not facts.duplicated(["unit_id", "year", "month", "offense", "sex", "age_group", "source_id"]).any()


def test_report_lists_unmatched_rows_and_carve_outs(rebuilt: Path) -> None:
    report = json.loads((rebuilt / "build_report.json").read_text(encoding="utf-8"))
    by_mapping = {s["mapping"]: s for s in report["sources"]}
    dom = by_mapping["do_one_population_municipio.yaml"]
    assert {u["value"] for u in dom["unmatched"]} == {"Dajabón", "San Víctor", "Villa Vásquez", "Matanzas",
                                                      "Puñal", "Baitoa"}
    notes = " ".join(by_mapping["cr_oij_2023.yaml"]["reviewed_crosswalk_lines_used"])
    for canton in ("MONTEVERDE", "PUERTO JIMÉNEZ", "RIO CUARTO"):
        assert canton in notes and "CARVED OUT" in notes
    assert by_mapping["cr_oij_2023.yaml"]["rows_counted_above_unknown_unit"]
    cov = [c for c in report["coverage"] if c["country"] == "CRI" and c["level"] == 2]
    assert {c["offense"] for c in cov} == {"homicide", "assault", "robbery", "theft", "vehicle_theft",
                                           "theft_from_vehicle"}


def test_every_record_is_counted(rebuilt: Path, facts: pd.DataFrame) -> None:
    """Nothing lost: the national totals of record-level sources add up to every record read."""
    report = json.loads((rebuilt / "build_report.json").read_text(encoding="utf-8"))
    read = {s["mapping"]: s["rows_read"] for s in report["sources"]}
    cr = facts[(facts.source_id == "cr_oij_2023") & (facts.unit_id == "CRI") & (facts.sex == "total")
               & (facts.age_group == "total")]
    assert cr["count"].sum() == read["cr_oij_2023.yaml"] == 49609
    pa = totals(facts, "pa_mp_homicide_victims").xs("PAN", level="unit_id")
    assert pa["count"].sum() == read["pa_homicide_victims.yaml"] == 4019
