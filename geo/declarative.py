"""The declarative loader: one YAML mapping file turns a raw table into contract rows, with no new Python.

A mapping (see docs/PIPELINE.md for the full reference and geo/mappings/ for examples) says:
which file, which rows to keep, how to find the unit of each row, how each contract field is read
(a column, a constant, a value map), and whether the table holds aggregated figures (`grain: table`)
or one row per incident/victim (`grain: records`, counted and rolled up to every level).
Every input row ends up either in the output or in the report with the reason.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from geo.errors import PipelineError
from geo.names import CROSSWALK_DIR, Crosswalk, normalise
from geo.readers import read_table
from geo.vocab import Vocabulary

FACT_KEY = ["unit_id", "year", "month", "offense", "sex", "age_group"]
POP_KEY = ["unit_id", "year", "sex", "age_group"]
SEXES = {"total", "female", "male", "unknown"}
FIELDS = {"year", "month", "offense", "sex", "age_group", "count", "rate", "population"}
TOP_KEYS = {"source_id", "kind", "file", "encoding", "sep", "grain", "country", "country_column", "filter", "units", "fields",
            "melt", "combine", "rollup", "margins", "zero_fill", "description"}
MAX_UNMATCHED_LISTED = 500


@dataclass
class Hierarchy:
    """What the loader needs to know of the units: which exist, their level, country and parent."""

    level: dict[str, int]
    parent: dict[str, str | None]
    country: dict[str, str]

    @classmethod
    def from_units(cls, units: pd.DataFrame) -> "Hierarchy":
        return cls(
            level=dict(zip(units.unit_id, units.level.astype(int))),
            parent={u: (p if isinstance(p, str) else None) for u, p in zip(units.unit_id, units.parent_id)},
            country=dict(zip(units.unit_id, units.country)),
        )

    def ancestor(self, unit_id: str, level: int) -> str:
        current = unit_id
        while self.level[current] > level:
            parent = self.parent[current]
            assert parent is not None
            current = parent
        return current

    def units_at(self, country: str, level: int) -> list[str]:
        return sorted(u for u, lv in self.level.items() if lv == level and self.country[u] == country)


@dataclass
class LoadResult:
    """Rows for the contract tables plus what the build report says about this mapping."""

    mapping: str
    source_id: str
    kind: str
    rows: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


def load_mapping(path: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PipelineError(path.name, f"invalid YAML ({exc})") from exc
    if not isinstance(spec, dict):
        raise PipelineError(path.name, "a mapping must be a YAML dictionary")
    unknown = set(spec) - TOP_KEYS
    if unknown:
        raise PipelineError(path.name, f"unknown mapping keys {sorted(unknown)} (allowed: {sorted(TOP_KEYS)})")
    for key in ("source_id", "kind", "file", "grain", "units", "fields"):
        if key not in spec:
            raise PipelineError(path.name, f"mapping lacks '{key}'")
    if spec["kind"] not in ("facts", "population"):
        raise PipelineError(path.name, f"kind must be facts or population, not {spec['kind']!r}")
    if spec["grain"] not in ("table", "records"):
        raise PipelineError(path.name, f"grain must be table or records, not {spec['grain']!r}")
    bad_fields = set(spec["fields"]) - FIELDS
    if bad_fields:
        raise PipelineError(path.name, f"unknown contract fields {sorted(bad_fields)} (allowed: {sorted(FIELDS)})")
    return spec


class _Rows:
    """Bookkeeping of what happened to each input row (1-based file row numbers, header = 1)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.excluded: dict[str, int] = {}
        self.unmatched: list[dict[str, Any]] = []
        self.unmatched_total = 0
        self.partial: dict[str, int] = {}
        self.notes: dict[str, int] = {}
        # per file row (the accounting of rows_accounted: used + excluded + unmatched = rows_read)
        self.used_lines: set[int] = set()
        self.excluded_lines: set[int] = set()
        self.unmatched_lines: set[int] = set()
        self.partial_lines: set[int] = set()

    def exclude(self, reason: str, n: int = 1, lines: Any = ()) -> None:
        self.excluded[reason] = self.excluded.get(reason, 0) + n
        self.excluded_lines.update(int(x) for x in lines)

    def unmatch(self, row: int, column: str, value: Any, reason: str) -> None:
        self.unmatched_total += 1
        self.unmatched_lines.add(int(row))
        if len(self.unmatched) < MAX_UNMATCHED_LISTED:
            self.unmatched.append({"file": self.file, "row": row, "column": column, "value": str(value),
                                   "reason": reason})


