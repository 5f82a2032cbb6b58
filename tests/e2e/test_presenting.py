"""Issue 4 in headless Chromium: presenter mode stepped with the keyboard, the map's year slider with play (fixed
classes, values-only Patches), the export buttons, and the offline pack opened with the network cut off.

The presenter and slider tests run against the gunicorn app on the synthetic fixture (tests/fixtures.py,
expected numbers from its constants); the offline pack is built from a committed deck on the real data."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests import fixtures as F

SLIDES = ["country=region&level=0&offense=homicide&year=2022&measure=rate",
          "country=CRI&level=1&offense=homicide&year=2023&measure=count",
          "country=SLV&level=0&unit=SLV&offense=homicide&year=2022&measure=rate"]


def wait_text(page, selector, pattern, timeout=20000):
    page.wait_for_function(
        "([sel, pat]) => { const e = document.querySelector(sel); return e && new RegExp(pat).test(e.textContent); }",
        arg=[selector, pattern], timeout=timeout)
    return page.inner_text(selector)


def px(page, selector) -> float:
    return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


def test_presenter_steps_through_an_inline_deck_with_the_keyboard(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    url = f"{server_url}/?view=present&lang=en&slides=" + "|".join(quote(s, safe="") for s in SLIDES)
    page.goto(url)
    # slide 1: the region, population-weighted mean of the 2022 UNODC rates (World Bank populations)
    pops = {c: F.WB_POP[c][2022] for c in F.WB_POP}
    region = sum(F.UNODC_RATE[c][2022] * pops[c] for c in pops) / sum(pops.values())
    assert wait_text(page, "#pr-counter", r"^1 / 3$") == "1 / 3"
    assert page.inner_text("#pr-value") == f"{region:.1f}"
    assert page.inner_text("#pr-sentence").startswith(f"In 2022 the region recorded {region:.1f} homicides")
    assert re.search(r"Data as of \d{4}-\d{2}-\d{2}", page.inner_text("#pr-meta"))
    assert "Source: UNODC" in page.inner_text("#pr-meta")
    page.wait_for_selector("#pr-map .js-plotly-plot")
    assert page.is_hidden("#filters-drawer") and page.query_selector("#ctl-country") is None   # no filter panel
    # projector sizes: headline >= 64 px, labels >= 20 px
    assert px(page, "#pr-value") >= 64
    for sel in ("#pr-sentence", "#pr-meta", "#pr-legend .obs-legend-item", "#pr-counter", "#pr-place"):
        assert px(page, sel) >= 20, sel
    tick = page.eval_on_selector("#pr-series .xtick text", "e => parseFloat(e.style.fontSize)")
    assert tick >= 20

    page.keyboard.press("ArrowRight")
    assert wait_text(page, "#pr-counter", r"^2 / 3$")
    assert "slide=2" in page.url
    assert wait_text(page, "#pr-value", r"^460$") == str(F.OIJ_COUNT_2023["CRI"])
    assert "In 2023 Costa Rica recorded 460 homicides" in page.inner_text("#pr-sentence")
    page.keyboard.press("PageDown")
    assert wait_text(page, "#pr-counter", r"^3 / 3$")
    assert wait_text(page, "#pr-value", r"^7.8$")
    assert page.inner_text("#pr-place") == "El Salvador"
    page.keyboard.press("ArrowRight")            # already the last slide: stays
    page.wait_for_timeout(800)
    assert page.inner_text("#pr-counter") == "3 / 3"
    page.keyboard.press("PageUp")
    assert wait_text(page, "#pr-counter", r"^2 / 3$")
    page.keyboard.press("ArrowLeft")
    assert wait_text(page, "#pr-counter", r"^1 / 3$")
    assert "slide=1" in page.url
    # the exit link leads to the same view in the dashboard
    assert page.get_attribute("#pr-exit", "href").startswith("/?country=region&level=0&offense=homicide&year=2022")
    assert page.errors == []


def test_a_bad_deck_gets_a_clear_message_not_a_500(page, server_url):
    resp = page.goto(f"{server_url}/?view=present&deck=does-not-exist")
    assert resp.status == 200
    assert "no deck called 'does-not-exist'" in wait_text(page, "#pr-problems", "deck")
    # the decks that can be shown are offered as links, by their titles; one of them opens its first slide
    links = page.eval_on_selector_all("#pr-decks a", "els => els.map(e => [e.textContent, e.getAttribute('href')])")
    assert ["Homicidio en la región: último año y tendencia",
            "/?view=present&deck=homicidio-region&lang=es"] in links, links
    page.click("#pr-decks a[href*='homicidio-region']")
    assert wait_text(page, "#pr-counter", r"^1 / \d+$")
    page.goto(f"{server_url}/?view=present&lang=en&slides=" + quote("country=ZZZ&year=1800", safe=""))
    text = wait_text(page, "#pr-problems", "slide 1")
    assert "country=ZZZ" in text and "The deck cannot be shown" in page.inner_text("h1")


def test_the_year_slider_plays_with_fixed_classes_and_patches(page, server_url):
    responses = []
    page.on("response", lambda r: responses.append(r) if "_dash-update-component" in r.url else None)
    page.goto(f"{server_url}/?country=region&level=0&year=2022&lang=en")
    page.wait_for_selector("#anim-bar", state="visible", timeout=20000)
    marks = page.eval_on_selector_all("#anim-bar .dash-slider-mark", "els => els.map(e => e.textContent.trim())")
    assert [m for m in marks if m] == ["2019", "2020", "2021", "2022", "2023"]
    wait_text(page, "#map-legend", r"\d")
    page.click("#anim-play")                     # from 2022: plays 2023, the last year, and stops
    assert wait_text(page, "#anim-badge", "Map 2023") .startswith("Map 2023 · classes fixed over 2019–2023")
    legend_2023 = page.inner_text("#map-legend")
    page.wait_for_function("document.querySelector('#anim-play').textContent.trim() === '▶'")
    page.click("#anim-play")                     # at the end: starts again from the first year
    badge = wait_text(page, "#anim-badge", "Map 20(19|20|21) ")
    page.click("#anim-play")                     # pause
    page.wait_for_timeout(1500)
    assert page.inner_text("#anim-play").strip() == "▶"
    assert badge[:8] in ("Map 2019", "Map 2020", "Map 2021")
    def classes(text):   # the class rows ("No data" comes and goes: Honduras has no 2023 figure)
        return [ln for ln in text.splitlines() if ln.strip() and ln.strip() != "No data"]
    assert classes(page.inner_text("#map-legend")) == classes(legend_2023)   # same classes in every year
    assert "No data" in legend_2023
    allv = [v for c in F.UNODC_RATE.values() for v in c.values()]
    assert f"{max(allv):.1f}" in legend_2023                       # bounds over all years (41.2 is from 2019)
    # the map was patched: values only, never the geometry
    bodies = [r.body() for r in responses if r.request.post_data and '"output":"..map.figure@' in r.request.post_data]
    assert bodies and all(b"geojson" not in b and len(b) < 20000 for b in bodies)
    assert any(b'"operations"' in b for b in bodies)        # a dash.Patch, not a figure
    # the headline and the URL still describe the chosen year (the slider animates the map only)
    assert "year=2022" in page.url
    assert page.errors == []


def test_export_png_and_svg_with_title_source_and_date(page, server_url):
    page.goto(f"{server_url}/?country=CRI&level=1&year=2023&measure=count&lang=en")
    page.wait_for_selector("#map .js-plotly-plot path.choroplethlocation", state="attached", timeout=20000)
    wait_text(page, "#headline-value", r"\d")
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<svg")):
        with page.expect_download(timeout=30000) as dl:
            page.click(f"#map-export-{fmt}")
        d = dl.value
        assert d.suggested_filename.endswith("." + fmt) and "observatorio-mapa" in d.suggested_filename
        data = Path(d.path()).read_bytes()
        assert magic in data[:200]
        info = page.evaluate("window._obsLastExport")
        assert info["format"] == fmt and "Costa Rica" in info["title"] and info["legend"] >= 2
        if fmt == "svg":
            text = data.decode("utf-8", "replace")
            assert "Costa Rica" in text and "Source: OIJ" in text and re.search(r"Data as of \d{4}-\d{2}-\d{2}", text)
    with page.expect_download(timeout=30000) as dl:
        page.click("#series-export-svg")
    svg = Path(dl.value.path()).read_text(encoding="utf-8", errors="replace")
    assert "Source: OIJ" in svg and "Costa Rica" in svg


def test_exported_map_hatches_no_data_as_the_page_does(page, server_url):
    """Honduras publishes no 2023 figure in the fixture: its area is hatched in the exported SVG and PNG (the
    page's pattern), the legend's "No data" swatch too, and no plain grey area is left."""
    import io

    from PIL import Image

    page.goto(f"{server_url}/?country=region&level=0&year=2023&lang=en")
    page.wait_for_selector("#map .js-plotly-plot path.choroplethlocation", state="attached", timeout=20000)
    page.wait_for_selector(".obs-legend .obs-swatch-nodata", timeout=20000)   # the view's legend, with "No data"
    with page.expect_download(timeout=30000) as dl:
        page.click("#map-export-svg")
    svg = Path(dl.value.path()).read_text(encoding="utf-8")
    assert '<pattern id="obs-nodata"' in svg and svg.count('fill="url(#obs-nodata)"') >= 1
    assert "fill: url(#obs-nodata)" in svg                      # the legend's swatch
    assert "200, 200, 200)" not in svg.split("</pattern>", 1)[1]  # no plain grey left outside the pattern
    with page.expect_download(timeout=30000) as dl:
        page.click("#map-export-png")
    img = Image.open(io.BytesIO(Path(dl.value.path()).read_bytes())).convert("RGB")
    assert img.size == (1280, 900)
    colours = img.getcolors(maxcolors=1 << 20)
    grey = sum(n for n, c in colours if c == (200, 200, 200))
    stripe = sum(n for n, c in colours if c[0] == c[1] == c[2] and 244 <= c[0] <= 250)   # white at 0.85 on grey
    assert grey > 200 and stripe > 100, (grey, stripe)


# ---- on the real data: a projector and a large screen ----------------------------------------------
LEGEND_ALL_IN_VIEW_JS = """() => { const lg = document.querySelector('#pr-series .legend');
    // plotly draws a scroll bar (a rect of non-zero height) when its legend is taller than the room it has
    const bar = lg.querySelector('.scrollbar');
    return [lg.querySelectorAll('.legendtext').length, !bar || bar.getBoundingClientRect().height === 0]; }"""


def test_presenter_fits_a_projector_and_grows_on_a_large_screen(browser, real_server):
    """The region's slide on the committed data (nine trend lines). On a 1280x720 projector every line's name is in
    the legend at 20 px, none scrolled out of view (a presenter has no use for a scrollbar), and the map keeps its
    262 px; on a 1920x1080 screen the map grows (42 % of the visuals' height, assets/04_present.css)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    pg.goto(real_server + "/?view=present&deck=homicidio-region")
    pg.wait_for_function("document.querySelectorAll('#pr-series .legend .traces').length >= 8", timeout=30000)
    pg.wait_for_function("document.querySelector('#pr-map .choroplethlayer path')", timeout=30000)
    pg.wait_for_timeout(500)
    assert pg.evaluate(LEGEND_ALL_IN_VIEW_JS) == [9, True]
    assert pg.evaluate("document.querySelector('#pr-series .js-plotly-plot')._fullLayout.legend.orientation") == "v"
    assert pg.evaluate("document.querySelector('.pr-map-wrap').getBoundingClientRect().height") == 262
    pg.set_viewport_size({"width": 1920, "height": 1080})
    pg.wait_for_function("document.querySelector('.pr-map-wrap').getBoundingClientRect().height > 350")
    pg.wait_for_timeout(500)
    assert pg.evaluate(LEGEND_ALL_IN_VIEW_JS) == [9, True]
    ctx.close()


def test_presenter_link_opened_on_a_phone_is_one_column_that_scrolls(browser, real_server):
    """A slide's link opened on a phone (390x844): the text, then the map across the screen with its legend, then
    the trend, in one column that scrolls; on a projector's two columns the map had ~30 px."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.goto(real_server + "/?view=present&deck=homicidio-region")
    pg.wait_for_function("document.querySelector('#pr-map .choroplethlayer path')", timeout=30000)
    pg.wait_for_timeout(500)
    box = pg.evaluate("""() => { const r = s => document.querySelector(s).getBoundingClientRect();
        const p = document.querySelector('.obs-present');
        return {map: [r('#pr-map').width, r('#pr-map').height], text: r('.pr-text').width, mapTop: r('.pr-map').top,
                textBottom: r('.pr-text').bottom, seriesTop: r('.pr-series').top, mapBottom: r('.pr-map').bottom,
                scrolls: p.scrollHeight > p.clientHeight + 100}; }""")
    assert box["map"][0] >= 340 and box["map"][1] >= 250, box
    assert box["text"] >= 340 and box["textBottom"] <= box["mapTop"] + 1 and box["mapBottom"] <= box["seriesTop"] + 1
    assert box["scrolls"], box
    # the trend's nine lines: their legend under the plot, which keeps most of the screen's width (at the side, in
    # the projector's 20 px type, it left the plot ~90 px)
    pg.wait_for_function("() => { const g = document.querySelector('#pr-series .js-plotly-plot');"
                         " return g && g._fullLayout && g.data && g.data.length >= 8; }", timeout=30000)
    lay = pg.evaluate("() => { const l = document.querySelector('#pr-series .js-plotly-plot')._fullLayout;"
                      " return {orientation: l.legend.orientation, plot: l._size.w, font: l.legend.font.size}; }")
    assert lay["orientation"] == "h" and lay["plot"] >= 250 and lay["font"] <= 14, lay
    ctx.close()


# ---- the offline pack -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pack_file(tmp_path_factory):
    from core import decks, query
    from present.pack import build_pack
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    deck, problems = decks.load_deck("homicidio-region", query.catalog(real))
    assert problems == []
    out = tmp_path_factory.mktemp("pack") / "homicidio.html"
    out.write_text(build_pack(real, deck, "es"), encoding="utf-8")
    return out, deck


def test_the_offline_pack_shows_every_slide_with_the_network_cut(browser, pack_file):
    path, deck = pack_file
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    requested: list[str] = []

    def only_the_file(route):
        if route.request.url == path.as_uri():
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()
    ctx.route("**/*", only_the_file)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(path.as_uri())
    n = len(deck.slides)
    for i, slide in enumerate(deck.slides, start=1):
        wait_text(pg, "#pr-counter", f"^{i} / {n}$")
        assert pg.inner_text("#pr-title") == slide.title["es"]
        assert re.search(r"\d", pg.inner_text("#pr-value"))
        assert pg.inner_text("#pr-sentence").startswith("En 20")
        assert "Datos al" in pg.inner_text("#pr-meta")
        # the map is drawn (SVG paths of the units) and so is the trend
        pg.wait_for_function("document.querySelectorAll('#pr-map path.choroplethlocation').length > 5")
        pg.wait_for_function("document.querySelectorAll('#pr-series .scatterlayer .trace').length >= 1")
        pg.keyboard.press("PageDown" if i % 2 else "ArrowRight")
    assert pg.inner_text("#pr-counter") == f"{n} / {n}"           # stays on the last slide
    pg.keyboard.press("ArrowLeft")
    wait_text(pg, "#pr-counter", f"^{n - 1} / {n}$")
    assert requested == [] and errors == []
    # on a 1920x1080 screen the map grows with it (42 % of the visuals' height, not 262 px)
    pg.set_viewport_size({"width": 1920, "height": 1080})
    pg.wait_for_function("document.querySelector('.pr-map-wrap').getBoundingClientRect().height > 350")
    # no data hatched as on the site: the pattern is in the file and every grey area is filled with it
    from core.figures import nodata_css
    assert pg.evaluate("document.getElementById('obs-nodata').tagName") == "pattern"
    assert pg.evaluate("Array.from(document.querySelectorAll('#pr-map path[fill=\"rgb(200, 200, 200)\"]'))"
                       ".every(p => getComputedStyle(p).fill.startsWith('url('))")
    assert nodata_css() in path.read_text(encoding="utf-8")
    # one file: no external script, stylesheet or image
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", html)
    assert json.loads(re.search(r"const SLIDES = (\[.*?\]);\n", html, re.S).group(1))[0]["title"] == \
        deck.slides[0].title["es"]
    ctx.close()
