"""Preload hints of the HTML page (web/preload.py): plotly.js and the GeoJSON the first map draws."""
import pytest

from core import query
from core.controller import sync
from core.view import geo_url, static_map_url
from web.preload import link_header, page_hints


def test_geo_urls_follow_the_view_of_the_url(ds):
    level2 = geo_url(ds, 2, "CRI")
    land = geo_url(ds, 0, query.REGION)
    # under a country's map: the countries at the pipeline's detail; under the region's: at region scale
    assert page_hints(ds, "country=CRI&level=2&year=2023").geo == [level2, geo_url(ds, 0, query.DETAIL)]
    assert page_hints(ds, "country=region&level=2&year=2023").geo == [geo_url(ds, 2, query.REGION), land]
    assert level2.startswith("/geo/level-2.json?country=CRI&v=")
    # the region at level 0: the areas are the land itself, asked once
    assert page_hints(ds, "level=0").geo == [land]
    # a hostile or unknown value is reconciled as the page will do it: still a real address
    assert page_hints(ds, "level=%00%ff&country=<script>").geo == [land]
    # the presenter and a trend embed draw none of the main map's GeoJSON
    assert page_hints(ds, "view=present").geo == []
    assert page_hints(ds, "country=CRI&embed=1&chart=trend").geo == []
    assert page_hints(ds, "country=CRI&level=1&embed=1&chart=map").geo[0] == geo_url(ds, 1, "CRI")   # its map


def test_link_header_shape():
    h = link_header("/", "vendor/p.js?v=1", ["/geo/level-1.json?country=CRI&v=x"])
    assert h == ("</assets/vendor/p.js?v=1>; rel=preload; as=script, "
                 "</geo/level-1.json?country=CRI&v=x>; rel=preload; as=fetch; crossorigin")
    # the static map image first: the page shows it as soon as it renders
    # the static map image first: the page shows it as soon as it renders; then on that page (the main one)
    # dash-core-components' chunks it renders
    h = link_header("/", "vendor/p.js?v=1", [], "/map.svg?level=1&v=x")
    assert h == ("</map.svg?level=1&v=x>; rel=preload; as=image, </assets/vendor/p.js?v=1>; rel=preload; as=script, "
                 "</_dash-component-suites/dash/dcc/async-dropdown.js>; rel=preload; as=script, "
                 "</_dash-component-suites/dash/dcc/async-graph.js>; rel=preload; as=script, "
                 "</_dash-component-suites/dash/dcc/async-slider.js>; rel=preload; as=script")
    assert "async-" not in link_header("/app/", "vendor/p.js?v=1", ["/geo/x"])   # no image: not the main page
    assert "</app/_dash-component-suites/dash/dcc/async-graph.js>" in link_header("/app/", "p.js", [], "/m.svg")


def test_static_map_hint_is_the_address_the_page_shows(ds):
    """The preloaded image is only used if the page asks for the very same address (render_page builds it from
    the same reconciled view)."""
    search = "country=CRI&level=1&year=2023"
    assert page_hints(ds, search).image == static_map_url(ds, sync(ds, None, "?" + search).state)
    assert page_hints(ds, search).image.startswith("/map.svg?country=CRI&level=1&")
    # hostile values are reconciled as the page does: a real view's address, nothing of the input echoed
    hostile = page_hints(ds, "level=%00%ff&country=<script>").image
    assert hostile.startswith("/map.svg?country=region&level=0&") and "<" not in hostile
    # the presenter page and embeds draw no static map
    assert page_hints(ds, "view=present").image is None
    assert page_hints(ds, "country=CRI&embed=1&chart=map").image is None
    assert page_hints(ds, "country=CRI&lang=en").lang == "en" and page_hints(ds, "lang=xx").lang == "es"


@pytest.fixture(scope="module")
def client(app_client):
    return app_client


def test_page_carries_the_hints_and_other_routes_do_not(client, ds):
    import app as app_module
    bundle = f"</assets/{app_module.plotly_bundle_address()}>; rel=preload; as=script"
    r = client.get("/?country=CRI&level=1")
    image = page_hints(ds, "country=CRI&level=1").image
    assert r.status_code == 200 and r.headers["Link"].startswith(f"<{image}>; rel=preload; as=image, {bundle}")
    assert f"<{geo_url(ds, 1, 'CRI')}>; rel=preload; as=fetch; crossorigin" in r.headers["Link"]
    # every address in the hint answers 200
    for part in r.headers["Link"].split(", "):
        assert client.get(part[1:part.index(">")]).status_code == 200
    assert client.get("/comparar/").headers["Link"] == bundle        # a Dash page without the main map
    assert "Link" not in client.get("/healthz").headers
    assert "Link" not in client.get(geo_url(ds, 1, "CRI")).headers
    for hostile in ("/?level=" + "9" * 5000, "/?country=%ff%fe", "/?view=present&slide=-1"):
        assert client.get(hostile).status_code == 200
