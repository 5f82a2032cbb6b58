"""Bad input to the pipeline: every case gets an error naming file, row and reason, or a listed unmatched row;
a failed build leaves the previous processed data untouched."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

import geo.build
from geo.declarative import DeclarativeLoader, Hierarchy
from geo.errors import PipelineError
from geo.names import Crosswalk, CrosswalkError
from geo.vocab import Vocabulary

UNITS = pd.DataFrame({
    "unit_id": ["CRI", "CR-SJ", "CR-A", "CRI-1", "CRI-2"],
    "level": [0, 1, 1, 2, 2],
    "country": ["CRI"] * 5,
    "parent_id": [None, "CRI", "CRI", "CR-SJ", "CR-SJ"],
    "name": ["Costa Rica", "San José", "Alajuela", "Escazú", "Tibás"],
})
CROSSWALK = "country,parent,source_name,unit_id,note\nCRI,,San José,CR-SJ,test\nCRI,,Alajuela,CR-A,test\n" \
            "CRI,San José,Escazú,CRI-1,test\nCRI,San José,Tibás,CRI-2,test\n"
GOOD_CSV = "provincia,anio,delito,n\nSan José,2023,Homicidio,10\nAlajuela,2023,Homicidio,4\n"


def mapping(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "source_id": "test_source", "kind": "facts", "file": "t.csv", "grain": "table", "country": "CRI",
        "units": [{"level": 1, "column": "provincia", "crosswalk": "cw.csv"}],
        "fields": {"year": {"column": "anio"}, "offense": {"column": "delito", "map": {"Homicidio": "homicide"}},
                   "sex": "total", "age_group": "total", "count": {"column": "n"}},
    }
    spec.update(overrides)
    return spec


def run(tmp_path: Path, data: bytes | str, spec: dict[str, Any] | str | None = None,
        crosswalk: str = CROSSWALK):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "t.csv").write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    (tmp_path / "cw.csv").write_text(crosswalk, encoding="utf-8")
    mpath = tmp_path / "m.yaml"
    mpath.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec or mapping(), allow_unicode=True),
                     encoding="utf-8")
    loader = DeclarativeLoader(raw, Hierarchy.from_units(UNITS), Vocabulary.load(), this_year=2026,
                               crosswalk_dir=tmp_path)
    return loader.run(mpath)


def test_good_table_loads(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD_CSV)
    got = result.rows.set_index("unit_id")["count"]
    assert got["CR-SJ"] == 10 and got["CR-A"] == 4
    assert result.report["rows_read"] == 2 and result.report["rows_unmatched"] == 0


def test_rollup_sums_to_the_country(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD_CSV, mapping(rollup=True))
    assert result.rows.set_index("unit_id").loc["CRI", "count"] == 14


def test_latin1_file_is_detected(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD_CSV.encode("cp1252"))
    assert result.report["encoding"] == "cp1252"
    assert set(result.rows.unit_id) == {"CR-SJ", "CR-A"}  # 'San José' decoded correctly and matched


BAD_CASES: list[tuple[str, bytes | str, dict[str, Any] | str | None, str, int | None]] = [
    ("declared utf-8 but latin-1", GOOD_CSV.encode("latin-1"), mapping(encoding="utf-8"), "not valid utf-8", None),
    ("missing column", "provincia,anio,delito\nSan José,2023,Homicidio\n", None, "column 'n'", None),
    ("renamed column", "province,anio,delito,n\nSan José,2023,Homicidio,1\n", None, "column 'provincia'", None),
    ("duplicate key", GOOD_CSV + "San José,2023,Homicidio,3\n", None, "duplicate key", 2),
    ("negative count", "provincia,anio,delito,n\nSan José,2023,Homicidio,-5\n", None, "negative", 2),
    ("non-numeric count", "provincia,anio,delito,n\nSan José,2023,Homicidio,diez\n", None, "not a number", 2),
    ("fractional count", "provincia,anio,delito,n\nSan José,2023,Homicidio,2.5\n", None, "whole number", 2),
    ("year in the future", "provincia,anio,delito,n\nAlajuela,2023,Homicidio,1\nSan José,2031,Homicidio,1\n",
     None, "future", 3),
    ("year not a year", "provincia,anio,delito,n\nSan José,dos mil,Homicidio,1\n", None, "not a year", 2),
    ("empty file", "", None, "empty", None),
    ("blank file", "\n\n", None, "empty", None),
    ("truncated file", 'provincia,anio,delito,n\nSan José,2023,"Homicidio,1\n', None, "malformed", None),
    ("duplicate column names", "provincia,anio,anio,delito,n\nSan José,2023,2023,Homicidio,1\n", None,
     "duplicate column", None),
    ("offence code outside the vocabulary", GOOD_CSV,
     mapping(fields={**mapping()["fields"], "offense": {"column": "delito", "map": {"Homicidio": "murder_x"}}}),
     "not in the vocabulary", None),
    ("unknown contract field", GOOD_CSV, mapping(fields={**mapping()["fields"], "victims": {"column": "n"}}),
     "unknown contract fields", None),
    ("unknown mapping key", GOOD_CSV, mapping(colums={}), "unknown mapping keys", None),
    ("invalid yaml", GOOD_CSV, "source_id: [unclosed\n", "invalid YAML", None),
    ("unknown kind", GOOD_CSV, mapping(kind="crimes"), "kind must be", None),
    ("missing raw file", GOOD_CSV, mapping(file="nope.csv"), "file not found", None),
    ("rate summed", "provincia,anio,delito,r\nSan José,2023,Homicidio,1.5\nSan José,2023,Homicidio,2\n",
     mapping(combine="sum", fields={**mapping()["fields"], "count": None, "rate": {"column": "r"}}),
     "cannot add rates", None),
]


@pytest.mark.parametrize("name,data,spec,message,row", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_refused_with_file_row_and_reason(tmp_path: Path, name: str, data: bytes | str,
                                                       spec: Any, message: str, row: int | None) -> None:
    if isinstance(spec, dict) and spec["fields"].get("count", 1) is None:
        spec = {**spec, "fields": {k: v for k, v in spec["fields"].items() if v is not None}}
    with pytest.raises(PipelineError) as err:
        run(tmp_path, data, spec)
    assert message in str(err.value)
    assert err.value.file in ("t.csv", "m.yaml", str(tmp_path / "raw" / "nope.csv"))
    if row is not None:
        assert err.value.row == row


def test_unknown_unit_is_listed_not_dropped_silently(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD_CSV + "Atlantis,2023,Homicidio,7\n")
    assert result.report["rows_unmatched"] == 1
    item = result.report["unmatched"][0]
    assert item["row"] == 4 and item["value"] == "Atlantis" and "no crosswalk line" in item["reason"]
    assert set(result.rows.unit_id) == {"CR-SJ", "CR-A"}


def test_unmapped_value_is_listed(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD_CSV + "Alajuela,2022,Extorsión,7\n")
    item = result.report["unmatched"][0]
    assert item["row"] == 4 and item["column"] == "delito" and "not in the mapping" in item["reason"]


def test_records_count_unknown_units_above_them(tmp_path: Path) -> None:
    data = ("prov,canton,fecha,sexo\nSan José,Escazú,2023-05-01,M\nSan José,DESCONOCIDO,2023-06-01,F\n"
            "DESCONOCIDO,DESCONOCIDO,2023-07-01,F\nSan José,Tibás,2023-08-01,X\n")
    spec = mapping(grain="records", units=[
        {"level": 1, "column": "prov", "crosswalk": "cw.csv", "unknown": ["DESCONOCIDO"]},
        {"level": 2, "column": "canton", "parent_column": "prov", "crosswalk": "cw.csv", "unknown": ["DESCONOCIDO"]}],
        fields={"year": {"column": "fecha", "parse": "date_year"}, "offense": "homicide",
                "sex": {"column": "sexo", "map": {"M": "male", "F": "female", "X": "unknown"}}, "age_group": "total"})
    rows = run(tmp_path, data, spec).rows
    tot = rows[(rows.sex == "total") & (rows.age_group == "total")].set_index("unit_id")["count"]
    assert tot.to_dict() == {"CRI-1": 1, "CRI-2": 1, "CR-SJ": 3, "CR-A": 0, "CRI": 4}
    women = rows[(rows.sex == "female") & (rows.age_group == "total")].set_index("unit_id")["count"]
    assert women["CRI"] == 2 and women["CR-SJ"] == 1 and women["CRI-1"] == 0


def test_conflicting_crosswalk_lines_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "cw.csv"
    path.write_text(CROSSWALK + "CRI,,SAN JOSE,CR-A,conflict\n", encoding="utf-8")
    with pytest.raises(CrosswalkError, match="already maps to CR-SJ"):
        Crosswalk.load(path)


def test_failed_build_leaves_previous_data_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "processed"
    out.mkdir()
    (out / "facts.parquet").write_bytes(b"previous build")
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "bad.yaml").write_text(yaml.safe_dump(mapping(file="nope.csv")), encoding="utf-8")
    monkeypatch.setattr(geo.build, "MAPPINGS_DIR", mappings)
    units = gpd.GeoDataFrame(UNITS.assign(name_en=UNITS.name),
                             geometry=[box(0, 0, 1, 1)] * len(UNITS), crs="EPSG:4326")
    raw = tmp_path / "raw"
    raw.mkdir()
    with pytest.raises(PipelineError, match="file not found"):
        geo.build.build(raw, out, units=units)
    assert (out / "facts.parquet").read_bytes() == b"previous build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml", "mappings", "processed", "raw"] or \
        not any(p.name.startswith(".processed.tmp") for p in tmp_path.iterdir())


def test_cli_reports_failure_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = geo.build.main(["--raw", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "BUILD FAILED" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


BUILD_CASES = BAD_CASES


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the committed processed data: the 'previous build' a failed build must leave untouched."""
    old = tmp_path_factory.mktemp("previous") / "processed"
    shutil.copytree(Path(geo.build.ROOT) / "data" / "processed", old)
    return old


