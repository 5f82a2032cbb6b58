"""Rebuild every processed file from the raw folder: ``python -m geo.build [--raw DIR] [--out DIR]``.

Steps: boundaries -> units; every mapping in geo/mappings (declarative) plus geo/custom loaders -> facts and
population; checks across sources; build report; write into a temporary folder and swap it in at the end, so a
failed build leaves the previous processed data untouched. Running it twice gives byte-identical files.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import pandas as pd
import yaml

from geo.custom import published_figures
from geo.declarative import FACT_KEY, POP_KEY, DeclarativeLoader, Hierarchy, LoadResult
from geo.errors import PipelineError
from geo.names import CROSSWALK_DIR, Crosswalk
from geo.vocab import Vocabulary

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RAW = Path(os.environ.get("OBS_RAW_DIR", ROOT.parent / "shared" / "data" / "raw"))
DEFAULT_OUT = Path(os.environ.get("OBS_DATA_DIR", ROOT / "data" / "processed"))
MAPPINGS_DIR = Path(__file__).parent / "mappings"
SOURCES_FILE = Path(__file__).parent / "sources.yaml"
SOURCE_COLUMNS = ["source_id", "kind", "priority", "publisher", "title", "address", "licence", "citation", "notes"]
log = logging.getLogger("geo.build")


def load_sources(path: Path = SOURCES_FILE) -> list[dict[str, Any]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        missing = set(SOURCE_COLUMNS) - set(entry)
        if missing:
            raise PipelineError(path.name, f"source entry {i + 1} lacks {sorted(missing)}")
        if entry["source_id"] in seen:
            raise PipelineError(path.name, f"source_id {entry['source_id']!r} defined twice")
        seen.add(entry["source_id"])
    return entries


def _typed_facts(frames: list[pd.DataFrame]) -> pd.DataFrame:
    facts = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame({
        "unit_id": facts["unit_id"].astype(str),
        "year": facts["year"].astype("int16"),
        "month": pd.array(facts["month"].where(facts["month"].notna(), None), dtype="Int8"),
        "offense": facts["offense"].astype(str),
        "sex": facts["sex"].astype(str),
        "age_group": facts["age_group"].astype(str),
        "count": facts["count"].astype("Float64"),
        "rate": facts["rate"].astype("Float64"),
        "source_id": facts["source_id"].astype(str),
    })
    return out.sort_values(FACT_KEY + ["source_id"], na_position="first", kind="stable").reset_index(drop=True)


def _typed_population(frames: list[pd.DataFrame]) -> pd.DataFrame:
    pop = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame({
        "unit_id": pop["unit_id"].astype(str),
        "year": pop["year"].astype("int16"),
        "sex": pop["sex"].astype(str),
        "age_group": pop["age_group"].astype(str),
        "population": pop["population"].round().astype("Int64"),
        "source_id": pop["source_id"].astype(str),
    })
    return out.sort_values(POP_KEY + ["source_id"], kind="stable").reset_index(drop=True)


def check_tables(facts: pd.DataFrame, population: pd.DataFrame, units: pd.DataFrame,
                 sources: pd.DataFrame) -> None:
    """Cross-source checks: unique keys, known units and sources, no negative values."""
    for name, table, key in (("facts", facts, FACT_KEY + ["source_id"]),
                             ("population", population, POP_KEY + ["source_id"])):
        dup = table.duplicated(key, keep=False)
        if dup.any():
            first = table[dup].iloc[0]
            raise PipelineError(name, "duplicate key across mappings: " + ", ".join(f"{k}={first[k]}" for k in key))
        unknown_units = set(table.unit_id) - set(units.unit_id)
        if unknown_units:
            raise PipelineError(name, f"unit ids not in units: {sorted(unknown_units)[:10]}")
        unknown_sources = set(table.source_id) - set(sources.source_id)
        if unknown_sources:
            raise PipelineError(name, f"source ids not in sources.yaml: {sorted(unknown_sources)}")
    if (facts["count"] < 0).any() or (facts["rate"] < 0).any() or (population["population"] < 0).any():
        raise PipelineError("facts", "negative value")
    empty = facts["count"].isna() & facts["rate"].isna()
    if empty.any():
        raise PipelineError("facts", f"{int(empty.sum())} rows with neither count nor rate")


def coverage(facts: pd.DataFrame, units: pd.DataFrame) -> list[dict[str, Any]]:
    """Country x level x offence x source: years, sexes, age groups and measures with data."""
    meta = units[["unit_id", "level", "country"]]
    joined = facts.merge(meta, on="unit_id", how="left")
    rows = []
    for (country, level, offense, source), grp in joined.groupby(["country", "level", "offense", "source_id"]):
        measures = [m for m in ("count", "rate") if grp[m].notna().any()]
        rows.append({"country": country, "level": int(level), "offense": offense, "source_id": source,
                     "years": sorted(int(y) for y in grp.year.unique()),
                     "sexes": sorted(grp.sex.unique()), "age_groups": sorted(grp.age_group.unique()),
                     "measures": measures, "units_with_data": int(grp.unit_id.nunique())})
    return rows


def unit_gaps(facts: pd.DataFrame, units: pd.DataFrame) -> list[dict[str, Any]]:
    """Where a parent's count exceeds the sum of its children (records whose finer unit is unknown)."""
    parent = dict(zip(units.unit_id, units.parent_id))
    totals = facts[(facts.sex == "total") & (facts.age_group == "total") & facts["count"].notna()]
    out = []
    for (source, year, offense), grp in totals.groupby(["source_id", "year", "offense"]):
        by_unit = dict(zip(grp.unit_id, grp["count"]))
        sums: dict[str, float] = {}
        for unit, value in by_unit.items():
            p = parent.get(unit)
            if isinstance(p, str) and p in by_unit:
                sums[p] = sums.get(p, 0.0) + float(value)
        for p, child_sum in sums.items():
            if abs(float(by_unit[p]) - child_sum) > 1e-9:
                out.append({"source_id": source, "year": int(year), "offense": offense, "unit_id": p,
                            "count": float(by_unit[p]), "sum_of_children": child_sum,
                            "difference": float(by_unit[p]) - child_sum})
    return out


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _build_date(out_dir: Path, content_hash: str) -> str:
    """The date the content last changed: kept from the previous build when the content is the same."""
    previous = out_dir / "build_report.json"
    if previous.exists():
        try:
            old = json.loads(previous.read_text(encoding="utf-8"))["version"]
            if old.get("content_hash") == content_hash:
                return str(old["date"])
        except (ValueError, KeyError, TypeError):
            pass
    return os.environ.get("OBS_BUILD_DATE", dt.date.today().isoformat())


