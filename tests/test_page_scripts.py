"""The page loads the regenerator runtime instead of @babel/polyfill (web/page_scripts.py)."""
import json
import re
from pathlib import Path

import dash
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


DBC = ('<script src="/_dash-component-suites/dash_bootstrap_components/_components/'
       'dash_bootstrap_components.v2_0_4m1.min.js"></script>')


def test_defer_dbc_names_the_bundle_instead_of_loading_it():
    out = page_scripts.defer_dbc(REACT + "\n" + DBC + "\n" + REACT)
    assert "<script src=" + DBC[len("<script src="):] not in out
    assert out.startswith(REACT + "\n" + REACT)
    block = re.search(r'<script type="application/json" id="obs-deferred-scripts">(.*?)</script>$', out)
    assert json.loads(block.group(1)) == {"dbc": "/_dash-component-suites/dash_bootstrap_components/_components/"
                                                 "dash_bootstrap_components.v2_0_4m1.min.js"}
    # none, or two (not the page this was written for): the scripts as they are
    assert page_scripts.defer_dbc(REACT) == REACT
    assert page_scripts.defer_dbc(DBC + "\n" + DBC) == DBC + "\n" + DBC


def test_page_defers_the_dbc_bundle_and_serves_it(client):
    page = client.get("/").get_data(as_text=True)
    srcs = re.findall(r'<script src="([^"]+)"', page)
    assert not [s for s in srcs if "dash_bootstrap_components" in s]
    assert any(s.startswith("/assets/23_deferred.js") for s in srcs)
    block = re.search(r'<script type="application/json" id="obs-deferred-scripts">(.*?)</script>', page)
    served = client.get(json.loads(block.group(1))["dbc"])
    assert served.status_code == 200 and b"dash_bootstrap_components" in served.get_data()


@pytest.fixture(scope="module")
def default_dir(fixture_dir):
    """The app's default data folder is the fixture's for these tests, and whatever it was afterwards."""
    from core import query

    saved = list(query._DEFAULT_DIR)
    query.set_default_data_dir(fixture_dir)
    yield fixture_dir
    query._DEFAULT_DIR[:] = saved


def _walk(node):
    yield node
    kids = getattr(node, "children", None)
    for k in kids if isinstance(kids, (list, tuple)) else [kids]:
        if hasattr(k, "to_plotly_json"):
            yield from _walk(k)


@pytest.mark.parametrize("path,search", [
    ("/", "?lang=es"), ("/", "?country=CRI&level=1&lang=en"), ("/", "?view=present"),
    ("/", "?country=CRI&level=1&year=2023&unit=CRI&embed=1&chart=map"), ("/comparar", "?compare=CRI"),
    ("/conciliar", "?country=CRI"), ("/nope", "")])
def test_no_first_layout_has_a_dbc_component(default_dir, path, search):
    """What deferring the bundle rests on: a component of dash-bootstrap-components in a page's first render
    would find its library missing. The embed dialog is one, rendered only when opened (callbacks/partb.py)."""
    from callbacks import main

    nodes = list(_walk(main.render_page(path, search)))
    found = [type(n).__name__ for n in nodes if type(n).__module__.startswith("dash_bootstrap_components")]
    assert len(nodes) > 5 and found == []


def test_the_embed_dialog_is_rendered_on_demand_with_the_views_code(default_dir):
    from callbacks import partb as cb
    from layouts import partb as L

    store = {"state": {"country": "CRI", "level": 1, "year": 2023, "unit": "CRI", "lang": "en"}}
    modal = cb.render_embed(1, store, "en")
    assert cb.render_embed(None, store, "en") is dash.no_update
    junk = cb.render_embed(1, "junk", "<script>")   # a hostile store and language: an empty code, Spanish
    assert type(modal).__module__.startswith("dash_bootstrap_components") and modal.is_open is True
    code = [c for c in _walk(modal) if getattr(c, "id", None) == L.EMBED_CODE][0].value
    assert "country=CRI&amp;level=1" in code and "chart=map" in code and "lang=en" in code
    assert [c for c in _walk(junk) if getattr(c, "id", None) == L.EMBED_CODE][0].value == ""
    titles = [c.children for c in _walk(junk) if type(c).__name__ == "ModalTitle"]
    assert titles == ["Insertar esta vista"]   # an unknown language: the Spanish dialog
