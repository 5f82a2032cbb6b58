"""The app's own plotly.js build (assets/vendor/plotly-obs.min.js, tools/plotly_bundle/): the version the Python
plotly package writes figures for, loaded by assets/00_plotly.js under the address that names its content, and
kept out of the page's own script tags (dcc.Graph loads it asynchronously)."""
import hashlib
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "assets" / "vendor" / "plotly-obs.min.js"
LOADER = ROOT / "assets" / "00_plotly.js"


def _loader_address() -> str:
    from app import plotly_bundle_address   # the one reader of assets/00_plotly.js's address
    return plotly_bundle_address()


def test_bundle_is_the_plotly_js_of_the_installed_plotly():
    head = BUNDLE.read_text(encoding="utf-8")[:300]
    m = re.match(r"/\* plotly\.js v(\d+\.\d+\.\d+) ", head)
    assert m, "the bundle has no version header (rebuild it with tools/plotly_bundle/build.sh)"
    assert m.group(1) == get_plotlyjs_version(), "rebuild the bundle for the installed plotly package"
    entry = (ROOT / "tools" / "plotly_bundle" / "package.json").read_text(encoding="utf-8")
    assert f'"plotly.js": "{m.group(1)}"' in entry


def test_bundle_carries_the_traces_the_app_draws_and_no_maplibre():
    js = BUNDLE.read_text(encoding="utf-8")
    registered = set(re.findall(r'name:"([a-z0-9]+)",basePlotModule', js))
    assert {"scatter", "bar", "choropleth"} <= registered, registered
    has_maplibre = "maplibre" in js.lower()     # a bool: pytest would print 1.4 MB on failure
    assert not has_maplibre, "MapLibre is in the bundle"
    assert BUNDLE.stat().st_size < 2_000_000     # the full bundle is 4.8 MB


def test_loader_address_names_this_bundle():
    path, _, version = _loader_address().partition("?v=")
    assert path == "vendor/plotly-obs.min.js"
    digest = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:8]
    assert version == f"{get_plotlyjs_version()}-{digest}", "run tools/plotly_bundle/build.sh (it writes the address)"


@pytest.fixture(scope="module")
def client(fixture_dir):
    import app as app_module
    from settings import Settings
    s = Settings(data_dir=fixture_dir, debug=False, redis_url=None, frame_ancestors="'self'",
                 cache_timeout=60, host="127.0.0.1", port=0)
    return app_module.create_app(s).server.test_client()


def test_page_loads_the_loader_and_serves_the_bundle(client):
    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    loader = [s for s in scripts if "/assets/00_plotly.js" in s]
    renderer = [i for i, s in enumerate(scripts) if "dash_renderer" in s]
    assert loader and renderer and scripts.index(loader[0]) < renderer[0]   # before the renderer sets the URL
    assert not any("plotly-obs" in s for s in scripts)   # not a blocking script tag: dcc.Graph loads it
    r = client.get("/assets/" + _loader_address())
    assert r.status_code == 200 and r.get_data()[:20] == BUNDLE.read_bytes()[:20]


def test_bundle_is_served_as_brotli_made_at_build_time(client):
    import brotli
    br = BUNDLE.with_name(BUNDLE.name + ".br").read_bytes()
    assert brotli.decompress(br) == BUNDLE.read_bytes()        # the sidecar is this bundle, not an older one
    address = "/assets/" + _loader_address()
    r = client.get(address, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br" and r.get_data() == br
    assert "immutable" in r.headers["Cache-Control"] and r.headers["Vary"] == "Accept-Encoding"
    r = client.get(address, headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and len(r.get_data()) > len(br)
    assert client.get(address, headers={"Accept-Encoding": "brotli-ish"}).get_data() == BUNDLE.read_bytes()


def test_bundle_carries_each_of_our_patches():
    """Every patch in tools/plotly_bundle/patches names markers (property names that survive minifying) that the
    built bundle must contain: a bundle rebuilt without the patches fails here."""
    js = BUNDLE.read_text(encoding="utf-8")
    patches = sorted((ROOT / "tools" / "plotly_bundle" / "patches").glob("*.patch"))
    assert patches
    for patch in patches:
        m = re.search(r"^Markers: (.+)$", patch.read_text(encoding="utf-8"), re.M)
        assert m, f"{patch.name} names no markers"
        for marker in m.group(1).split():
            assert marker in js, (patch.name, marker)
