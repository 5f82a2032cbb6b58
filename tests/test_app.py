"""Flask routes of the app: health, GeoJSON, CSV download, security headers; bad input never gives a 500."""
import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settings import Settings, clean_frame_ancestors, load_settings


@pytest.fixture(scope="module")
def client(fixture_dir):
    import app as app_module
    s = Settings(data_dir=fixture_dir, debug=False, redis_url=None, frame_ancestors="'self' https://example.org",
                 cache_timeout=60, host="127.0.0.1", port=0)
    return app_module.create_app(s).server.test_client()


def test_settings_defaults():
    s = load_settings({})
    assert s.debug is False and s.redis_url is None and s.frame_ancestors == "*"
    assert s.data_dir.name == "processed"
    assert load_settings({"OBS_DEBUG": "1"}).debug is True
    assert clean_frame_ancestors("'self'; script-src *") == "'self'"


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json["status"] == "ok"


def test_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://example.org" in csp and "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_every_page_has_the_no_data_hatching_the_maps_css_asks_for(client):
    """The maps' grey areas are hatched (DESIGN.md): assets/02_app.css fills the paths plotly.js gives the no-data
    grey with a pattern that must be in the page, whatever page the map is on."""
    import re
    from pathlib import Path
    from xml.etree import ElementTree as ET

    from core.figures import NO_DATA_COLOR, NODATA_PATTERN_ID, nodata_css, rgb
    css = (Path(__file__).resolve().parents[1] / "assets" / "02_app.css").read_text(encoding="utf-8")
    assert nodata_css() in css
    rule = re.search(r'\.choroplethlayer path\[fill="([^"]+)"\]\s*\{\s*fill:\s*url\(#([\w-]+)\) ([^;]+);', css)
    assert rule and rule.groups() == (rgb(NO_DATA_COLOR), NODATA_PATTERN_ID, rgb(NO_DATA_COLOR))
    assert rgb(NO_DATA_COLOR) == "rgb(200, 200, 200)" and NODATA_PATTERN_ID == "obs-nodata"
    for path in ("/", "/?country=CRI&level=2&lang=en", "/?view=present", "/?embed=1&chart=map"):
        page = client.get(path).get_data(as_text=True)
        svgs = re.findall(r'<svg class="obs-defs".*?</svg>', page, flags=re.S)
        assert len(svgs) == 1, path
        pattern = ET.fromstring(svgs[0]).find("defs/pattern")
        assert pattern.get("id") == NODATA_PATTERN_ID and pattern.find("rect").get("fill") == NO_DATA_COLOR
        assert page.index(svgs[0]) < page.index('id="react-entry-point"')


def test_geojson_address_names_the_bytes_served_there(client, fixture_dir):
    """A GeoJSON's address (view.geo_url) carries the digest of what is served there (its ETag): browsers keep it
    a day by address, and a change of the data or of the format (the countries' English names) is a new one."""
    from core import query, view
    ds = query.get_dataset(fixture_dir)
    for level, scope in ((0, query.REGION), (1, "CRI"), (0, query.DETAIL)):
        address = view.geo_url(ds, level, scope)
        r = client.get(address)
        assert r.status_code == 200 and address.endswith("&v=" + r.headers["ETag"].strip('"')), address
    assert view.geo_url(ds, 1, "CRI") != view.geo_url(ds, 1, query.REGION)


