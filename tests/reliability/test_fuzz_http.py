"""Fuzzed HTTP input (hypothesis, Flask test client): the page, the view-state parser, the CSV download, the
static map image, the GeoJSON route and arbitrary paths. Never a 500; a hostile value falls back to the default with a note or gets a 4xx
with a message; nothing generated is reflected unescaped."""
from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from core import query
from core.controller import sync
from core.viewstate import LANGS, LEVELS, MEASURES, PARAMS, REGION, SEXES, parse
from tests.reliability.checks import assert_no_raw_markup
from tests.reliability.figures import fuzz_count
from tests.reliability.strategies import HOSTILE, encode, fuzz, pairs, param_value, value
from tests.reliability.strategies import query as query_strings


def _valid_state(ds, state) -> None:
    cat = query.catalog(ds)
    assert state.country == REGION or state.country in cat.countries
    assert state.level in LEVELS and state.sex in SEXES and state.measure in MEASURES and state.lang in LANGS
    assert state.offense in cat.offenses and (state.year is None or state.year in cat.years)
    assert state.age == "total" or state.age in cat.ages
    assert state.unit is None or state.unit in cat.units


def _check_notes(items, state, notes) -> None:
    """A parameter given more than once, or given a value that was not kept, has a note (or the whole query
    has one: too long or too many fields)."""
    noted = {n.param for n in notes}
    if "query" in noted:
        return
    seen: dict[str, list[str]] = {}
    for k, v in items:
        seen.setdefault(k, []).append(v)
    for param in PARAMS:
        vals = seen.get(param, [])
        if len(vals) > 1:
            assert param in noted, (param, vals, notes)
        elif len(vals) == 1 and vals[0].strip() and str(getattr(state, param)).lower() != vals[0].strip().lower():
            # replaced: an invalid value has a note (a valid unit may move to its ancestor at the map level and
            # decides the country)
            assert param in noted or param in ("unit", "country"), (param, vals, notes)
    for n in notes:   # the note shows at most a short, plain-text excerpt
        assert len(n.value) <= 40


@fuzz(2500)
@given(pairs, st.booleans())
def test_view_state_parser(ds, items, raw) -> None:
    """Every URL parameter through the parser: a valid state, and a note for every value not kept."""
    fuzz_count("view-state parser")
    qs = encode(items, raw)
    state, notes = parse(qs, query.catalog(ds))
    if not raw:
        _check_notes(items, state, notes)


@fuzz(300)
@given(query_strings)
def test_controller_page_load(ds, qs) -> None:
    """The whole page-load path (parse, reconcile, options): a valid state with data choices, never raises."""
    fuzz_count("view-state controller")
    res = sync(ds, None, qs)
    _valid_state(ds, res.state)
    assert res.search is None and set(res.options) >= {"country", "level", "offense", "year"}


@fuzz(800)
@given(query_strings)
def test_page(client, qs) -> None:
    """The page for any URL: 200, the Dash shell, nothing of the query in it."""
    fuzz_count("page /?")
    r = client.get("/?" + qs)
    assert r.status_code == 200
    body = r.data.decode("utf-8")
    assert "_dash-renderer" in body or "dash-renderer" in body
    assert_no_raw_markup(body, HOSTILE)


def _download(client, path: str, header: str, qs: str) -> None:
    fuzz_count(path)
    r = client.get(path + "?" + qs)
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "text/csv"
    text = r.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith(header)
    assert_no_raw_markup(text, HOSTILE)
    disp = r.headers["Content-Disposition"]
    assert disp.startswith('attachment; filename="') and "\n" not in disp and "<" not in disp
    assert "/" not in disp.split("filename=")[1] and ".." not in disp


@fuzz(600)
@given(query_strings)
def test_download_csv(client, qs) -> None:
    _download(client, "/download/view.csv", "unit_id,name,country,level,value", qs)


@fuzz(200)
@given(query_strings)
def test_download_trend_csv(client, qs) -> None:
    _download(client, "/download/trend.csv", "series_id,series,year,value", qs)


@fuzz(200)
@given(query_strings)
def test_download_compare_csv(client, qs) -> None:
    _download(client, "/download/compare.csv", "unit_id,name,year,value,index", qs)


@fuzz(300)
@given(query_strings)
def test_static_map_image(client, qs) -> None:
    """/map.svg with any query string: the map of the view the page would show for it, well-formed SVG, nothing
    generated echoed."""
    import xml.etree.ElementTree as ET

    fuzz_count("/map.svg")
    r = client.get("/map.svg?" + qs)
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "image/svg+xml"
    text = r.data.decode("utf-8")
    assert ET.fromstring(text).tag == "{http://www.w3.org/2000/svg}svg"
    assert_no_raw_markup(text, HOSTILE)


@fuzz(2000)
@given(st.one_of(st.sampled_from(["0", "1", "2", "3", "-1", "01", "99999999999999999999", "1.5", "x", "%2e%2e"]),
                 value.map(lambda v: quote(v, safe=""))),
       st.lists(st.tuples(st.sampled_from(["country", "v", "COUNTRY", "level"]), param_value("country")), max_size=4),
       st.booleans())
def test_geojson(client, level, items, gzip) -> None:
    fuzz_count("/geo/level-N.json")
    qs = "&".join(f"{k}={quote(v, safe='')}" for k, v in items)
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    r = client.get(f"/geo/level-{level}.json?{qs}", headers=headers)
    assert r.status_code < 500, r.status_code
    if r.status_code == 200 and r.mimetype != "text/html":   # a path that is no level: Dash's index page
        assert r.mimetype == "application/geo+json"
        if not gzip:
            doc = json.loads(r.data)
            assert doc["type"] == "FeatureCollection"
    else:
        body = r.data.decode("utf-8", errors="replace")
        assert_no_raw_markup(body, HOSTILE)
        if r.mimetype == "application/json":
            assert "error" in json.loads(r.data)


PATH_PARTS = ["..", "%2e%2e", "%252e%252e", "..%2f", "..;", "etc", "passwd", "data", "processed", "units.parquet",
              "app.py", "settings.py", ".git", "config", "assets", "_dash-component-suites", "dash", "geo",
              "download", "healthz", "%00", "~", "\\", "README.md", "..\\..", "_dash-layout", "_dash-dependencies"]


@fuzz(500)
@given(st.lists(st.one_of(st.sampled_from(PATH_PARTS), value.map(lambda v: quote(v, safe=""))), min_size=1,
                max_size=6), st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]))
def test_arbitrary_paths(client, parts, method) -> None:
    """Any path and method: no 500, never a file from outside the assets and packages."""
    fuzz_count("other paths")
    path = "/" + "/".join(parts).lstrip("/")   # "//host" would be a URL authority in the test client
    r = client.open(path, method=method)
    assert r.status_code < 500, (path, r.status_code)
    body = r.data[:200000]
    assert b"root:x:0:0" not in body and b"[extensions]" not in body
    assert b"SECRET" not in body and b"def create_app" not in body and b"PAR1" not in body[:4]
