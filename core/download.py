"""CSV of the numbers behind a view: one row per unit of the map (units without data included, empty values)."""
from __future__ import annotations

import csv
import io
import math
import re

from core import compare, query, view
from core.viewstate import ViewState

COLUMNS = ["unit_id", "name", "country", "level", "value", "measure", "count", "rate", "rate_computed",
           "population", "population_source", "source", "source_citation", "count_source", "rate_source",
           "offense", "year", "sex", "age_group", "data_version"]


def _num(x: float, decimals: int | None = None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if decimals is None:
        return str(int(x)) if float(x).is_integer() else repr(float(x))
    return f"{float(x):.{decimals}f}"


def _s(x: object) -> str:
    return x if isinstance(x, str) else ""


def _citation(ds: query.Dataset, source_ids: object) -> str:
    """The citations of one source id, or of several space separated (the region's line combines sources)."""
    if not isinstance(source_ids, str):
        return ""
    cites = [_s((ds.sources.get(x) or {}).get("citation")) for x in source_ids.split()]
    return "; ".join(c for c in cites if c)


def _safe_name(parts: list[str]) -> str:
    """A file name from its parts: letters, digits, _ and - only, at most 150 characters, .csv."""
    return re.sub(r"[^A-Za-z0-9_\-]", "-", "_".join(p for p in parts if p))[:150] + ".csv"


def view_rows(ds: query.Dataset, state: ViewState) -> list[dict]:
    focus = query.focus_of(ds, state.level, state.country, state.unit)
    table = query.map_table(ds, state.level, focus, state.offense, state.year or 0, state.sex, state.age,
                            state.measure)
    rows = []
    for r in table.itertuples(index=False):
        has = not math.isnan(r.value)
        src = r.source if has else None
        rows.append({
            "unit_id": r.unit_id, "name": r.name, "country": r.country, "level": state.level,
            "value": _num(r.value, 4 if state.measure == "rate" else None),
            "measure": state.measure,
            "count": _num(r.count),
            "rate": _num(r.rate, 4),
            "rate_computed": ("true" if r.rate_computed else "false") if not math.isnan(r.rate) else "",
            "population": _num(r.population),
            "population_source": _s(r.population_source),
            "source": _s(src),
            "source_citation": _citation(ds, src),
            "count_source": _s(r.count_source),
            "rate_source": _s(r.rate_source),
            "offense": state.offense, "year": state.year if state.year is not None else "",
            "sex": state.sex, "age_group": state.age, "data_version": ds.version,
        })
    return rows


def view_csv(ds: query.Dataset, state: ViewState) -> bytes:
    return _write(COLUMNS, view_rows(ds, state), ("name",))


TREND_COLUMNS = ["series_id", "series", "year", "value", "measure", "source", "source_citation", "offense", "sex",
                 "age_group", "data_version"]


def trend_rows(ds: query.Dataset, state: ViewState) -> list[dict]:
    """The trend's numbers as drawn (core.view.series_lines: the place, its country and the region, or every
    country and the region), a row per line and year with a value; the region's source is every source it
    combines, space separated."""
    lines, _notes, _srcs = view.series_lines(ds, state)
    rows = []
    for ln in lines:
        for year, value, sid in zip(ln["years"], ln["values"], ln["source_ids"]):
            if value is None:
                continue
            rows.append({"series_id": ln["id"], "series": ln["name"], "year": year,
                         "value": _num(value, 4 if state.measure == "rate" else None), "measure": state.measure,
                         "source": sid, "source_citation": _citation(ds, sid),
                         "offense": state.offense, "sex": state.sex, "age_group": state.age,
                         "data_version": ds.version})
    return rows


COMPARE_COLUMNS = ["unit_id", "name", "year", "value", "index", "base_year", "measure", "source", "source_citation",
                   "offense", "sex", "age_group", "data_version"]


def compare_rows(ds: query.Dataset, state: "compare.CompareState") -> list[dict]:
    """The compare page's numbers (core.compare.compare_series): a row per place and year with a value, and its
    index to the base year where one is chosen (empty for a place without a value that year)."""
    rows = []
    for s in compare.compare_series(ds, state):
        index = s["index"] or [None] * len(s["years"])
        for year, value, idx, sid in zip(s["years"], s["values"], index, s["source_ids"]):
            rows.append({"unit_id": s["unit_id"], "name": s["label"], "year": year,
                         "value": _num(value, 4 if state.measure == "rate" else None),
                         "index": _num(idx, 4) if idx is not None else "",
                         "base_year": state.base if state.base is not None else "", "measure": state.measure,
                         "source": sid, "source_citation": _citation(ds, sid),
                         "offense": state.offense, "sex": state.sex, "age_group": state.age,
                         "data_version": ds.version})
    return rows


def compare_csv(ds: query.Dataset, state: "compare.CompareState") -> bytes:
    return _write(COMPARE_COLUMNS, compare_rows(ds, state), ("name",))


def compare_filename(state: "compare.CompareState") -> str:
    return _safe_name(["observatorio_comparar", *state.units[:6], state.offense, state.measure] +
                      ([f"base{state.base}"] if state.base is not None else []))


def _write(columns: list[str], rows: list[dict], text_cols: tuple[str, ...]) -> bytes:
    """UTF-8 with BOM (Excel opens it with accents intact), comma separated, '.' decimals; a text cell that a
    spreadsheet would read as a formula is quoted."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" and k in text_cols else v)
                    for k, v in row.items()})
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def trend_csv(ds: query.Dataset, state: ViewState) -> bytes:
    return _write(TREND_COLUMNS, trend_rows(ds, state), ("series",))


def filename(state: ViewState, kind: str = "") -> str:
    """The download's file name from the view (`kind`: "tendencia" for the trend's)."""
    parts = ["observatorio", kind, state.country, f"nivel{state.level}", state.offense, str(state.year or ""),
             state.measure, state.sex, state.age]
    if state.unit:
        parts.append(state.unit)
    return _safe_name(parts)
