"""Nothing lost, end to end on the committed build: for every source mapping, the raw file's rows (counted here
with the csv module) = rows in the output + rows excluded by a rule + rows listed unmatched, and the rows the report
says were written are those in facts/population.parquet."""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pandas as pd
import yaml

from geo.readers import decode
from tests.reliability.figures import record

ROOT = Path(__file__).resolve().parents[2]
PROCESSED = ROOT / "data" / "processed"
RAW = Path(os.environ.get("OBS_RAW_DIR", ROOT.parent / "shared" / "data" / "raw"))


def raw_rows(path: Path, sep: str, encoding: str | None) -> int:
    text, _ = decode(path, encoding)
    return sum(1 for row in csv.reader(io.StringIO(text), delimiter=sep) if row) - 1  # minus the header


def test_every_row_is_accounted_for() -> None:
    report = json.loads((PROCESSED / "build_report.json").read_text(encoding="utf-8"))
    facts = pd.read_parquet(PROCESSED / "facts.parquet", columns=["source_id"])
    population = pd.read_parquet(PROCESSED / "population.parquet", columns=["source_id"])
    totals = {"rows_read": 0, "used": 0, "excluded": 0, "unmatched": 0, "lost": 0}
    written: dict[tuple[str, str], int] = {}
    for s in report["sources"]:
        acc = s["rows_accounted"]
        assert acc["lost"] == 0, (s["mapping"], acc["lost_rows_first"])
        assert acc["used"] + acc["excluded"] + acc["unmatched"] == s["rows_read"], s["mapping"]
        assert acc["unmatched"] <= s["rows_unmatched"]            # melted pieces >= file rows
        if acc["excluded"]:
            assert sum(s["rows_excluded_by_rule"].values()) >= acc["excluded"], s["mapping"]
        mapping = ROOT / "geo" / "mappings" / s["mapping"]
        spec = yaml.safe_load(mapping.read_text(encoding="utf-8")) if mapping.is_file() else {}
        assert raw_rows(RAW / s["file"], spec.get("sep", ","), spec.get("encoding")) == s["rows_read"], s["mapping"]
        kind = spec.get("kind", "facts")
        written[(kind, s["source_id"])] = written.get((kind, s["source_id"]), 0) + s["rows_written"]
        totals["rows_read"] += s["rows_read"]
        for k in ("used", "excluded", "unmatched", "lost"):
            totals[k] += acc[k]
    for (kind, source), n in written.items():
        table = facts if kind == "facts" else population
        if source.startswith("published figures"):
            source_rows = int(table.source_id.str.startswith("pf_").sum())
        else:
            source_rows = int((table.source_id == source).sum())
        assert source_rows == n, (kind, source, source_rows, n)
    record("nothing_lost", sources=len(report["sources"]), **totals)


def test_records_sources_count_every_used_row() -> None:
    """Record-level sources: the national total of each mapping's years equals the rows it used."""
    report = {s["mapping"]: s for s in json.loads((PROCESSED / "build_report.json").read_text())["sources"]}
    facts = pd.read_parquet(PROCESSED / "facts.parquet")
    tot = facts[(facts.sex == "total") & (facts.age_group == "total") & facts.month.isna()]
    cr = tot[(tot.source_id == "cr_oij_2023") & (tot.unit_id == "CRI")]
    assert cr["count"].sum() == report["cr_oij_2023.yaml"]["rows_accounted"]["used"]
    pa = tot[(tot.source_id == "pa_mp_homicide_victims") & (tot.unit_id == "PAN") & (tot.offense == "homicide")]
    used = sum(report[m]["rows_accounted"]["used"] for m in ("pa_homicide_victims.yaml",
                                                               "pa_homicide_victims_2023.yaml"))
    assert pa["count"].sum() == used
