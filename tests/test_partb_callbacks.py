"""Issue 5 part B callbacks called as functions (no server): routes, the compare page, main-view links, embed code."""
import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from core import figures, query
from tests.fixtures import UNODC_RATE


@pytest.fixture(scope="module")
def cb(fixture_dir):
    query.set_default_data_dir(fixture_dir)
    from callbacks import partb
    return partb


def _trigger(prop_id):
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": None}]))


def _find(component, pred):
    if pred(component):
        return component
    kids = getattr(component, "children", None)
    for k in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
        if hasattr(k, "to_plotly_json"):
            hit = _find(k, pred)
            if hit is not None:
                return hit
    return None


def test_routes(cb):
    ds = query.get_dataset()
    assert cb.route(ds, "/", "?country=CRI") is None
    cmp_page = cb.route(ds, "/comparar", "?compare=CRI,XX")
    dd = _find(cmp_page, lambda c: getattr(c, "id", None) == "cmp-units")
    assert dd.value == ["CRI"] and dd.multi is True and dd.searchable is True
    rec = cb.route(ds, "/conciliar/", "?country=CRI&lang=en")
    assert _find(rec, lambda c: getattr(c, "className", "") == "obs-rec-case") is not None
    emb = cb.route(ds, "/", "?country=CRI&level=1&year=2023&unit=CRI&embed=1&chart=map")
    g = _find(emb, lambda c: getattr(c, "id", None) == "embed-map")
    assert g.figure["data"][figures.TRACE["data"]]["locations"] == ["CR-A", "CR-SJ"]   # by id
    link = _find(emb, lambda c: getattr(c, "id", None) == "embed-full-link")
    assert link.href.startswith("/?country=CRI&level=1") and "embed" not in link.href
    assert _find(emb, lambda c: getattr(c, "id", None) == "ctl-country") is None     # no filters
    trend = cb.route(ds, "/", "?country=CRI&unit=CRI&level=1&year=2023&embed=1&chart=trend")
    assert _find(trend, lambda c: getattr(c, "id", None) == "embed-trend") is not None


def test_compare_from_url_and_controls(cb):
    _trigger("cmp-url.search")
    out = cb.update_compare("?compare=SLV,bogus&base=2019", None, None, None, None)
    url, fig, notes, table, sources, opts, value, base_opts, base, back, csv_href = out
    assert url == "?compare=SLV&base=2019&offense=homicide&measure=rate&lang=es"
    assert csv_href == "/download/compare.csv" + url      # the CSV of the places on screen
    assert value == ["SLV"] and base == 2019
    assert fig["data"][0]["y"][-1] == pytest.approx(UNODC_RATE["SLV"][2023] / UNODC_RATE["SLV"][2019] * 100, abs=1e-3)
    assert "bogus" in notes[0].children
    assert back.startswith("/?country=SLV&level=0")
    _trigger("cmp-units.value")
    out = cb.update_compare(url, ["SLV", "GTM"], "homicide", "rate", "none")
    assert out[0] == "?compare=SLV,GTM&offense=homicide&measure=rate&lang=es"
    assert len(out[1]["data"]) == 2 and out[8] == "none"


def test_nav_and_embed_code(cb):
    store = {"state": {"country": "CRI", "level": 1, "offense": "homicide", "year": 2023, "sex": "total",
                       "age": "total", "measure": "rate", "unit": "CR-SJ", "lang": "es", "pool": 1}}
    cmp_href, rec_href = cb.update_nav(store)
    assert cmp_href == "/comparar?compare=CR-SJ&offense=homicide&measure=rate&lang=es"
    assert rec_href == "/conciliar?country=CRI&lang=es"
    assert cb.update_nav(None) == (no_update, no_update)
    # from the region's view: the observatory's countries the data has (the fixture: four of the six)
    region = {"state": dict(store["state"], country="region", level=0, unit=None)}
    assert cb.update_nav(region)[0] == "/comparar?compare=CRI,SLV,GTM,HND&offense=homicide&measure=rate&lang=es"
    code, src = cb.update_embed_code(store, "map")
    assert "embed=1&chart=map" in src and "unit=CR-SJ" in src and code.startswith("<iframe")
    # the dialog is rendered when first opened (callbacks/partb.render_embed), open, with the view's code
    modal = cb.render_embed(1, store, "es")
    assert modal.is_open is True and cb.render_embed(None, store, "es") is no_update