def test_geojson_route(client):
    r = client.get("/geo/level-1.json?country=CRI", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert "max-age" in r.headers["Cache-Control"]
    plain = client.get("/geo/level-1.json?country=cri")
    ids = {f["id"] for f in json.loads(plain.data)["features"]}
    assert ids == {"CR-SJ", "CR-A"}
    etag = plain.headers["ETag"]
    assert client.get("/geo/level-1.json?country=CRI", headers={"If-None-Match": etag}).status_code == 304
    for bad in ["/geo/level-7.json", "/geo/level-1.json?country=../../etc", "/geo/level-1.json?country=%00",
                "/geo/level-1.json?country=detail"]:
        assert client.get(bad).status_code == 404
    # the countries at the pipeline's detail (the land under a country's map), the same features as the region's
    detail = client.get("/geo/level-0.json?country=detail")
    region = client.get("/geo/level-0.json?country=region")
    assert detail.status_code == 200 and region.status_code == 200
    assert [f["id"] for f in json.loads(detail.data)["features"]] == [f["id"] for f in json.loads(region.data)["features"]]


def test_geojson_as_brotli_to_browsers_that_accept_it(client):
    import brotli
    plain = client.get("/geo/level-1.json?country=CRI", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    r = client.get("/geo/level-1.json?country=CRI", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br" and r.headers["Vary"] == "Accept-Encoding"
    assert brotli.decompress(r.data) == plain.data and r.headers["ETag"] == plain.headers["ETag"]
    again = client.get("/geo/level-1.json?country=CRI", headers={"Accept-Encoding": "br"})
    assert again.data == r.data
    for header in ("brotli-ish", "gzip;q=1, xbr"):   # a token, not a substring
        assert client.get("/geo/level-1.json?country=CRI",
                          headers={"Accept-Encoding": header}).headers.get("Content-Encoding") != "br"


def test_download_route(client):
    r = client.get("/download/view.csv?country=CRI&level=1&year=2023&unit=CRI")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("unit_id,name,country,level,value")
    assert "CR-SJ,San José,CRI,1,18.7500" in text


def test_trend_download_route(client):
    r = client.get("/download/trend.csv?country=CRI&level=1&year=2023&unit=CR-SJ&lang=en")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="observatorio_tendencia_CRI_' in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(["series_id", "series", "year", "value", "measure", "source",
                                             "source_citation", "offense", "sex", "age_group", "data_version"])
    # San José 2023: 300 homicides (OIJ) / 1,600,000 people (INEC) x 100,000 = 18.75
    assert "\r\nCR-SJ,San José,2023,18.7500,rate,cr_oij," in text
    r = client.get("/download/trend.csv?year=" + quote("<script>") + "&unit=../../etc&country=x")
    assert r.status_code == 200 and "<script>" not in r.data.decode("utf-8-sig")


def test_compare_download_route(client):
    r = client.get("/download/compare.csv?compare=SLV,GTM&base=2019&offense=homicide")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="observatorio_comparar_SLV_GTM_homicide_rate_base2019.csv"' in r.headers["Content-Disposition"]
    assert "\r\nSLV,El Salvador (país),2019,38.0000,100.0000,2019,rate,unodc," in r.data.decode("utf-8-sig")
    r = client.get("/download/compare.csv?compare=" + quote("<b>x</b>,../../etc") + "&base=-1")
    assert r.status_code == 200 and "<b>" not in r.data.decode("utf-8-sig")
    assert client.get("/download/other.csv").mimetype != "text/csv"   # not a download (Dash's page for any path)


def test_download_hostile_values_fall_back(client):
    r = client.get("/download/view.csv?year=" + quote("<script>") + "&level=99&country=x&country=y")
    assert r.status_code == 200
    assert "<script>" not in r.data.decode("utf-8-sig")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_routes_never_500(client, raw):
    for path in ("/download/view.csv?", "/download/trend.csv?", "/download/compare.csv?",
                 "/geo/level-0.json?country="):
        r = client.get(path + quote(raw, safe="=&"))
        assert r.status_code in (200, 404)


def test_a_fresh_worker_serves_the_page_scripts_to_concurrent_requests(fixture_dir):
    """Dash registers the files it may serve in `_setup_server`, run by the first request of each process; it
    marks itself done *before* registering, so a second thread's request in the meantime (the page's scripts,
    asked in parallel by the browser) skipped it and got a 404: a blank page (seen in the CSP browser test).
    create_app now runs it before serving. Here a request arrives while the first one is still setting up."""
    import re

    import app as app_module
    s = Settings(data_dir=fixture_dir, debug=False, redis_url=None, frame_ancestors="'self'",
                 cache_timeout=60, host="127.0.0.1", port=0)
    page = app_module.create_app(s).server.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', page)
    assert len(scripts) >= 5
    fresh = app_module.create_app(s)
    fresh._got_first_request["setup_server"] = True     # another thread's first request has begun the set-up
    client = fresh.server.test_client()
    for src in scripts:
        r = client.get(src)
        assert r.status_code == 200 and "javascript" in r.headers["Content-Type"], src