def keep_previous(out_dir: Path, new_dir: Path, content_hash: str) -> None:
    """Keep the facts (and population) of the build being replaced in ``new_dir/previous/`` as
    ``facts-<old version id>.parquet`` when the content changes: only the most recent previous build. When the
    content is the same, the previous folder is carried over unchanged (the app compares pinned links with it)."""
    try:
        old = json.loads((out_dir / "build_report.json").read_text(encoding="utf-8"))["version"]
        old_id = str(old.get("id") or f"{old['date']}-{str(old['content_hash'])[:8]}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        old, old_id = None, ""
    if old and old.get("content_hash") != content_hash and (out_dir / "facts.parquet").is_file() \
            and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9a-f]{8}", old_id):
        (new_dir / "previous").mkdir()
        for name in ("facts", "population"):
            if (out_dir / f"{name}.parquet").is_file():
                shutil.copy2(out_dir / f"{name}.parquet", new_dir / "previous" / f"{name}-{old_id}.parquet")
    elif (out_dir / "previous").is_dir():
        shutil.copytree(out_dir / "previous", new_dir / "previous")


def write_units(units: gpd.GeoDataFrame, path: Path) -> None:
    from geo.boundaries import write_units as write  # one writer for the CLI and the build (fixed CRS text)

    write(units, path)


def boundary_failure(exc: Exception) -> PipelineError:
    """A geo.boundaries.BoundaryError ("<file>[:<line>]: <reason>", or a bare reason) as a PipelineError."""
    msg = str(exc)
    m = re.match(r"(?s)^([^:\s]+)(?::(\d+))?: (.+)$", msg)
    if m:
        return PipelineError(m.group(1), m.group(3), int(m.group(2)) if m.group(2) else None)
    return PipelineError("boundaries", msg)


def build(raw_dir: Path = DEFAULT_RAW, out_dir: Path = DEFAULT_OUT,
          progress: Callable[[str], None] = lambda msg: None,
          units: gpd.GeoDataFrame | None = None) -> dict[str, Any]:
    """Build everything into a temporary folder, then swap it in place of ``out_dir``. Returns the report.
    Bad input raises PipelineError (file, row, reason), including boundary problems (BoundaryError)."""
    from geo.boundaries import BoundaryError

    try:
        return _build(raw_dir, out_dir, progress, units)
    except BoundaryError as exc:
        raise boundary_failure(exc) from exc


