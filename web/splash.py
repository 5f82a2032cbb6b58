"""A first screen in the page's HTML itself: the view's map (the server's image, core/static_map.py) and the
title, shown while the page's scripts are still arriving (issue 6: phones and slow connections).

On a phone's link (~1.6 Mbit/s) the Dash scripts and plotly.js take ~4-5 s to arrive; until Dash renders, the page
was Dash's "Loading..." text. The HTML now carries, in that place, the title and a line saying what is loading,
faded in after 1 s by CSS (assets/02_app.css), and a small inline script that adds an `<img>` of the view's map
after 1 s (the same address the page preloads and shows later, so it is fetched once) if the screen is still
there: on a desktop Dash replaces it before (no flash, no work), on a slow link it is the first thing the user
sees. Dash's first render replaces it, as it replaced "Loading...".

`install(app, image_for)` does it only when the page has Dash's loading element as checked (Dash 4.4.1); else the
page is left as Dash makes it and a warning says so (once per process).
"""
from __future__ import annotations

import html
import logging
from typing import Callable

import dash

log = logging.getLogger(__name__)

LOADING = '<div class="_dash-loading">\n        Loading...\n    </div>'   # in Dash 4.4.1's app entry
_WARNED: list[bool] = []


# Puts the map's image into the first screen after 1 s, if Dash has not replaced the screen by then. An <img> in the
# HTML from the start made the browser parse the SVG while the page's scripts were being evaluated, even unseen:
# A/B on loopback, DOMContentLoaded +40 ms and the interactive map +75 ms. Allowed by its hash in the page's CSP.
SCRIPT = ("setTimeout(function(){var s=document.getElementById('obs-splash');if(!s){return;}"
          "var i=document.createElement('img');i.className='obs-splash-map';i.alt='';"
          "i.src=s.getAttribute('data-map');s.insertBefore(i,s.lastChild);},1000);")


def csp_hash() -> str:
    """The CSP source that allows SCRIPT inline."""
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii") + "'"


def splash_html(title: str, image_url: str, note: str, lang: str) -> str:
    """The first screen: title, a note, and (added by SCRIPT after 1 s) the map's image (decorative: the title
    says what it is)."""
    e = html.escape
    return (f'<div id="obs-splash" class="obs-splash" lang="{e(lang)}" data-map="{e(image_url)}">'
            f'<div class="obs-splash-title">{e(title)}</div>'
            f'<div class="obs-splash-note" role="status">{e(note)}</div></div><script>{SCRIPT}</script>')


def with_splash(app_entry: str, splash: str | None) -> str:
    """Dash's app entry with its loading element replaced by `splash` (None: unchanged)."""
    if splash is None:
        return app_entry
    if app_entry.count(LOADING) != 1:
        if not _WARNED:
            _WARNED.append(True)
            log.warning("Dash's loading element not found as expected: the page has no first screen")
        return app_entry
    return app_entry.replace(LOADING, splash, 1)


def install(app: dash.Dash, splash_for_request: Callable[[], str | None]) -> None:
    """Every page Dash serves gets `splash_for_request()` (None: Dash's own loading text) in its app entry."""
    original = app.interpolate_index

    def interpolate_index(**kwargs):
        try:
            splash = splash_for_request()
        except Exception as exc:   # a first screen is never worth an error page
            log.warning("no first screen: %s", exc)
            splash = None
        kwargs["app_entry"] = with_splash(kwargs.get("app_entry", ""), splash)
        return original(**kwargs)

    app.interpolate_index = interpolate_index   # type: ignore[method-assign]