def _column(frame: pd.DataFrame, name: str, file: str, what: str) -> pd.Series:
    if name not in frame.columns:
        raise PipelineError(file, f"column {name!r} ({what}) not in file; columns are {list(frame.columns)}")
    return frame[name]


def _field_values(frame: pd.DataFrame, spec: dict[str, Any] | Any, name: str, file: str) -> pd.Series:
    """Raw (unmapped) value of a field per row: from a column, or a constant."""
    if not isinstance(spec, dict):
        return pd.Series([spec] * len(frame), index=frame.index, dtype=object)
    if "value" in spec:
        return pd.Series([spec["value"]] * len(frame), index=frame.index, dtype=object)
    series = _column(frame, spec["column"], file, name).astype(object)
    series = series.where(series.isna(), series.astype(str).str.strip())
    parse = spec.get("parse")
    if parse == "date_year":
        return pd.to_datetime(series, errors="coerce", format="%Y-%m-%d").dt.year.astype(object)
    if parse is not None:
        raise PipelineError(file, f"field {name}: unknown parse {parse!r}")
    return series


def _apply_map(values: pd.Series, spec: Any, name: str, rows: _Rows, line: pd.Series,
               vocab: set[str] | None) -> pd.Series:
    """Map source values to contract codes; a list maps one row to several codes (kept as list)."""
    if not isinstance(spec, dict) or ("map" not in spec and "exclude" not in spec):
        return values
    mapping = {normalise(k): v for k, v in (spec.get("map") or {}).items()}
    excluded = {normalise(k): reason for k, reason in (spec.get("exclude") or {}).items()}
    for target in mapping.values():
        for code in target if isinstance(target, list) else [target]:
            if vocab is not None and code not in vocab:
                raise PipelineError(rows.file, f"field {name}: map target {code!r} is not in the vocabulary")
    out = []
    for idx, raw in values.items():
        key = normalise(raw) if raw is not None and raw == raw else ""
        if key in mapping:
            out.append(mapping[key])
        elif key in excluded:
            rows.exclude(f"{name} {raw!r}: {excluded[key]}", lines=[line[idx]])
            out.append(None)
        else:
            rows.unmatch(int(line[idx]), spec.get("column", name), raw, f"{name} value not in the mapping")
            out.append(None)
    return pd.Series(out, index=values.index, dtype=object)


def _numbers(values: pd.Series, name: str, file: str, line: pd.Series, integer: bool) -> pd.Series:
    text = values.astype(object).where(values.notna(), None)
    cleaned = text.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip().replace(",", ""))
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = cleaned.notna() & numbers.isna()
    if bad.any():
        idx = bad.idxmax()
        raise PipelineError(file, f"{name} {values[idx]!r} is not a number", int(line[idx]))
    negative = numbers < 0
    if negative.any():
        idx = negative.idxmax()
        raise PipelineError(file, f"{name} {values[idx]!r} is negative", int(line[idx]))
    if integer:
        fractional = numbers.notna() & (numbers != numbers.round())
        if fractional.any():
            idx = fractional.idxmax()
            raise PipelineError(file, f"{name} {values[idx]!r} is not a whole number", int(line[idx]))
    return numbers.astype("Float64")