def _build(raw_dir: Path, out_dir: Path, progress: Callable[[str], None],
           units: gpd.GeoDataFrame | None) -> dict[str, Any]:
    started = time.perf_counter()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise PipelineError(str(raw_dir), "raw data folder not found (set --raw or OBS_RAW_DIR)")
    boundary_report: dict[str, Any] = {}
    if units is None:
        from geo.boundaries import build_units

        progress("boundaries: building units (simplify, nest) ...")
        units, boundary_report = build_units(raw_dir)
        progress(f"boundaries: done in {boundary_report.get('seconds')} s")
        # timings vary from run to run: they are printed, not written, so the report stays byte-identical
        boundary_report = {k: v for k, v in boundary_report.items() if k != "seconds"}
    hierarchy = Hierarchy.from_units(units)
    vocab = Vocabulary.load()
    sources = load_sources()
    loader = DeclarativeLoader(raw_dir, hierarchy, vocab)
    results: list[LoadResult] = []
    for mapping in sorted(MAPPINGS_DIR.glob("*.yaml")):
        progress(f"source: {mapping.name} ...")
        results.append(loader.run(mapping))
    progress("source: published figures ...")
    pf_result, pf_sources = published_figures.load(raw_dir, hierarchy, Crosswalk.load(CROSSWALK_DIR / "level1.csv"))
    results.append(pf_result)
    sources_table = pd.DataFrame(sources + pf_sources)[SOURCE_COLUMNS]
    sources_table["priority"] = sources_table["priority"].astype("int16")
    sources_table = sources_table.sort_values("source_id").reset_index(drop=True)
    for result in results:
        if result.source_id != "published_figures" and result.source_id not in set(sources_table.source_id):
            raise PipelineError(result.mapping, f"source_id {result.source_id!r} is not in geo/sources.yaml")
        if result.source_id in set(sources_table.source_id):
            declared = sources_table.loc[sources_table.source_id == result.source_id, "kind"].iloc[0]
            if declared != result.kind:
                raise PipelineError(result.mapping, f"mapping kind {result.kind} but source kind {declared}")

    facts = _typed_facts([r.rows for r in results if r.kind == "facts"])
    population = _typed_population([r.rows for r in results if r.kind == "population"])
    check_tables(facts, population, units, sources_table)

    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        write_units(units, tmp / "units.parquet")
        facts.to_parquet(tmp / "facts.parquet", index=False, compression="zstd")
        population.to_parquet(tmp / "population.parquet", index=False, compression="zstd")
        sources_table.to_parquet(tmp / "sources.parquet", index=False, compression="zstd")
        files = [tmp / n for n in ("units.parquet", "facts.parquet", "population.parquet", "sources.parquet")]
        content_hash = _digest(files)
        report = {
            "version": {"date": _build_date(out_dir, content_hash), "content_hash": content_hash,
                        "id": f"{_build_date(out_dir, content_hash)}-{content_hash[:8]}"},
            "raw_dir_layout": "see SOURCES.md in the raw folder",
            "totals": {"units": int(len(units)), "facts": int(len(facts)), "population": int(len(population)),
                       "sources": int(len(sources_table))},
            "sources": [r.report for r in results],
            "boundaries": boundary_report,
            "parent_exceeds_children": unit_gaps(facts, units),
            "coverage": coverage(facts, units),
        }
        (tmp / "build_report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
        keep_previous(out_dir, tmp, content_hash)
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        if out_dir.exists():
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def summary(report: dict[str, Any]) -> str:
    """Readable build summary: rows per source, exclusions, unmatched rows."""
    lines = [f"Build {report['version']['id']}: {report['totals']}"]
    lines.append(f"{'mapping':44} {'read':>7} {'written':>8} {'excluded':>8} {'unmatched':>9}")
    for s in report["sources"]:
        excluded = sum(s["rows_excluded_by_rule"].values())
        lines.append(f"{s['mapping'][:44]:44} {s['rows_read']:>7} {s['rows_written']:>8} {excluded:>8} "
                     f"{s['rows_unmatched']:>9}")
        for reason, n in sorted(s["rows_excluded_by_rule"].items()):
            if n:
                lines.append(f"    excluded {n:>6}: {reason}")
        for item in s["unmatched"][:5]:
            lines.append(f"    unmatched row {item['row']}: {item['column']}={item['value']!r} — {item['reason']}")
        if len(s["unmatched"]) > 5:
            lines.append(f"    ... {s['rows_unmatched'] - 5} more unmatched rows in build_report.json")
        for reason, n in sorted(s["rows_counted_above_unknown_unit"].items()):
            lines.append(f"    counted above the unit {n:>6}: {reason}")
        for note in s["reviewed_crosswalk_lines_used"]:
            lines.append(f"    crosswalk: {note}")
    lines.append(f"coverage entries: {len(report['coverage'])}; parents exceeding children: "
                 f"{len(report['parent_exceeds_children'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo.build", description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw data folder (default %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="processed output folder (default %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        report = build(args.raw, args.out, progress=lambda msg: print(msg, flush=True))
    except PipelineError as exc:
        print(f"BUILD FAILED (nothing written): {exc}", file=sys.stderr)
        return 2
    print(summary(report))
    print(f"done in {report['seconds']} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
