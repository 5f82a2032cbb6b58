"""A tiny, clearly SYNTHETIC dataset that conforms to docs/DATA_CONTRACT.md, written by tests into a tmp dir.

Four countries with square geometries (levels nest exactly), a few facts from three fact sources with
different priorities and measures, and two population sources. The numbers are invented; tests compute their
expectations by hand from the constants below, never from the code under test.
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

# ---- units: (unit_id, level, country, parent_id, name, (minx, miny, maxx, maxy)) ----
UNITS = [
    ("CRI", 0, "CRI", None, "Costa Rica", (-85.0, 9.0, -83.0, 11.0)),
    ("GTM", 0, "GTM", None, "Guatemala", (-92.0, 14.0, -89.0, 17.0)),
    ("HND", 0, "HND", None, "Honduras", (-89.0, 13.0, -84.0, 16.0)),
    ("SLV", 0, "SLV", None, "El Salvador", (-90.0, 13.0, -89.0, 14.0)),
    ("CR-SJ", 1, "CRI", "CRI", "San José", (-85.0, 9.0, -84.0, 11.0)),
    ("CR-A", 1, "CRI", "CRI", "Alajuela", (-84.0, 9.0, -83.0, 11.0)),
    ("GT-GU", 1, "GTM", "GTM", "Guatemala", (-92.0, 14.0, -90.5, 17.0)),
    ("GT-ES", 1, "GTM", "GTM", "Escuintla", (-90.5, 14.0, -89.0, 17.0)),
    ("HN-FM", 1, "HND", "HND", "Francisco Morazán", (-89.0, 13.0, -86.5, 16.0)),
    ("HN-CR", 1, "HND", "HND", "Cortés", (-86.5, 13.0, -84.0, 16.0)),
    ("SV-SS", 1, "SLV", "SLV", "San Salvador", (-90.0, 13.0, -89.0, 14.0)),
    ("CRI-101", 2, "CRI", "CR-SJ", "Escazú", (-85.0, 9.0, -84.0, 10.0)),
    ("CRI-102", 2, "CRI", "CR-SJ", "Desamparados", (-85.0, 10.0, -84.0, 11.0)),
    ("CRI-201", 2, "CRI", "CR-A", "San Carlos", (-84.0, 9.0, -83.0, 11.0)),
    ("GTM-301", 2, "GTM", "GT-GU", "Mixco", (-92.0, 14.0, -90.5, 17.0)),
    ("GTM-302", 2, "GTM", "GT-ES", "Escuintla", (-90.5, 14.0, -89.0, 17.0)),
]

SOURCES = [
    # source_id, publisher, title, priority, kind
    ("cr_oij", "OIJ", "Estadísticas Policiales", 1, "facts"),
    ("hn_sepol", "SEPOL", "Homicidios por departamento", 1, "facts"),
    ("unodc", "UNODC", "Intentional homicide", 2, "facts"),
    ("gt_pnc", "PNC Guatemala", "Víctimas por municipio", 1, "facts"),
    ("cr_inec", "INEC Costa Rica", "Proyecciones de población", 1, "population"),
    ("wb", "World Bank", "Population, total", 2, "population"),
]

# UNODC homicide rates, level 0, sex total, age total (published rate, no count)
UNODC_RATE = {
    "CRI": {2019: 11.2, 2020: 11.2, 2021: 11.4, 2022: 12.6, 2023: 17.2},
    "GTM": {2019: 21.5, 2020: 15.3, 2021: 16.6, 2022: 17.3, 2023: 16.1},
    "HND": {2019: 41.2, 2020: 36.3, 2021: 38.6, 2022: 35.8},           # no 2023
    "SLV": {2019: 38.0, 2020: 19.7, 2021: 18.1, 2022: 7.8, 2023: 2.4},
}
UNODC_RATE_FEMALE_2022 = {"CRI": 3.1, "GTM": 4.2}
# World Bank population, level 0, total
WB_POP = {
    "CRI": {y: 5_000_000 + 50_000 * (y - 2019) for y in range(2019, 2024)},
    "GTM": {y: 17_000_000 + 300_000 * (y - 2019) for y in range(2019, 2024)},
    "HND": {y: 9_700_000 + 150_000 * (y - 2019) for y in range(2019, 2024)},
    "SLV": {y: 6_300_000 + 10_000 * (y - 2019) for y in range(2019, 2024)},
}
# OIJ counts (no rate), 2023, homicide, total; CR-A (150) exceeds its canton (140): 10 with unknown canton
OIJ_COUNT_2023 = {"CRI": 460, "CR-SJ": 300, "CR-A": 150, "CRI-101": 100, "CRI-102": 200, "CRI-201": 140}
OIJ_COUNT_2022 = {"CRI": 430, "CR-SJ": 280, "CR-A": 150}
OIJ_FEMALE_2023 = {"CRI": 60, "CR-SJ": 40, "CR-A": 20}
OIJ_THEFT_2023 = {"CR-SJ": 5000, "CR-A": 2500, "CRI": 7500}
# INEC population (priority 1 beats WB) for CRI 2022-2023
INEC_POP = {
    2023: {"CRI": 5_200_000, "CR-SJ": 1_600_000, "CR-A": 1_000_000, "CRI-101": 300_000, "CRI-102": 400_000,
           "CRI-201": 250_000},
    2022: {"CRI": 5_150_000, "CR-SJ": 1_580_000, "CR-A": 990_000},
}
# PNC Guatemala 2023, municipalities, count only: a tie (both rank 1)
PNC_2023 = {"GTM-301": 50, "GTM-302": 50}
# SEPOL 2019, Honduras departments, count and published rate
SEPOL_2019 = {"HN-FM": (1000, 59.5), "HN-CR": (800, 40.1)}

VERSION = {"date": "2026-11-26", "hash": "f1x7ur3"}


def write_fixture_dataset(directory: Path) -> Path:
    """Write the synthetic dataset into `directory` (created) and return it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    units = gpd.GeoDataFrame(
        {
            "unit_id": [u[0] for u in UNITS],
            "level": pd.array([u[1] for u in UNITS], dtype="int8"),
            "country": [u[2] for u in UNITS],
            "parent_id": [u[3] for u in UNITS],
            "name": [u[4] for u in UNITS],
        },
        geometry=[box(*u[5]) for u in UNITS],
        crs="EPSG:4326",
    )
    units.to_parquet(directory / "units.parquet")

    rows: list[dict] = []

    def fact(unit, year, offense, count, rate, source, sex="total", age="total"):
        rows.append(dict(unit_id=unit, year=year, month=None, offense=offense, sex=sex, age_group=age,
                         count=count, rate=rate, source_id=source))

    for c, by_year in UNODC_RATE.items():
        for y, r in by_year.items():
            fact(c, y, "homicide", None, r, "unodc")
    for c, r in UNODC_RATE_FEMALE_2022.items():
        fact(c, 2022, "homicide", None, r, "unodc", sex="female")
    for u, n in OIJ_COUNT_2023.items():
        fact(u, 2023, "homicide", n, None, "cr_oij")
    for u, n in OIJ_COUNT_2022.items():
        fact(u, 2022, "homicide", n, None, "cr_oij")
    for u, n in OIJ_FEMALE_2023.items():
        fact(u, 2023, "homicide", n, None, "cr_oij", sex="female")
    for u, n in OIJ_THEFT_2023.items():
        fact(u, 2023, "theft", n, None, "cr_oij")
    for u, n in PNC_2023.items():
        fact(u, 2023, "homicide", n, None, "gt_pnc")
    for u, (n, r) in SEPOL_2019.items():
        fact(u, 2019, "homicide", n, r, "hn_sepol")
    # a monthly row (must be ignored by the annual views)
    rows.append(dict(unit_id="CRI", year=2023, month=1, offense="homicide", sex="total", age_group="total",
                     count=40, rate=None, source_id="cr_oij"))
    facts = pd.DataFrame(rows)
    facts["year"] = facts["year"].astype("int16")
    facts["month"] = facts["month"].astype("Int8")
    facts["count"] = facts["count"].astype("Float64")
    facts["rate"] = facts["rate"].astype("Float64")
    facts.to_parquet(directory / "facts.parquet", index=False)

    prow = []
    for c, by_year in WB_POP.items():
        for y, p in by_year.items():
            prow.append(dict(unit_id=c, year=y, sex="total", age_group="total", population=p, source_id="wb"))
    for y, by_unit in INEC_POP.items():
        for u, p in by_unit.items():
            prow.append(dict(unit_id=u, year=y, sex="total", age_group="total", population=p, source_id="cr_inec"))
    pop = pd.DataFrame(prow)
    pop["year"] = pop["year"].astype("int16")
    pop["population"] = pop["population"].astype("Int64")
    pop.to_parquet(directory / "population.parquet", index=False)

    src = pd.DataFrame([
        dict(source_id=s, publisher=p, title=ti, address=f"https://example.org/{s}", licence="synthetic",
             citation=f"{p}, {ti} (SYNTHETIC TEST DATA)", notes="synthetic fixture for tests", priority=pr, kind=k)
        for s, p, ti, pr, k in SOURCES
    ])
    src["priority"] = src["priority"].astype("int64")
    src.to_parquet(directory / "sources.parquet", index=False)

    report = {"version": VERSION, "sources": {}, "coverage": []}
    (directory / "build_report.json").write_text(json.dumps(report), encoding="utf-8")
    return directory
