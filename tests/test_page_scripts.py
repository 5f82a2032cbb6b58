"""The page loads the regenerator runtime instead of @babel/polyfill (web/page_scripts.py)."""
import re
from pathlib import Path

import pytest

from settings import Settings
from web import page_scripts

ROOT = Path(__file__).resolve().parent.parent
POLYFILL = '<script src="/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m1.12.1.min.js"></script>'
REACT = '<script src="/_dash-component-suites/dash/deps/react@18.v4_4_1m1.3.1.min.js"></script>'


@pytest.fixture(scope="module")
def client(fixture_dir):
    import app as app_module
    s = Settings(data_dir=fixture_dir, debug=False, redis_url=None, frame_ancestors="'self'", cache_timeout=60,
                 host="127.0.0.1", port=0)
    return app_module.create_app(s).server.test_client()


def test_swap_replaces_only_the_polyfill_tag():
    html = "\n".join([POLYFILL, REACT])
    out = page_scripts.swap_polyfill(html, "/assets/vendor/rr.js")
    assert out == '<script src="/assets/vendor/rr.js"></script>\n' + REACT


@pytest.mark.parametrize("html", [REACT, POLYFILL + "\n" + POLYFILL + "\n" + REACT])
def test_swap_leaves_an_unexpected_page_as_it_is(html, caplog, monkeypatch):
    monkeypatch.setattr(page_scripts, "_WARNED", [])
    assert page_scripts.swap_polyfill(html, "/assets/vendor/rr.js") == html
    assert page_scripts.swap_polyfill(html, "/assets/vendor/rr.js") == html
    assert caplog.text.count("polyfill tag not found") == 1   # once, not on every page


def test_page_has_no_polyfill_and_serves_the_runtime_first(client):
    page = client.get("/").get_data(as_text=True)
    srcs = re.findall(r'<script src="([^"]+)"', page)
    assert not [s for s in srcs if "polyfill" in s]
    assert srcs[0].startswith("/assets/vendor/regenerator-runtime.min.js")
    assert any("react@18" in s for s in srcs[1:])
    served = client.get(srcs[0])
    assert served.status_code == 200
    body = served.get_data(as_text=True)
    assert "regeneratorRuntime=runtime" in body
    assert body == (ROOT / "assets" / "vendor" / "regenerator-runtime.min.js").read_text(encoding="utf-8")


def test_the_dash_bundles_still_need_only_the_regenerator_global():
    """What the swap rests on: the Dash bundles the page loads use `regeneratorRuntime` (so it must be there),
    and no core-js global the polyfill would have set (`_babelPolyfill`, `core`)."""
    import dash
    base = Path(dash.__file__).parent
    bundles = [base / "dash-renderer/build/dash_renderer.min.js", base / "dcc/dash_core_components.js",
               base / "dash_table/bundle.js"]
    texts = [b.read_text(encoding="utf-8") for b in bundles]
    assert all("regeneratorRuntime" in t for t in texts)
    assert not any("_babelPolyfill" in t for t in texts)
