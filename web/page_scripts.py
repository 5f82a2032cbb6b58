"""The page's scripts without @babel/polyfill (issue 6, the cold draw).

Dash puts @babel/polyfill 7.12.1 first in every page: core-js 2 (the ES2015-2017 library for browsers that lack
it) and regenerator-runtime. On this machine's Chromium it took ~0.15 s to evaluate before anything else could
run, and core-js replaces native methods with its own (its String.prototype.trim showed in the profile of the
first map draw). Every browser Dash 4 supports has what core-js adds. What the Dash bundles do need is the
global `regeneratorRuntime` (their lazy-loading helper in dash-renderer, dcc and dash_table is compiled to it),
so the polyfill's script tag is replaced by the regenerator runtime alone (assets/vendor, 7 KB, made by
tools/regenerator/build.sh).

`install(app)` does it only when the page has exactly one polyfill tag of the form checked (Dash 4.4.1); else the
page keeps Dash's scripts as they are and a warning says so (once per process: Dash makes the tags per page).

It also leaves out dash_table's main bundle (10 KB brotli, ~15 ms to evaluate before Dash starts, round 7 of
docs/PERFORMANCE.md): Dash puts it in every page, and no page of this app has a DataTable (the ranking is a plain
table, assets/21_ranking.js). `tests/test_page_scripts.py` fails if a module of the app starts using dash_table:
then drop `drop_dash_table` from `install`.

And it takes dash-bootstrap-components' bundle (66 KB compressed) out of the page's load (`defer_dbc`, round 9):
its one component, the embed dialog, is rendered when it is first opened, by then the bundle has been loaded
after the first map (assets/23_deferred.js).
"""
from __future__ import annotations

import json
import logging
import re

import dash

log = logging.getLogger(__name__)

REGENERATOR = "vendor/regenerator-runtime.min.js?v=0.13.11"   # relative to the assets URL
_WARNED: list[bool] = []   # the warning is given once per process
POLYFILL_TAG = re.compile(r'<script src="[^"]*/_dash-component-suites/dash/deps/polyfill@7\.[^"]*"></script>')
DBC_TAG = re.compile(r'<script src="([^"]*/_dash-component-suites/dash_bootstrap_components/[^"]*)"></script>\n?')
DEFERRED_ID = "obs-deferred-scripts"   # the JSON block assets/23_deferred.js reads the addresses from
DASH_TABLE_TAG = re.compile(r'<script src="[^"]*/_dash-component-suites/dash/dash_table/bundle\.[^"]*"></script>\n?')


def swap_polyfill(scripts_html: str, regenerator_url: str) -> str:
    """The page's script tags with the babel polyfill's tag replaced by the regenerator runtime's; unchanged
    (and a warning) unless there is exactly one polyfill tag."""
    found = POLYFILL_TAG.findall(scripts_html)
    if len(found) != 1:
        if not _WARNED:
            _WARNED.append(True)
            log.warning("babel polyfill tag not found as expected (%d matches): the page keeps Dash's scripts as "
                        "they are", len(found))
        return scripts_html
    return scripts_html.replace(found[0], f'<script src="{regenerator_url}"></script>', 1)


def drop_dash_table(scripts_html: str) -> str:
    """The page's script tags without dash_table's main bundle (no page of the app has a DataTable)."""
    return DASH_TABLE_TAG.sub("", scripts_html, count=1)


def defer_dbc(scripts_html: str) -> str:
    """The page's script tags with dash-bootstrap-components' bundle taken out of the load and named in a JSON
    block instead (not executed, so no CSP hash), for assets/23_deferred.js to load after the first map is drawn
    or when a component of it is first wanted. Unchanged unless there is exactly one such tag.

    Why (round 9 of docs/PERFORMANCE.md): the bundle is 66 KB compressed, the largest script after plotly.js, for
    one component, the "Insertar / Embed" dialog, which is rendered only when it is opened
    (callbacks/partb.py). A component of the library in a page's first render would find it missing:
    `tests/test_page_scripts.py` checks that no page's first layout has one."""
    found = DBC_TAG.findall(scripts_html)
    if len(found) != 1:
        return scripts_html
    block = json.dumps({"dbc": found[0]}).replace("</", "<\\/")
    return (DBC_TAG.sub("", scripts_html, count=1)
            + f'\n<script type="application/json" id="{DEFERRED_ID}">{block}</script>')


def install(app: dash.Dash) -> None:
    """Serve the page's scripts through `swap_polyfill`, `drop_dash_table` and `defer_dbc` (the instance's own
    `_generate_scripts_html`)."""
    original = app._generate_scripts_html
    url = app.get_asset_url(REGENERATOR)

    def scripts_html() -> str:
        return defer_dbc(drop_dash_table(swap_polyfill(original(), url)))

    app._generate_scripts_html = scripts_html   # type: ignore[method-assign]
