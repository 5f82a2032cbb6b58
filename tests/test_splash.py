"""The first screen in the page's HTML (web/splash.py): the title and the view's map while the scripts arrive."""
from __future__ import annotations

import logging

import pytest

from web import splash
from web.preload import page_hints

LOADING = '\n<div id="react-entry-point">\n    <div class="_dash-loading">\n        Loading...\n    </div>\n</div>\n'


def test_with_splash_replaces_dash_loading_element_once():
    out = splash.with_splash(LOADING, "<b>first</b>")
    assert out == '\n<div id="react-entry-point">\n    <b>first</b>\n</div>\n'
    assert splash.with_splash(LOADING, None) == LOADING


def test_another_dash_keeps_its_page_and_says_so(caplog, monkeypatch):
    monkeypatch.setattr(splash, "_WARNED", [])
    other = '<div id="react-entry-point"><div class="_dash-loading">Cargando</div></div>'
    with caplog.at_level(logging.WARNING):
        assert splash.with_splash(other, "<b>first</b>") == other
        assert splash.with_splash(other, "<b>first</b>") == other
    assert sum("loading element not found" in r.message for r in caplog.records) == 1


def test_splash_html_escapes_what_it_writes():
    h = splash.splash_html('A <b>"t"</b>', '/map.svg?a=1&b="2"', "n<", "en")
    assert '<div class="obs-splash-title">A &lt;b&gt;&quot;t&quot;&lt;/b&gt;</div>' in h
    assert 'data-map="/map.svg?a=1&amp;b=&quot;2&quot;"' in h and "n&lt;" in h and 'lang="en"' in h
    # no image in the HTML itself (the browser would parse the SVG while the scripts run): the script adds it
    assert "<img" not in h and f"<script>{splash.SCRIPT}</script>" in h


def test_the_script_is_allowed_by_its_hash(client):
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(splash.SCRIPT.encode()).digest()).decode()
    csp = client.get("/?country=CRI&level=1").headers["Content-Security-Policy"]
    assert f"'sha256-{digest}'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


@pytest.fixture(scope="module")
def client(app_client):
    return app_client


def test_main_page_opens_on_the_title_and_the_map_it_preloads(client, ds):
    import html

    r = client.get("/?country=CRI&level=1&lang=en")
    page = r.get_data(as_text=True)
    image = page_hints(ds, "country=CRI&level=1&lang=en").image
    assert f'data-map="{html.escape(image)}"' in page   # the preloaded address
    assert "<div class=\"obs-splash-title\">Citizen Security Observatory</div>" in page
    assert "_dash-loading" not in page
    es = client.get("/?country=CRI&level=1").get_data(as_text=True)
    assert "Observatorio de Seguridad Ciudadana</div>" in es and "Cargando el mapa interactivo" in es


def test_other_pages_keep_dash_loading_text_and_nothing_hostile_is_echoed(client):
    for path in ("/?view=present", "/comparar", "/?country=CRI&embed=1&chart=map"):
        page = client.get(path).get_data(as_text=True)
        assert "obs-splash" not in page and "_dash-loading" in page, path
    hostile = client.get("/?country=<script>alert(1)</script>&lang=%22%3E%3Cimg").get_data(as_text=True)
    assert "obs-splash" in hostile and "<script>alert" not in hostile and '"><img' not in hostile
