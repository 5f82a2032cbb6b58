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


def test_page_leaves_out_dash_table_which_no_page_uses(client):
    """dash_table's main bundle is not in the page (round 7); nothing else of Dash's is dropped."""
    page = client.get("/").get_data(as_text=True)
    srcs = re.findall(r'<script src="([^"]+)"', page)
    assert not [s for s in srcs if "dash_table" in s]
    for needed in ("dash_renderer", "dash_core_components", "dash_html_components", "react-dom@18"):
        assert any(needed in s for s in srcs), needed
    tag = '<script src="/_dash-component-suites/dash/dash_table/bundle.v7_4_1m1.js"></script>'
    assert page_scripts.drop_dash_table(REACT + "\n" + tag + "\n" + REACT) == REACT + "\n" + REACT
    assert page_scripts.drop_dash_table(REACT) == REACT


def test_no_module_of_the_app_uses_dash_table():
    """What dropping the bundle rests on: a DataTable anywhere in the app would render nothing. If one is wanted,
    remove `drop_dash_table` from web/page_scripts.install."""
    sources = [ROOT / "app.py", *ROOT.glob("api/**/*.py"), *ROOT.glob("callbacks/**/*.py"),
               *ROOT.glob("layouts/**/*.py"), *ROOT.glob("core/**/*.py"), *ROOT.glob("web/**/*.py"),
               *ROOT.glob("assets/*.js")]
    sources = [p for p in sources if p.name != "page_scripts.py"]   # it names what it leaves out
    assert len(sources) > 20
    users = [p.name for p in sources if re.search(r"\bDataTable\b|import dash_table|dash\.dash_table|from dash import[^\n]*"
                                                  r"\bdash_table\b", p.read_text(encoding="utf-8"))]
    assert users == []


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
