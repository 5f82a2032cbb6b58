"""Figures transcribed from news and observatory pages (crime/published_figures).

One row per figure, each with its institution and page: every (institution, page) becomes its own source, so
figures where institutions disagree stay side by side. `geo/crosswalks/published_institutions.csv` declares, per
institution as the page names it, the publisher's name and the source priority (which figure the map uses when
several disagree); two spellings of one publication share a publisher and so a source. Kept: complete national figures for a calendar year and the
complete Belize district sets (2013, 2014). Not kept (listed in the report with the reason): half-years, quarters
and month ranges, partial top-N subnational lists, cities, and percentages.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd

from geo.declarative import FACT_KEY, Hierarchy, LoadResult
from geo.errors import PipelineError
from geo.names import Crosswalk, normalise
from geo.readers import read_table

FILE = "crime/published_figures/published_figures_transcribed.csv"
COLUMNS = ["pais", "nivel", "unidad", "periodo", "indicador", "sexo", "valor", "unidad_medida", "fuente_dato",
           "url", "nota"]
OFFENSES = {
    "murders": "homicide", "homicides": "homicide", "homicide victims": "homicide",
    "intentional homicides": "homicide", "homicides (all, police count)": "homicide",
    "homicide victims (doloso)": "homicide", "homicides (forensic recognitions)": "homicide",
    "homicidios dolosos": "homicide", "homicide rate": "homicide", "feminicides": "femicide", "rape": "rape",
    "robbery": "robbery", "burglary": "burglary", "theft": "theft",
    "unlawful sexual intercourse": "unlawful_sexual_intercourse", "major crimes total": "major_crimes",
}
SEXES = {"total": "total", "male": "male", "female": "female", "undetermined": "unknown"}
MEASURES = {"count": "count", "per 100k": "rate"}


INSTITUTIONS = Path(__file__).resolve().parent.parent / "crosswalks" / "published_institutions.csv"


def read_institutions(path: Path = INSTITUTIONS) -> dict[str, dict[str, Any]]:
    """Institution as written in the table -> {publisher, priority, note}."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return {r.institution: {"publisher": r.publisher, "priority": int(r.priority), "note": r.note}
            for r in table.itertuples()}


def source_id_for(institution: str, url: str) -> str:
    """Stable id of one institution's figures on one page: the institution plus a hash of the address."""
    slug = re.sub(r"[^a-z0-9]+", "_", normalise(institution).lower()).strip("_")[:28]
    return f"pf_{slug}_{hashlib.sha1(url.encode('utf-8')).hexdigest()[:6]}"


def load(raw_dir: Path, hierarchy: Hierarchy, crosswalk: Crosswalk) -> tuple[LoadResult, list[dict[str, Any]]]:
    """Fact rows and the source entries generated for each institution and page."""
    frame, encoding = read_table(raw_dir / FILE)
    institutions = read_institutions()
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise PipelineError(FILE, f"missing columns {sorted(missing)}")
    excluded: dict[str, int] = {}
    unmatched: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    sources: dict[str, dict[str, Any]] = {}

    def exclude(reason: str) -> None:
        excluded[reason] = excluded.get(reason, 0) + 1

    for line, row in zip(range(2, len(frame) + 2), frame.to_dict("records")):
        nota = str(row["nota"] or "")
        if not re.fullmatch(r"\d{4}", str(row["periodo"]).strip()):
            exclude("period is not a calendar year (half-year, quarter or month range)")
            continue
        if nota.lower().startswith("partial") or row["nivel"] not in ("national", "district"):
            exclude("partial set of units or a city: kept out of the map (validation only)")
            continue
        if row["unidad_medida"] not in MEASURES:
            exclude(f"measure {row['unidad_medida']!r} is neither a count nor a rate per 100,000")
            continue
        offense = OFFENSES.get(str(row["indicador"]).strip())
        if offense is None:
            raise PipelineError(FILE, f"indicator {row['indicador']!r} has no offence in the mapping", line)
        sex = SEXES.get(str(row["sexo"]).strip())
        if sex is None:
            raise PipelineError(FILE, f"sex {row['sexo']!r} is not known", line)
        country = str(row["pais"]).strip()
        if row["nivel"] == "national":
            unit = country if country in hierarchy.level else None
        else:
            hit = crosswalk.lookup(country, row["unidad"])
            unit = hit[0] if hit else None
        if unit is None:
            unmatched.append({"file": FILE, "row": line, "column": "unidad", "value": row["unidad"],
                              "reason": f"no unit for {row['unidad']!r} ({country}, {row['nivel']})"})
            continue
        try:
            value = float(str(row["valor"]).replace(",", ""))
        except ValueError as exc:
            raise PipelineError(FILE, f"value {row['valor']!r} is not a number", line) from exc
        if value < 0:
            raise PipelineError(FILE, f"value {row['valor']!r} is negative", line)
        declared = institutions.get(str(row["fuente_dato"]).strip())
        if declared is None:
            raise PipelineError(FILE, f"institution {row['fuente_dato']!r} is not declared in "
                                      f"{INSTITUTIONS.name} (publisher and priority)", line)
        sid = source_id_for(declared["publisher"], row["url"])
        src = sources.setdefault(sid, {
            "source_id": sid, "kind": "facts", "priority": declared["priority"],
            "publisher": declared["publisher"],
            "title": f"Figures published by {declared['publisher']} ({urlparse(row['url']).netloc})",
            "address": row["url"], "licence": "Facts transcribed from a public web page; cite the page",
            "citation": f"{declared['publisher']}, via {urlparse(row['url']).netloc}",
            "notes": {f"priority {declared['priority']}: {declared['note']}"}})
        src["notes"].add(f"{row['indicador']} ({row['periodo']})" + (f": {nota}" if nota else ""))
        kept.append({"unit_id": unit, "year": int(row["periodo"]), "month": None, "offense": offense,
                     "sex": sex, "age_group": "total", MEASURES[row["unidad_medida"]]: value, "source_id": sid,
                     "__line__": line})
    table = pd.DataFrame(kept)
    for col in ("count", "rate"):
        if col not in table:
            table[col] = pd.NA
    grouped = table.groupby(FACT_KEY + ["source_id"], dropna=False)
    clash = grouped[["count", "rate"]].count().max(axis=1) > 1
    if clash.any():
        key = clash[clash].index[0]
        raise PipelineError(FILE, f"two figures of the same measure for {key}")
    facts = grouped[["count", "rate"]].first().reset_index()
    facts["count"] = facts["count"].astype("Float64")
    facts["rate"] = facts["rate"].astype("Float64")
    source_rows = []
    for src in sources.values():
        notes = "Transcribed figures: " + "; ".join(sorted(src.pop("notes")))
        source_rows.append({**src, "notes": notes})
    report = {"mapping": "geo/custom/published_figures.py", "source_id": "published figures (one per page)",
              "file": FILE, "encoding": encoding, "grain": "table", "rows_read": len(frame),
              "rows_written": len(facts), "rows_excluded_by_rule": excluded, "rows_unmatched": len(unmatched),
              "unmatched": unmatched, "rows_counted_above_unknown_unit": {}, "reviewed_crosswalk_lines_used": [],
              "rows_dropped_unmatched": len(unmatched),
              "rows_accounted": {"used": len(kept), "excluded": sum(excluded.values()), "unmatched": len(unmatched),
                                 "lost": len(frame) - len(kept) - sum(excluded.values()) - len(unmatched),
                                 "lost_rows_first": []}}
    return LoadResult("published_figures", "published_figures", "facts", facts, report), source_rows
