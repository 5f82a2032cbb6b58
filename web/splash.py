"""A first screen in the page's HTML itself: the view's map (the server's image, core/static_map.py) and the
title, shown while the page's scripts are still arriving (issue 6: phones and slow connections).

On a phone's link (~1.6 Mbit/s) the Dash scripts and plotly.js take ~4-5 s to arrive; until Dash renders, the page
was Dash's "Loading..." text. The HTML now carries, in that place, the title and an `<img>` of the view's map (the
same address the page preloads and shows later, so it is fetched once), faded in after 1 s by CSS
(assets/02_app.css): on a desktop Dash replaces it before it appears (no flash), on a slow link it is the first
thing the user sees. Dash's first render replaces it, as it replaced "Loading...".

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


def splash_html(title: str, image_url: str, note: str, lang: str) -> str:
    """The first screen: title, the map's image (decorative: the title says what it is), a note."""
    e = html.escape
    return (f'<div class="obs-splash" lang="{e(lang)}">'
            f'<div class="obs-splash-title">{e(title)}</div>'
            f'<img class="obs-splash-map" src="{e(image_url)}" alt="">'
            f'<div class="obs-splash-note" role="status">{e(note)}</div></div>')


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