def _years(values: pd.Series, file: str, line: pd.Series, this_year: int) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numbers.isna()
    if bad.any():
        idx = bad.idxmax()
        raise PipelineError(file, f"year {values[idx]!r} is not a year", int(line[idx]))
    out_of_range = numbers.notna() & ((numbers < 1900) | (numbers > this_year))
    if out_of_range.any():
        idx = out_of_range.idxmax()
        raise PipelineError(file, f"year {values[idx]!r} is outside 1900..{this_year} (a year in the future?)",
                            int(line[idx]))
    return numbers.astype("Int64")


class DeclarativeLoader:
    """Runs one mapping against the raw folder."""

    def __init__(self, raw_dir: Path, hierarchy: Hierarchy, vocab: Vocabulary, this_year: int | None = None,
                 crosswalk_dir: Path = CROSSWALK_DIR) -> None:
        self.raw_dir = raw_dir
        self.hierarchy = hierarchy
        self.vocab = vocab
        self.this_year = this_year or dt.date.today().year
        self.crosswalk_dir = crosswalk_dir
        self._crosswalks: dict[str, Crosswalk] = {}

    def crosswalk(self, name: str) -> Crosswalk:
        if name not in self._crosswalks:
            self._crosswalks[name] = Crosswalk.load(self.crosswalk_dir / name)
        return self._crosswalks[name]

    # -- units -------------------------------------------------------------------------------------------
    def _match_units(self, frame: pd.DataFrame, spec: dict[str, Any], rows: _Rows,
                     line: pd.Series) -> pd.Series:
        """Finest matched unit per row (None: row matched nowhere below the country)."""
        file = rows.file
        country_col = spec.get("country_column")
        countries = (frame[country_col].astype(str).str.strip() if country_col
                     else pd.Series([spec.get("country")] * len(frame), index=frame.index))
        finest = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        for level_spec in spec["units"]:
            level = int(level_spec["level"])
            column = level_spec["column"]
            values = _column(frame, column, file, f"level-{level} unit")
            parents = (_column(frame, level_spec["parent_column"], file, "parent unit")
                       if "parent_column" in level_spec else None)
            unknown = {normalise(v) for v in level_spec.get("unknown", [])}
            how = level_spec.get("match", "crosswalk")
            crosswalk = self.crosswalk(level_spec["crosswalk"]) if how == "crosswalk" else None
            cache: dict[tuple[str, str, str], str | None] = {}
            for idx, raw in values.items():
                country = countries[idx]
                parent = parents[idx] if parents is not None else ""
                if level > 0 and finest[idx] is None and level_spec is not spec["units"][0]:
                    continue  # the coarser level did not match: nothing finer can be placed
                key = (country, str(parent), str(raw))
                if key not in cache:
                    cache[key] = self._match_one(how, crosswalk, country, raw, parent, level, unknown, rows)
                found = cache[key]
                if found == "":
                    rows.partial_lines.add(int(line[idx]))
                    rows.partial[f"{column} {raw!r}: unknown in source"] = rows.partial.get(
                        f"{column} {raw!r}: unknown in source", 0) + 1
                elif found is None:
                    rows.unmatch(int(line[idx]), column, raw,
                                 f"no crosswalk line for level-{level} unit {raw!r} ({country})")
                else:
                    finest[idx] = found
        return finest

    def _match_one(self, how: str, crosswalk: Crosswalk | None, country: str, raw: Any, parent: Any, level: int,
                   unknown: set[str], rows: _Rows) -> str | None:
        if normalise(raw) in unknown:
            return ""
        if how == "id":
            unit = str(raw).strip()
        else:
            assert crosswalk is not None
            hit = crosswalk.lookup(country, raw, parent)
            if hit is None:
                return None
            unit, note = hit
            if note.startswith("reviewed"):
                rows.notes[f"{raw!r} -> {unit}: {note}"] = 0
        if unit not in self.hierarchy.level:
            return None
        if self.hierarchy.level[unit] != level or self.hierarchy.country[unit] != country:
            raise PipelineError(rows.file, f"crosswalk maps {raw!r} to {unit}, which is not a level-{level} unit "
                                           f"of {country}")
        return unit

    # -- main --------------------------------------------------------------------------------------------
    def run(self, mapping_path: Path) -> LoadResult:
        spec = load_mapping(mapping_path)
        path = self.raw_dir / spec["file"]
        frame, encoding = read_table(path, spec.get("encoding"), spec.get("sep", ","))
        rows = _Rows(spec["file"])
        line = pd.Series(range(2, len(frame) + 2), index=frame.index)
        read = len(frame)
        for rule in spec.get("filter", []):
            column = _column(frame, rule["column"], rows.file, "filter")
            keep = pd.Series(True, index=frame.index)
            if "in" in rule:
                keep &= column.astype(str).str.strip().isin([str(v) for v in rule["in"]])
            if "not_in" in rule:
                keep &= ~column.astype(str).str.strip().isin([str(v) for v in rule["not_in"]])
            rows.exclude(rule["reason"], int((~keep).sum()), lines=line[~keep])
            frame, line = frame[keep], line[keep]

        # the file row numbers travel with the rows (through filter and melt) for errors and the report
        frame = self._melt(frame.assign(__line__=line), spec, rows.file)
        line = frame.pop("__line__") if "__line__" in frame.columns else line
        unit = self._match_units(frame, spec, rows, line)
        fields = spec["fields"]
        values: dict[str, pd.Series] = {}
        vocab = {"offense": self.vocab.offenses, "sex": SEXES, "age_group": self.vocab.age_groups}
        for name in ("year", "month", "offense", "sex", "age_group"):
            if name == "month" and name not in fields:
                values[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
                continue
            if name not in fields and name in frame.columns:  # set by melt
                values[name] = frame[name]
                continue
            if name == "offense" and spec["kind"] == "population":
                continue
            if name not in fields:
                raise PipelineError(rows.file, f"mapping gives no value for contract field {name!r}")
            raw = _field_values(frame, fields[name], name, rows.file)
            values[name] = _apply_map(raw, fields[name], name, rows, line, vocab.get(name))
        for name in ("offense", "sex", "age_group"):
            if name in values:
                codes = values[name].dropna().explode().dropna()
                unknown = set(codes) - vocab[name]
                if unknown:
                    raise PipelineError(rows.file, f"{name} codes {sorted(unknown)} are not in the vocabulary")
        # population projections legitimately reach into the future; published crime figures cannot
        latest = self.this_year if spec["kind"] == "facts" else self.this_year + 30
        values["year"] = _years(values["year"], rows.file, line, latest)

        table = pd.DataFrame({"__line__": line, "unit_id": unit, **values})
        valid = table[[c for c in ("unit_id", "offense", "sex", "age_group", "year") if c in table]].notna().all(
            axis=1)
        if spec["grain"] == "table":
            deepest = max(int(u["level"]) for u in spec["units"])
            shallow = unit.map(lambda u: isinstance(u, str) and self.hierarchy.level[u] < deepest)
            # a table row is placed at its own (deepest) level only; the miss is already listed as unmatched
            table.loc[shallow, "unit_id"] = None
            valid &= ~shallow
            for name in ("count", "rate", "population"):
                if name in fields or name in frame.columns:
                    raw = frame[name] if name in frame.columns and name not in fields else _field_values(
                        frame, fields[name], name, rows.file)
                    table[name] = _numbers(raw, name, rows.file, line, integer=name != "rate")
            result = self._table(table[valid], spec, rows)
        else:
            result = self._records(table, spec, rows)
        dropped_rows = int((~valid).sum()) if spec["grain"] == "table" else 0
        accounted = self._account(read, rows)
        report = {
            "mapping": mapping_path.name, "source_id": spec["source_id"], "file": spec["file"],
            "encoding": encoding, "grain": spec["grain"], "rows_read": read, "rows_written": len(result),
            "rows_excluded_by_rule": rows.excluded, "rows_unmatched": rows.unmatched_total,
            "unmatched": rows.unmatched, "rows_counted_above_unknown_unit": rows.partial,
            "reviewed_crosswalk_lines_used": sorted(rows.notes),
            "rows_dropped_unmatched": dropped_rows,
            "rows_accounted": accounted,
        }
        return LoadResult(mapping_path.name, spec["source_id"], spec["kind"], result, report)

    @staticmethod
    def _account(read: int, rows: _Rows) -> dict[str, Any]:
        """Each file row once: used (in the output), else excluded by a rule, else unmatched; `lost` must be 0.

        Melted or exploded rows count once per file row: a row is used if any of its pieces reached the output.
        A table row whose unit the source marks as unknown is excluded (table rows are placed at their own level
        only; records rows are still counted above the unknown unit and so are used)."""
        used = rows.used_lines
        partial = rows.partial_lines - used - rows.excluded_lines - rows.unmatched_lines
        if partial:
            rows.exclude("unit unknown in source (a table row is placed at its own level only)", len(partial),
                         lines=partial)
        excluded = rows.excluded_lines - used
        unmatched = rows.unmatched_lines - used - excluded
        lost = sorted(set(range(2, read + 2)) - used - excluded - unmatched)
        return {"used": len(used), "excluded": len(excluded), "unmatched": len(unmatched), "lost": len(lost),
                "lost_rows_first": lost[:20]}

    def _melt(self, frame: pd.DataFrame, spec: dict[str, Any], file: str) -> pd.DataFrame:
        frame = frame.copy()
        frame["__line__"] = range(2, len(frame) + 2) if "__line__" not in frame else frame["__line__"]
        melt = spec.get("melt")
        if not melt:
            return frame
        pieces = []
        for column, extra in melt["columns"].items():
            _column(frame, column, file, "melt")
            piece = frame.drop(columns=list(melt["columns"])).copy()
            piece[melt["value_field"]] = frame[column]
            for key, value in extra.items():
                piece[key] = value
            pieces.append(piece)
        return pd.concat(pieces, ignore_index=True)

    def _table(self, table: pd.DataFrame, spec: dict[str, Any], rows: _Rows) -> pd.DataFrame:
        kind = spec["kind"]
        key = FACT_KEY if kind == "facts" else POP_KEY
        measures = [m for m in ("count", "rate", "population") if m in table.columns]
        table = table.explode("offense") if "offense" in table else table
        empty = table[measures].isna().all(axis=1)
        rows.exclude("no value in the row (blank measure)", int(empty.sum()), lines=table.loc[empty, "__line__"])
        table = table[~empty]
        rows.used_lines.update(int(x) for x in table["__line__"])
        dup = table.duplicated(key, keep=False)
        if dup.any():
            if spec.get("combine") != "sum":
                first = table[dup].iloc[0]
                raise PipelineError(rows.file, "duplicate key " + ", ".join(f"{k}={first[k]}" for k in key),
                                    int(first["__line__"]))
            if "rate" in measures:
                raise PipelineError(rows.file, "combine: sum cannot add rates")
        table = table.groupby(key, dropna=False, sort=True)[measures].sum(min_count=1).reset_index()
        if spec.get("margins"):
            table = self._margins(table, key, measures, spec["margins"])
        if spec.get("zero_fill"):
            table = self._zero_fill(table, spec, key)
        if spec.get("rollup"):
            table = self._rollup(table, key, [m for m in measures if m != "rate"], rows)
        table["source_id"] = spec["source_id"]
        return table

    def _records(self, table: pd.DataFrame, spec: dict[str, Any], rows: _Rows) -> pd.DataFrame:
        """Count records at every level from the finest unit up to the country, with sex/age margins."""
        need = ["offense", "sex", "age_group", "year"]
        incomplete = table[need].isna().any(axis=1)
        table = table[~incomplete].explode("offense")
        rows.used_lines.update(int(x) for x in table["__line__"])
        country = spec.get("country")
        levels = sorted({0} | {int(u["level"]) for u in spec["units"]})
        parts = []
        for level in levels:
            if level == 0:
                units = pd.Series([country] * len(table), index=table.index, dtype=object)
            else:
                units = table["unit_id"].map(
                    lambda u, lv=level: self.hierarchy.ancestor(u, lv)
                    if isinstance(u, str) and self.hierarchy.level[u] >= lv else None)
            placed = table.assign(unit_id=units).dropna(subset=["unit_id"])
            counts = placed.groupby(FACT_KEY[:1] + ["year", "offense", "sex", "age_group"]).size()
            counts = counts.rename("count").reset_index()
            counts = self._zero_fill_records(counts, table, country, level)
            parts.append(counts)
        out = pd.concat(parts, ignore_index=True)
        out = self._margins(out.assign(month=None), FACT_KEY, ["count"], ["sex", "age_group"])
        out["count"] = out["count"].astype("Float64")
        out["rate"] = pd.Series([pd.NA] * len(out), dtype="Float64")
        out["source_id"] = spec["source_id"]
        return out

    def _zero_fill_records(self, counts: pd.DataFrame, records: pd.DataFrame, country: str,
                           level: int) -> pd.DataFrame:
        """A unit with no record is a true zero, but only for categories the source recorded that year
        (Panama recorded no victim's sex in 2021: no female row rather than a false zero)."""
        units = [country] if level == 0 else self.hierarchy.units_at(country, level)
        frames = []
        for year, seen in records.groupby("year"):
            grid = pd.MultiIndex.from_product(
                [units, [year], sorted(seen.offense.unique()), sorted(seen.sex.unique()),
                 sorted(seen.age_group.unique())], names=["unit_id", "year", "offense", "sex", "age_group"])
            frames.append(grid.to_frame(index=False))
        if not frames:
            return counts
        grid = pd.concat(frames, ignore_index=True)
        return grid.merge(counts, how="left", on=list(grid.columns)).fillna({"count": 0})

    @staticmethod
    def _margins(table: pd.DataFrame, key: list[str], measures: list[str], dims: list[str]) -> pd.DataFrame:
        """Add `total` rows over each dimension (and both): total = sum of all parts, unknown included."""
        out = table
        for dim in dims:
            if dim not in table.columns:
                continue
            parts = out[out[dim] != "total"]
            already = out[out[dim] == "total"]
            group = [k for k in key if k != dim]
            summed = parts.groupby(group, dropna=False)[measures].sum(min_count=1).reset_index()
            summed[dim] = "total"
            if not already.empty:
                merged = summed.merge(already[group], on=group, how="left", indicator=True)
                summed = summed[(merged["_merge"] == "left_only").to_numpy()]
            out = pd.concat([out, summed[out.columns]], ignore_index=True)
        return out

    def _zero_fill(self, table: pd.DataFrame, spec: dict[str, Any], key: list[str]) -> pd.DataFrame:
        """Declared complete table: a unit absent for a key that other units have is a zero."""
        level = int(spec["units"][-1]["level"])
        units = self.hierarchy.units_at(spec["country"], level)
        other = [k for k in key if k != "unit_id"]
        combos = table[other].drop_duplicates()
        grid = combos.merge(pd.DataFrame({"unit_id": units}), how="cross")
        out = grid.merge(table, how="left", on=key)
        if "count" in out:
            out["count"] = out["count"].fillna(0)
        return out

    def _rollup(self, table: pd.DataFrame, key: list[str], measures: list[str], rows: _Rows) -> pd.DataFrame:
        """Sum a complete subnational table up to every level above it (rates are not rolled up)."""
        parts = [table]
        current = table
        while True:
            levels = current["unit_id"].map(self.hierarchy.level)
            if (levels == 0).all():
                break
            up = current.assign(unit_id=current["unit_id"].map(self.hierarchy.parent))
            summed = up.groupby(key, dropna=False)[measures].sum(min_count=1).reset_index()
            if "rate" in table.columns:
                summed["rate"] = pd.NA
            parts.append(summed)
            current = summed
        return pd.concat(parts, ignore_index=True)
