"""The public API (/api/v1/) on the committed processed data: numbers compared with the Parquet files read here
independently with pandas, pagination, CSV, validation (400 naming the parameter, never a 500), CORS, and the
OpenAPI document covering every route and parameter."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import query

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "processed"


@pytest.fixture(scope="module")
def api_app():
    import app as app_module
    from settings import Settings

    saved = list(query._DEFAULT_DIR)
    s = Settings(data_dir=DATA, debug=False, redis_url=None, frame_ancestors="*", cache_timeout=60,
                 host="127.0.0.1", port=0)
    application = app_module.create_app(s)
    yield application
    query._DEFAULT_DIR[:] = saved


@pytest.fixture(scope="module")
def client(api_app):
    return api_app.server.test_client()


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    f = pd.read_parquet(DATA / "facts.parquet")
    u = pd.read_parquet(DATA / "units.parquet", columns=["unit_id", "level", "country", "name"])
    return f.merge(u, on="unit_id", how="left")


def _get(client, url: str, status: int = 200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.data[:300])
    return r


def _walk(client, url: str) -> tuple[list[dict], int]:
    """All rows of a paginated answer, following `next` links."""
    rows: list[dict] = []
    total = None
    pages = 0
    while url:
        body = _get(client, url).json
        total = body["total"] if total is None else total
        assert body["total"] == total
        rows.extend(body["data"])
        url = body["next"]
        pages += 1
        assert pages < 100
    return rows, total


# ---- facts -------------------------------------------------------------------------------------------
def test_facts_costa_rica_provinces_2023_match_parquet(client, facts):
    body = _get(client, "/api/v1/facts?country=CRI&level=1&offense=homicide&year=2023&sex=total&age=total").json
    exp = facts[(facts.country == "CRI") & (facts.level == 1) & (facts.offense == "homicide") & (facts.year == 2023)
                & (facts.sex == "total") & (facts.age_group == "total")]
    assert body["total"] == len(exp) > 0
    got = {(r["unit_id"], r["source_id"], r["month"]): (r["count"], r["rate"]) for r in body["data"]}
    want = {(u, s, None if pd.isna(m) else int(m)): (None if pd.isna(c) else float(c), None if pd.isna(r) else float(r))
            for u, s, m, c, r in zip(exp.unit_id, exp.source_id, exp.month, exp["count"], exp["rate"])}
    assert got == want
    names = dict(zip(exp.unit_id, exp.name))
    sources = pd.read_parquet(DATA / "sources.parquet").set_index("source_id")["citation"].to_dict()
    for r in body["data"]:
        assert r["unit_name"] == names[r["unit_id"]] and r["country"] == "CRI" and r["level"] == 1
        assert r["source_citation"] == sources[r["source_id"]]
        assert isinstance(r["count"], int) or r["count"] is None     # counts are whole numbers
    assert "San José" in {r["unit_name"] for r in body["data"]}


def test_facts_pagination_walks_every_row_once(client, facts):
    src = facts.source_id.value_counts().index[0]       # the biggest source (thousands of rows)
    exp = facts[facts.source_id == src]
    assert len(exp) > 2500
    rows, total = _walk(client, f"/api/v1/facts?source={src}&limit=2500")
    assert total == len(exp) == len(rows)
    keys = {(r["unit_id"], r["year"], r["month"], r["offense"], r["sex"], r["age_group"]) for r in rows}
    assert len(keys) == len(rows)
    assert sum(r["count"] or 0 for r in rows) == pytest.approx(float(exp["count"].sum()))
    first = _get(client, f"/api/v1/facts?source={src}").json
    assert first["limit"] == 1000 and first["offset"] == 0 and len(first["data"]) == 1000
    assert "offset=1000" in first["next"] and "limit=1000" in first["next"]
    last = _get(client, f"/api/v1/facts?source={src}&limit=10000&offset={len(exp) - 3}").json
    assert len(last["data"]) == 3 and last["next"] is None


def test_facts_lists_and_year_range(client, facts):
    rows, total = _walk(client, "/api/v1/facts?country=cri,GTM&offense=homicide&year_from=2015&year_to=2020"
                                "&sex=female,male&limit=5000")
    exp = facts[facts.country.isin(["CRI", "GTM"]) & (facts.offense == "homicide") & facts.year.between(2015, 2020)
                & facts.sex.isin(["female", "male"])]
    assert total == len(exp) > 0
    assert {r["country"] for r in rows} == set(exp.country)
    assert {r["year"] for r in rows} == set(int(y) for y in exp.year)
    assert sum(r["count"] or 0 for r in rows) == pytest.approx(float(exp["count"].sum()))


def test_facts_by_unit_and_age(client, facts):
    f = facts[facts.age_group != "total"]
    unit, age = f.iloc[0]["unit_id"], f.iloc[0]["age_group"]
    body = _get(client, f"/api/v1/facts?unit={unit}&age={age}&limit=10000").json
    exp = facts[(facts.unit_id == unit) & (facts.age_group == age)]
    assert body["total"] == len(exp) > 0
    assert {r["unit_id"] for r in body["data"]} == {unit} and {r["age_group"] for r in body["data"]} == {age}


def test_facts_csv(client, facts):
    r = _get(client, "/api/v1/facts?country=CRI&level=1&offense=homicide&year=2023&format=csv&limit=10000")
    assert r.mimetype == "text/csv" and "utf-8" in r.headers["Content-Type"].lower()
    text = r.data.decode("utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    exp = facts[(facts.country == "CRI") & (facts.level == 1) & (facts.offense == "homicide") & (facts.year == 2023)]
    assert len(rows) == len(exp) == int(r.headers["X-Total-Count"])
    assert list(rows[0]) == ["unit_id", "unit_name", "country", "level", "year", "month", "offense", "sex",
                             "age_group", "count", "rate", "source_id", "source_citation"]
    assert sum(float(x["count"]) for x in rows if x["count"]) == pytest.approx(float(exp["count"].sum()))
    assert all(re.fullmatch(r"[0-9]*", x["count"]) for x in rows)          # whole numbers, empty when absent
    assert "San José" in {x["unit_name"] for x in rows}
    small = _get(client, "/api/v1/facts?country=CRI&limit=5&format=csv")
    assert 'rel="next"' in small.headers["Link"] and "offset=5" in small.headers["Link"]


# ---- units, offenses, sources, coverage, version -----------------------------------------------------
def test_units_match_parquet(client):
    u = pd.read_parquet(DATA / "units.parquet", columns=["unit_id", "level", "country", "parent_id", "name",
                                                          "name_en"])
    body = _get(client, "/api/v1/units?country=HND&level=1").json
    exp = u[(u.country == "HND") & (u.level == 1)]
    assert body["total"] == len(exp) == 18
    assert {r["unit_id"]: r["name"] for r in body["data"]} == dict(zip(exp.unit_id, exp.name))
    assert all(r["parent_id"] == "HND" and "geometry" not in r for r in body["data"])
    rows, total = _walk(client, "/api/v1/units")
    assert total == len(u) == len(rows)
    assert {r["unit_id"] for r in rows if r["level"] == 0 and r["parent_id"] is None} == set(u[u.level == 0].unit_id)
    both = _get(client, "/api/v1/units?country=CRI,BLZ&level=0,1").json
    assert both["total"] == len(u[u.country.isin(["CRI", "BLZ"]) & u.level.isin([0, 1])])


def test_units_geometry(client):
    import geopandas as gpd
    from shapely.geometry import shape

    g = gpd.read_parquet(DATA / "units.parquet")
    body = _get(client, "/api/v1/units?country=BLZ&level=1&geometry=1").json
    assert body["total"] == 6
    for r in body["data"]:
        geom = shape(r["geometry"])
        assert r["geometry"]["type"] in ("Polygon", "MultiPolygon")
        ref = g.loc[g.unit_id == r["unit_id"]].geometry.iloc[0]
        assert geom.bounds == pytest.approx(ref.bounds, abs=1e-4)
    r = _get(client, "/api/v1/units?country=BLZ&level=0&geometry=1&format=csv")
    row = next(csv.DictReader(io.StringIO(r.data.decode("utf-8"))))
    assert json.loads(row["geometry"])["type"] in ("Polygon", "MultiPolygon")


def test_offenses_are_the_vocabulary(client, facts):
    vocab = pd.read_csv(ROOT / "geo" / "vocab" / "offenses.csv", dtype=str)
    body = _get(client, "/api/v1/offenses").json
    by_code = {r["code"]: r for r in body["data"]}
    assert set(vocab.code) <= set(by_code)
    for r in vocab.itertuples():
        assert by_code[r.code]["label_es"] == r.label_es and by_code[r.code]["label_en"] == r.label_en
        assert by_code[r.code]["description"] == r.description
    assert {c for c, r in by_code.items() if r["in_data"]} == set(facts.offense)


def test_sources_match_parquet(client):
    s = pd.read_parquet(DATA / "sources.parquet")
    body = _get(client, "/api/v1/sources").json
    assert body["total"] == len(s)
    got = {r["source_id"]: r for r in body["data"]}
    for r in s.itertuples():
        g = got[r.source_id]
        assert (g["publisher"], g["licence"], g["citation"], g["notes"], g["address"], g["priority"], g["kind"]) == (
            r.publisher, r.licence, r.citation, r.notes, r.address, int(r.priority), r.kind)
    pop = _get(client, "/api/v1/sources?kind=population").json
    assert {r["source_id"] for r in pop["data"]} == set(s[s.kind == "population"].source_id)


def test_coverage_and_version_are_the_build_report(client):
    report = json.loads((DATA / "build_report.json").read_text(encoding="utf-8"))
    body = _get(client, "/api/v1/coverage?country=HND&limit=10000").json
    exp = [c for c in report["coverage"] if c["country"] == "HND"]
    assert body["total"] == len(exp) > 0
    assert sorted(json.dumps(r, sort_keys=True) for r in body["data"]) == sorted(
        json.dumps({k: c.get(k) for k in body["data"][0]}, sort_keys=True) for c in exp)
    all_rows, total = _walk(client, "/api/v1/coverage")
    assert total == len(report["coverage"])
    v = _get(client, "/api/v1/version").json
    assert v["id"] == report["version"]["id"] and v["content_hash"] == report["version"]["content_hash"]
    assert v["date"] == report["version"]["date"] and isinstance(v["previous"], list)
    assert body["version"] == v["id"]
    csv_v = _get(client, "/api/v1/version?format=csv").data.decode("utf-8")
    assert report["version"]["id"] in csv_v


# ---- validation, CORS, errors ------------------------------------------------------------------------
BAD = [
    ("/api/v1/facts?foo=1", "foo"),
    ("/api/v1/facts?country=XXX", "country"),
    ("/api/v1/facts?country=CRI,", "country"),
    ("/api/v1/facts?level=3", "level"),
    ("/api/v1/facts?year=abc", "year"),
    ("/api/v1/facts?year=20233", "year"),
    ("/api/v1/facts?year=2020&year_from=2019", "year"),
    ("/api/v1/facts?year_from=2021&year_to=2019", "year_from"),
    ("/api/v1/facts?offense=../../etc/passwd", "offense"),
    ("/api/v1/facts?unit=%3Cscript%3E", "unit"),
    ("/api/v1/facts?sex=other", "sex"),
    ("/api/v1/facts?age=200", "age"),
    ("/api/v1/facts?source=nope", "source"),
    ("/api/v1/facts?limit=0", "limit"),
    ("/api/v1/facts?limit=10001", "limit"),
    ("/api/v1/facts?limit=-1", "limit"),
    ("/api/v1/facts?offset=x", "offset"),
    ("/api/v1/facts?format=xml", "format"),
    ("/api/v1/facts?country=CRI&country=GTM", "country"),
    ("/api/v1/facts?country=", "country"),
    ("/api/v1/units?geometry=2", "geometry"),
    ("/api/v1/units?offense=homicide", "offense"),
    ("/api/v1/sources?kind=other", "kind"),
    ("/api/v1/coverage?level=x", "level"),
    ("/api/v1/version?limit=5", "limit"),
    ("/api/v1/offenses?x=%00", "x"),
]


@pytest.mark.parametrize("url,param", BAD)
def test_bad_input_is_a_400_naming_the_parameter(client, url, param):
    r = _get(client, url, 400)
    assert r.mimetype == "application/json"
    assert r.json["parameter"] == param and param in r.json["error"] and r.json["status"] == 400
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_endpoint_is_a_json_404(client):
    r = _get(client, "/api/v1/crimes", 404)
    assert r.json["status"] == 404 and r.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_on_every_answer(client):
    for url in ["/api/v1/facts?limit=1", "/api/v1/units?limit=1&format=csv", "/api/v1/version",
                "/api/v1/openapi.json"]:
        assert _get(client, url).headers["Access-Control-Allow-Origin"] == "*"


NAMES = st.sampled_from(["country", "unit", "level", "offense", "year", "year_from", "year_to", "sex", "age",
                         "source", "limit", "offset", "format", "geometry", "kind", "v", "lang"])
VALUES = st.one_of(st.text(max_size=30), st.integers(-10**12, 10**12).map(str),
                   st.sampled_from(["CRI", "cri,GTM", "1", "0,2", "homicide", "2023", "total", "csv", "json", "1e3",
                                    "%", "\x00", "null", "[]", "CR-SJ", "ＣＲＩ", "9" * 50]))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(endpoint=st.sampled_from(["units", "offenses", "sources", "coverage", "facts", "version"]),
       params=st.lists(st.tuples(NAMES, VALUES), max_size=4))
def test_fuzzed_parameters_never_give_a_server_error(client, endpoint, params):
    from urllib.parse import urlencode
    r = client.get(f"/api/v1/{endpoint}?{urlencode(params)}")
    assert r.status_code in (200, 400), (params, r.status_code, r.data[:200])
    if r.status_code == 400:
        assert r.json["parameter"] and r.json["error"]


# ---- the OpenAPI document and the human page ---------------------------------------------------------
def test_openapi_documents_every_route_and_parameter(client, api_app):
    from api.openapi import DOCUMENT
    from api.routes import PARAMS

    doc = _get(client, "/api/v1/openapi.json").json
    assert doc == json.loads(json.dumps(DOCUMENT)) and doc["openapi"].startswith("3.")
    routes = {r.rule for r in api_app.server.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    data_routes = routes - {"/api/v1/", "/api/v1/openapi.json", "/api/v1/<path:rest>"}
    assert data_routes == set(doc["paths"])
    assert {p.rsplit("/", 1)[1] for p in data_routes} == set(PARAMS)
    for path, item in doc["paths"].items():
        declared = [ref["$ref"].rsplit("/", 1)[1] for ref in item["get"]["parameters"]]
        assert set(declared) == set(PARAMS[path.rsplit("/", 1)[1]]), path
        for ref in declared:
            assert doc["components"]["parameters"][ref]["name"] == ref
    refs = re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', json.dumps(doc))
    assert refs and all(name in doc["components"][kind] for kind, name in refs)


def test_api_page_lists_endpoints_parameters_and_examples_in_both_languages(client):
    from api.openapi import DOCUMENT, PARAMETERS

    r = _get(client, "/api/v1/")
    html = r.data.decode("utf-8")
    assert r.mimetype == "text/html"
    assert "En español" in html and "In English" in html and "Parámetro / Parameter" in html
    for path, item in DOCUMENT["paths"].items():
        assert f"GET {path}" in html and item["get"]["x-summary-es"] in html
        for example in item["get"]["x-examples"]:
            assert example.replace("&", "&amp;") in html
            assert _get(client, example).status_code == 200          # every example works
    for name in PARAMETERS:
        assert f"<code>{name}</code>" in html
    assert 'href="/metodologia"' in html and 'href="/api/v1/openapi.json"' in html