@pytest.mark.parametrize("name,data,spec,message,row", BUILD_CASES, ids=[c[0] for c in BUILD_CASES])
def test_failed_build_end_to_end_keeps_the_previous_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         previous_build: Path, name: str, data: bytes | str,
                                                         spec: Any, message: str, row: int | None) -> None:
    """Each bad file through `geo.build.build()`: an error naming file, row and reason, and not one byte of the
    previous processed data changed."""
    if isinstance(spec, dict) and spec["fields"].get("count", 1) is None:
        spec = {**spec, "fields": {k: v for k, v in spec["fields"].items() if v is not None}}
    if isinstance(spec, dict):  # the build uses the project's reviewed crosswalks
        spec = {**spec, "units": [{**u, "crosswalk": "level1.csv"} for u in spec["units"]]}
    spec = spec if spec is not None else {**mapping(), "units": [{"level": 1, "column": "provincia",
                                                                  "crosswalk": "level1.csv"}]}
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "t.csv").write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "bad.yaml").write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec, allow_unicode=True),
                                       encoding="utf-8")
    monkeypatch.setattr(geo.build, "MAPPINGS_DIR", mappings)
    before = {p.relative_to(previous_build): p.read_bytes() for p in previous_build.rglob("*") if p.is_file()}
    units = gpd.GeoDataFrame(UNITS.assign(name_en=UNITS.name), geometry=[box(0, 0, 1, 1)] * len(UNITS),
                             crs="EPSG:4326")
    with pytest.raises(PipelineError) as err:
        geo.build.build(raw, previous_build, units=units)
    assert message in str(err.value)
    if row is not None:
        assert err.value.row == row
    after = {p.relative_to(previous_build): p.read_bytes() for p in previous_build.rglob("*") if p.is_file()}
    assert after == before
    assert not any(p.name.startswith(".processed.") for p in previous_build.parent.iterdir())


def test_app_keeps_serving_the_previous_data_after_a_failed_build(previous_build: Path) -> None:
    """After the failed builds above, the app started on the untouched folder answers with the old figures."""
    import app as app_module
    from core import query
    from settings import Settings

    saved = list(query._DEFAULT_DIR)
    try:
        s = Settings(data_dir=previous_build, debug=False, redis_url=None, frame_ancestors="'self'",
                     cache_timeout=60, host="127.0.0.1", port=0)
        client = app_module.create_app(s).server.test_client()
        assert client.get("/healthz").status_code == 200
        csv = client.get("/download/view.csv?country=HND&level=1&year=2019&measure=count").data.decode("utf-8-sig")
        assert "HN-CR,Cortés" in csv and "hn_sepol_2019" in csv
    finally:
        query._DEFAULT_DIR[:] = saved   # other tests keep their own default data folder
    from tests.reliability.figures import record

    record("malformed_data", kinds=len(BUILD_CASES), files_tried=len(BUILD_CASES))
