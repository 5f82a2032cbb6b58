"""Preload hints for the dashboard's HTML page (a `Link` response header).

Without them the browser learns of plotly.js only when dcc.Graph mounts (after the Dash scripts ran and the layout
came back), and of the map's GeoJSON only once plotly.js has been evaluated and draws the first figure: three
downloads one after the other. On a phone's connection the bundle (~0.5 MB) and a level's GeoJSON (60-380 KB,
compressed) then take longer than the rest of the page. With the hints they start with the HTML, side by side;
the figure uses them from the HTTP cache. The view is read from the URL as the page itself will read it."""
from __future__ import annotations

from typing import NamedTuple
from urllib.parse import parse_qs

from core import query
from core.controller import sync
from core.view import geo_url, static_map_url
from core.viewstate import parse_present


class PageHints(NamedTuple):
    """What the page at `/?<search>` draws first: the GeoJSON addresses of its map (the level's areas, then the
    land of the region), the address of its map's static image (None: a page without it), and its language."""
    geo: list[str]
    image: str | None
    lang: str


def page_hints(ds: query.Dataset, search: str) -> PageHints:
    """The page's first view read from the URL once, as the page itself will read it (hostile values fall back).
    The presenter page draws none of the main map's GeoJSON and no image; an embed has no image, a trend embed
    no map."""
    args = parse_qs(search or "")
    present = parse_present(search or "")[0].present
    embed = args.get("embed") == ["1"]
    state = sync(ds, None, "?" + search if search else "").state
    if present or (embed and args.get("chart") == ["trend"]):
        geo: list[str] = []
    else:
        scope = query.geo_scope(state.level, state.country)
        geo = [geo_url(ds, state.level, scope)]
        land = geo_url(ds, 0, query.land_scope(scope))
        geo += [land] if land not in geo else []
    image = None if present or embed else static_map_url(ds, state)
    return PageHints(geo, image, state.lang)


# dash-core-components loads the code of some components only when the page first renders one (webpack chunks);
# Dash then waits for it before it asks for the view's answer. The main page renders these three (its dropdowns,
# the map and the trend, the year slider): fetched with the HTML, they are in the cache when asked for (A/B, 2 x
# 8-10 cold level-2 navigations: the interactive map ~30 ms sooner, the image ~60 ms; tests/e2e check that the
# page asks for exactly these).
DCC_ASYNC_CHUNKS = ("dropdown", "graph", "slider")


def link_header(prefix: str, bundle: str, geo: list[str], image: str | None = None) -> str:
    """`Link` value: the static map image first (the page shows it as soon as it renders), plotly.js as a
    script, on the main page (the one with the image) dash-core-components' chunks it renders, the GeoJSON as
    fetches (`crossorigin`: plotly asks for them with a same-origin XHR, whose mode a preload must match to be
    used)."""
    links = [f"<{image}>; rel=preload; as=image"] if image else []
    links += [f"<{prefix}assets/{bundle}>; rel=preload; as=script"]
    if image:
        links += [f"<{prefix}_dash-component-suites/dash/dcc/async-{c}.js>; rel=preload; as=script"
                  for c in DCC_ASYNC_CHUNKS]
    links += [f"<{u}>; rel=preload; as=fetch; crossorigin" for u in geo]
    return ", ".join(links)
