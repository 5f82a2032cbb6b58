"""End to end: gunicorn + headless Chromium through the user paths (synthetic fixture data)."""
from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e
T = 20_000


def wait_map(page, n_locations_min=1):
    page.wait_for_function(
        """(n) => { const gd = document.querySelector('#map .js-plotly-plot') || document.querySelector('#map');
                    const d = gd && gd.data && gd.data.find(t => t.name === 'data');
                    return d && d.locations.length >= n
                           && document.querySelector('#map path.choroplethlocation'); }""",
        arg=n_locations_min, timeout=T)


def wait_text(page, selector, text):
    page.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.innerText.includes(t); }",
                           arg=[selector, text], timeout=T)


def query_of(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def map_click(page, location):
    """A Plotly click on a unit, dispatched through Plotly's own event (pixel clicks on WebGL are flaky)."""
    page.evaluate("""(loc) => {
        const gd = document.querySelector('#map .js-plotly-plot');
        const tr = gd.data.findIndex(t => t.name === 'data' && t.locations.includes(loc));
        const i = gd.data[tr].locations.indexOf(loc);
        gd.emit('plotly_click', {points: [{curveNumber: tr, pointNumber: i, pointIndex: i, location: loc,
                                           z: gd.data[tr].z[i], data: gd.data[tr], fullData: gd._fullData[tr]}]});
    }""", location)


def click_and_wait(page, location, condition, tries=4):
    """Click a unit and wait for the URL to satisfy `condition` (JS); retried because a click dispatched while
    Dash is still applying the previous figure can be dropped by the graph."""
    for _ in range(tries):
        map_click(page, location)
        try:
            page.wait_for_function(condition, timeout=5000)
            return
        except Exception:
            continue
    raise AssertionError(f"clicking {location} did not lead to {condition}")


def test_default_view(page, server_url):
    page.goto(server_url + "/")
    wait_map(page, 4)
    # region 2022 = sum(rate*pop)/sum(pop) by hand = 19.9; Honduras has no 2023 so the default year is 2022
    wait_text(page, "#headline-value", "19.9")
    assert "2022" in page.inner_text("#headline-meta") and "UNODC" in page.inner_text("#headline-meta")
    assert "Sin datos" not in page.inner_text("#map-legend")
    assert page.inner_text("#ranking-title").startswith("Clasificación")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 4   # the 4 countries (the header is in <thead>)
    assert page.locator("#ranking thead th button").count() == 7
    assert page.get_attribute("#ranking", "data-rows") == "4"
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e]


def test_filters_click_drill_breadcrumb_back(page, server_url):
    page.goto(server_url + "/?year=2023")
    wait_map(page, 3)
    # Honduras has no 2023 value: grey and labelled
    wait_text(page, "#map-legend", "Sin datos")
    # choose a measure by keyboard-accessible radio
    page.get_by_label("Número de casos").check()
    page.wait_for_function("() => location.search.includes('measure=count')", timeout=T)
    page.get_by_label("Tasa por 100,000 hab.").check()
    page.wait_for_function("() => location.search.includes('measure=rate')", timeout=T)
    # click Costa Rica on the map: drills down to its provinces
    click_and_wait(page, "CRI", "() => location.search.includes('country=CRI') && location.search.includes('level=1')")
    wait_text(page, "#breadcrumb", "Costa Rica")
    wait_map(page, 2)
    wait_text(page, "#ranking", "San José")
    # click a province: its cantons, the province selected, series vs country and region
    click_and_wait(page, "CR-SJ", "() => location.search.includes('unit=CR-SJ') && location.search.includes('level=2')")
    wait_text(page, "#breadcrumb", "San José")
    wait_text(page, "#headline-place", "San José")
    wait_text(page, "#headline-value", "18,8")   # 300 / 1.6M * 1e5, Costa Rica writes a decimal comma
    names = page.evaluate("() => document.querySelector('#series .js-plotly-plot').data.map(t => t.name)")
    assert names[:2] == ["San José", "Costa Rica"]
    # breadcrumb goes back up
    page.locator("#breadcrumb a", has_text="Región").click()
    page.wait_for_function("() => location.search.includes('country=region') && location.search.includes('level=0')",
                           timeout=T)
    wait_text(page, "#headline-place", "Región")
    # browser back returns to the province view
    page.go_back()
    page.wait_for_function("() => location.search.includes('unit=CR-SJ')", timeout=T)
    wait_text(page, "#headline-place", "San José")


def test_language_switch_keeps_view(page, server_url):
    page.goto(server_url + "/?country=CRI&level=1&year=2023&unit=CR-SJ&measure=rate")
    wait_text(page, "#headline-value", "18,8")
    page.click("#lang-link")
    page.wait_for_function("() => location.search.includes('lang=en')", timeout=T)
    wait_text(page, ".obs-title", "Citizen Security Observatory")
    wait_text(page, "#headline-value", "18.8")     # English: decimal point
    wait_text(page, "#headline-unit", "per 100,000")
    q = query_of(page)
    assert (q["country"], q["level"], q["unit"], q["year"]) == ("CRI", "1", "CR-SJ", "2023")
    assert page.evaluate("document.documentElement.lang") == "en"


def test_copied_link_reopens_same_view(browser, page, server_url):
    page.goto(server_url + "/")
    wait_map(page, 4)
    wait_text(page, "#headline-value", "19.9")
    click_and_wait(page, "CRI", "() => location.search.includes('country=CRI')")
    wait_map(page, 2)
    wait_text(page, "#headline-place", "Costa Rica")
    link = page.url
    headline = page.inner_text("#headline-value")
    other = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    other.goto(link)
    wait_text(other, "#headline-place", "Costa Rica")
    assert other.inner_text("#headline-value") == headline
    wait_map(other, 1)
    locs = other.evaluate("() => { const d = document.querySelector('#map .js-plotly-plot').data;"
                          " const by = n => d.find(t => t.name === n).locations;"
                              " return by('nodata').concat(by('data')).sort(); }")
    assert locs == sorted(["CR-SJ", "CR-A"])
    assert "2022" in other.inner_text("#ctl-year")
    assert other.locator("#ctl-level input:checked").count() == 1
    other.context.close()


def test_a_link_to_a_level_the_country_lacks_shows_the_one_it_has(page, server_url):
    """El Salvador has no municipalities in the fixture: such a link showed a map of nothing and asked for a
    GeoJSON that does not exist (404); it shows the departments and says why."""
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(server_url + "/?country=SLV&level=2&lang=en")
    wait_text(page, "#notes", "no division at that level")
    page.wait_for_function("() => { const i = document.querySelector('#ctl-level input:checked');"
                           " return i && i.value === '1'; }", timeout=T)
    page.wait_for_timeout(500)
    assert failed == []


def test_hostile_link_shows_note_not_error(page, server_url):
    page.goto(server_url + "/?year=%3Cscript%3Ealert(1)%3C/script%3E&level=999")
    wait_text(page, "#notes", "no es válido")
    assert page.locator("#notes script").count() == 0
    wait_text(page, "#headline-value", "19.9")


def test_download_csv_matches_parquet(page, server_url, fixture_dir):
    page.goto(server_url + "/?country=CRI&level=2&unit=CRI&year=2023")
    wait_map(page, 3)
    page.wait_for_function("() => document.querySelector('#download-link').href.includes('level=2')", timeout=T)
    with page.expect_download() as dl:
        page.click("#download-link")
    path = dl.value.path()
    text = open(path, encoding="utf-8-sig").read()
    rows = {r["unit_id"]: r for r in csv.DictReader(io.StringIO(text))}
    facts = pd.read_parquet(fixture_dir / "facts.parquet")
    pop = pd.read_parquet(fixture_dir / "population.parquet")
    assert set(rows) == {"CRI-101", "CRI-102", "CRI-201"}
    for uid, r in rows.items():
        c = facts[(facts.unit_id == uid) & (facts.year == 2023) & (facts.offense == "homicide")
                  & (facts.sex == "total") & (facts.age_group == "total")]["count"].dropna().iloc[0]
        p = pop[(pop.unit_id == uid) & (pop.year == 2023)]["population"].iloc[0]
        assert float(r["count"]) == float(c)
        assert float(r["value"]) == pytest.approx(float(c) / float(p) * 1e5, abs=1e-4)


def test_the_trend_csv_beside_the_chart_is_the_view_in_the_address(page, server_url):
    """A journalist changes the view, then takes the trend's numbers: the file is the view the page shows (its
    address), not the one the page was opened with."""
    page.goto(server_url + "/?country=CRI&level=1&year=2023&lang=en")
    wait_map(page, 2)
    page.click("#ctl-measure input[value='count']")
    page.wait_for_function("() => location.search.includes('measure=count')", timeout=T)
    with page.expect_download() as dl:
        page.click("#series-export-csv")
    assert dl.value.suggested_filename.startswith("observatorio_tendencia_CRI_")
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8-sig").read())))
    assert {r["measure"] for r in rows} == {"count"} and rows[0]["series_id"] == "CRI"
    # Costa Rica's homicides: OIJ's 430 (2022) and 460 (2023), as the trend draws them
    counts = {int(r["year"]): r["value"] for r in rows if r["series_id"] == "CRI" and r["source"] == "cr_oij"}
    assert counts == {2022: "430", 2023: "460"}
    # the map's numbers beside it are the view's CSV
    with page.expect_download() as dl2:
        page.click("#map-export-csv")
    assert dl2.value.suggested_filename.startswith("observatorio_CRI_nivel1_homicide_2023_count")


def choose(page, cid: str, value: str) -> None:
    """Pick `value` in the dropdown `cid` as a user does (open it, click the option)."""
    page.click(f"#{cid}")
    page.locator(".dash-dropdown-content [role=option]").first.wait_for(state="visible", timeout=T)
    page.locator(".dash-dropdown-content [role=option]", has=page.locator(f"input[value='{value}']")).click()


def test_control_options_follow_the_view_sent_only_when_changed(page, server_url, fixture_dir):
    """A control's options travel only when they differ from what the page shows (callbacks.main.sync_view):
    a change that keeps them sends none and the dropdowns keep theirs; an offence without 2019 figures sends the
    controls whose options differ, and the year dropdown then offers 2019 disabled."""
    import json

    from core import controller, query

    answers: list[dict] = []

    def keep(resp):
        if "_dash-update-component" in resp.url and resp.status == 200:
            body = json.loads(resp.text())
            if "view-store" in body.get("response", {}):   # the view callback's answers
                answers.append(body["response"])

    def next_answer(n):   # the answer's body is read in the test process: wait for it to arrive
        for _ in range(100):
            if len(answers) > n:
                return answers[n]
            page.wait_for_timeout(100)
        raise AssertionError("no view answer")

    def shown_options(cid):
        page.click(f"#{cid}")
        page.locator(".dash-dropdown-content [role=option]").first.wait_for(state="visible", timeout=T)
        got = page.evaluate("""() => [...document.querySelectorAll('.dash-dropdown-content [role=option]')].map(o => {
            const i = o.querySelector('input'); return [i.value, i.disabled]; })""")
        page.keyboard.press("Escape")
        return dict(got)

    query.set_default_data_dir(fixture_dir)
    ds = query.get_dataset()

    def options_of_page():   # what the controller gives for the page's URL: the reference
        return controller.sync(ds, None, urlparse(page.url).query and "?" + urlparse(page.url).query).options

    page.on("response", keep)
    page.goto(server_url + "/?country=CRI&level=1&year=2023&lang=es")
    wait_map(page, 2)
    first = next_answer(0)
    assert not any("options" in props for props in first.values())   # the page rendered them: none again
    before = options_of_page()
    choose(page, "ctl-year", "2022")
    page.wait_for_function("() => location.search.includes('year=2022')", timeout=T)
    ans = next_answer(1)
    assert options_of_page() == before                                # the same options...
    assert not any("options" in props for props in ans.values())     # ...so none sent
    assert shown_options("ctl-year") == {str(o["value"]): bool(o.get("disabled")) for o in before["year"]}
    choose(page, "ctl-offense", "theft")
    page.wait_for_function("() => location.search.includes('offense=theft')", timeout=T)
    ans = next_answer(2)
    after = options_of_page()
    sent = {c: props["options"] for c, props in ans.items() if "options" in props}
    assert sent == {f"ctl-{c}": after[c] for c in after if after[c] != before[c]} and "ctl-year" in sent
    year = shown_options("ctl-year")
    assert year["2019"] is True and year == {str(o["value"]): bool(o.get("disabled")) for o in after["year"]}
    assert not page.errors


def test_trend_layout_travels_only_when_it_changes(page, server_url, fixture_dir):
    """The trend's layout goes with a view only when the browser does not show it (core.figures.figure_for,
    assets/20_panels.js): another place with the same years sends the lines and keeps the layout on screen (axis,
    the year's line, the events' labels), another measure sends its layout. Each time the graph in Chromium shows
    the lines and the layout the server computes for the view."""
    import json

    from core import query, view
    from core.viewstate import parse

    answers: list[dict] = []

    def keep(resp):
        if "_dash-update-component" in resp.url and resp.status == 200:
            body = json.loads(resp.text())
            if "panels-store" in body.get("response", {}):
                answers.append(body["response"]["panels-store"]["data"])

    query.set_default_data_dir(fixture_dir)
    ds = query.get_dataset()

    def reference(q):
        return view.series_view(ds, parse(q, query.catalog(ds))[0])["figure"]

    def trend_sent(n):   # the trend's figure in the n-th answer (the first figure of the panels' list)
        for _ in range(100):
            if len(answers) > n:
                return next(v for v in answers[n] if isinstance(v, dict) and "data" in v)
            page.wait_for_timeout(100)
        raise AssertionError("no view answer")

    def on_screen():
        return page.evaluate("""() => { const gd = document.querySelector('#series .js-plotly-plot');
            return {names: gd.data.map(t => t.name), y: gd.data.map(t => t.y),
                    title: gd.layout.yaxis.title.text, shapes: gd.layout.shapes.map(s => s.x0),
                    labels: (gd.layout.annotations || []).map(a => a.hovertext),
                    drawn_labels: document.querySelectorAll('#series .annotation').length}; }""")

    def expect(fig):
        return {"names": [t["name"] for t in fig["data"]], "y": [t["y"] for t in fig["data"]],
                "title": fig["layout"]["yaxis"]["title"]["text"], "shapes": [s["x0"] for s in fig["layout"]["shapes"]],
                "labels": [a["hovertext"] for a in fig["layout"]["annotations"]],
                "drawn_labels": len(fig["layout"]["annotations"])}

    def go(q):   # a link inside the page (as the breadcrumb's): the URL changes, the page stays
        page.evaluate("(q) => { history.pushState({}, '', '/?' + q); window.dispatchEvent(new CustomEvent('_dashprivate_pushstate')); }", q)

    page.on("response", keep)
    q1 = "country=CRI&level=1&year=2023&unit=CR-SJ&lang=en"
    page.goto(server_url + "/?" + q1)
    wait_map(page, 2)
    ref1 = reference(q1)
    assert ref1["layout"]["annotations"]                      # events drawn on it: there is a layout to keep
    assert "layout" in trend_sent(0)                          # the first view: the whole figure
    page.wait_for_function("(n) => { const gd = document.querySelector('#series .js-plotly-plot');"
                           " return gd && gd.data && gd.data.length === n; }", arg=len(ref1["data"]), timeout=T)
    assert on_screen() == expect(ref1)
    q2 = "country=CRI&level=1&year=2023&unit=CR-A&lang=en"    # another place, the same years
    ref2 = reference(q2)
    assert ref2["layout"] == ref1["layout"] and ref2["data"] != ref1["data"]
    go(q2)
    sent = trend_sent(1)
    assert "layout" not in sent and sent["data"] == ref2["data"]   # the lines only
    page.wait_for_function("(n) => document.querySelector('#series .js-plotly-plot').data[0].name === n",
                           arg=ref2["data"][0]["name"], timeout=T)
    assert on_screen() == expect(ref2)                         # the layout kept is the view's
    q3 = q2 + "&measure=count"
    ref3 = reference(q3)
    assert ref3["layout"]["yaxis"]["title"] != ref2["layout"]["yaxis"]["title"]
    go(q3)
    assert "layout" in trend_sent(2)                           # a new layout: sent
    page.wait_for_function("(t) => document.querySelector('#series .js-plotly-plot').layout.yaxis.title.text === t",
                           arg=ref3["layout"]["yaxis"]["title"]["text"], timeout=T)
    assert on_screen() == expect(ref3)
    assert not page.errors


PANELS_JS = """(ids) => {
    const out = {};
    for (const id of ids) {
        const e = document.getElementById(id);
        out[id] = e ? e.outerHTML : null;
    }
    const gd = document.querySelector('#series .js-plotly-plot');
    out.trend = {data: gd.data.map(t => [t.name, t.x, t.y, t.customdata, t.hovertemplate]),
                 title: gd._fullLayout.yaxis.title.text, y: gd._fullLayout.yaxis.range,
                 x: gd._fullLayout.xaxis.range, shapes: gd._fullLayout.shapes.map(s => [s.x0, s.line.color]),
                 labels: gd._fullLayout.annotations.map(a => [a.text, a.hovertext, a.x, a.y])};
    return out;
}"""


def test_a_view_reached_by_changes_shows_what_a_fresh_page_shows(browser, server_url):
    """The panels beside the map are sent only where they differ from what the page shows (its `panels-shown`
    digest, `series-shown` for the trend's layout): after a sequence of changes, every panel, the ranking table
    and the trend (lines, axis ranges, the year's line, the events' labels) are what a page opened at the same
    address shows."""
    from callbacks.main import AFTER_MAP_OUTPUTS

    ids_ = sorted({o.component_id for o in AFTER_MAP_OUTPUTS} - {"series", "panels-shown", "series-shown",
                                                                     "ranking-data", "map-export-meta",
                                                                     "series-export-meta"}) + ["ranking"]
    steps = ["country=region&level=0&year=2023&lang=es", "country=region&level=0&year=2022&lang=es",
             "country=region&level=0&year=2022&offense=theft&lang=es", "country=CRI&level=1&year=2023&lang=es",
             "country=CRI&level=1&year=2023&unit=CR-SJ&lang=es", "country=CRI&level=1&year=2023&unit=CR-A&lang=es",
             "country=CRI&level=1&year=2023&unit=CR-A&measure=count&lang=es",
             "country=region&level=0&year=2023&lang=es"]
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    walk = ctx.new_page()
    errors: list = []
    walk.on("pageerror", lambda e: errors.append(e))
    walk.goto(server_url + "/?" + steps[0])
    wait_map(walk, 3)
    fresh_ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    for q in steps[1:]:
        walk.evaluate("(q) => { history.pushState({}, '', '/?' + q);"
                      " window.dispatchEvent(new CustomEvent('_dashprivate_pushstate')); }", q)
        fresh = fresh_ctx.new_page()
        fresh.goto(server_url + "/?" + q)
        wait_map(fresh, 1)
        fresh.wait_for_function("() => document.querySelector('#headline-meta').innerText.length > 0"
                                " && document.querySelector('#ranking-data') !== undefined", timeout=T)
        fresh.wait_for_timeout(600)   # the panels after the map, the ranking's names
        want = fresh.evaluate(PANELS_JS, ids_)
        got = None
        for _ in range(40):   # the walking page applies the change
            got = walk.evaluate(PANELS_JS, ids_)
            if got == want:
                break
            walk.wait_for_timeout(250)
        assert got == want, (q, {k for k in want if got.get(k) != want[k]})
        assert "<table" in want["ranking"] or "obs-small-note" in want["ranking"]
        fresh.close()
    assert errors == []
    ctx.close()
    fresh_ctx.close()


def test_phone_drawer(browser, server_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.goto(server_url + "/")
    pg.wait_for_function("() => document.querySelector('#headline-value') && "
                         "document.querySelector('#headline-value').innerText.length > 0", timeout=T)
    assert not pg.locator("#ctl-country").is_visible()
    pg.click("#filters-open")
    pg.wait_for_function("() => document.querySelector('#filters-drawer').classList.contains('show')", timeout=T)
    pg.get_by_label("Número de casos").check()
    pg.wait_for_function("() => location.search.includes('measure=count')", timeout=T)
    pg.click("#filters-close")
    pg.wait_for_function("() => !document.querySelector('#filters-drawer').classList.contains('show')", timeout=T)
    ctx.close()


UNIT_POINT_JS = """([name, loc]) => {
    // a screen point inside the SVG path of `loc` in the trace `name` (what a user's pointer would hit)
    for (const el of document.querySelectorAll('#map path.choroplethlocation')) {
        const cd = el.parentNode && el.parentNode.__data__;
        if (!el.__data__ || el.__data__.loc !== loc || !cd || cd[0].trace.name !== name) continue;
        const b = el.getBBox(), m = el.getScreenCTM();
        for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++) {
            const p = new DOMPoint(b.x + b.width * i / 12, b.y + b.height * j / 12);
            if (el.isPointInFill(p)) { const s = p.matrixTransform(m); return [s.x, s.y, getComputedStyle(el).fill]; }
        }
    }
    return null;
}"""


def test_map_is_svg_from_our_plotly_build_and_a_real_click_drills_down(page, server_url):
    """The map is drawn by the app's own plotly.js build (no 4.8 MB bundle, no request off the site) as SVG,
    grey never coloured as data, and a pointer click on an area (not a synthetic Plotly event) selects it."""
    from plotly.offline import get_plotlyjs_version

    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(server_url + "/?country=CRI&level=1&year=2023&lang=en")
    wait_map(page, 2)
    assert any("/assets/vendor/plotly-obs.min.js?v=" in u for u in urls)
    assert not any("package_data/plotly.min.js" in u for u in urls)           # the full bundle is never fetched
    assert all(u.startswith(server_url) for u in urls), [u for u in urls if not u.startswith(server_url)]
    assert page.evaluate("Plotly.version") == get_plotlyjs_version()
    # the page's preload hints (web/preload.py) are used, not fetched a second time
    # (under a country's map the land is the countries at the pipeline's detail: country=DETAIL)
    for path in ("/geo/level-1.json?country=CRI", "/geo/level-0.json?country=DETAIL", "/assets/vendor/plotly-obs"):
        assert sum(path in u for u in urls) == 1, (path, urls)
    initiators = page.evaluate("performance.getEntriesByType('resource')"
                               ".filter(e => /geo.level|plotly-obs/.test(e.name)).map(e => e.initiatorType)")
    assert initiators == ["link"] * 3
    assert page.evaluate("document.querySelectorAll('#map canvas').length") == 0
    point = page.evaluate(UNIT_POINT_JS, ["data", "CR-SJ"])
    assert point is not None, "San José is not drawn"
    from core.figures import NO_DATA_COLOR
    grey = "rgb(%d, %d, %d)" % tuple(int(NO_DATA_COLOR[i:i + 2], 16) for i in (1, 3, 5))
    assert point[2] and point[2] != grey
    page.mouse.move(point[0], point[1])
    page.wait_for_function("() => { const h = document.querySelector('#map .hoverlayer');"
                           " return h && h.textContent.includes('San José'); }", timeout=T)
    page.mouse.click(point[0], point[1])
    page.wait_for_function("() => location.search.includes('unit=CR-SJ')", timeout=T)
    wait_text(page, "#headline-place", "San José")
    assert page.errors == []


OUTLINES_VS_FRESH_JS = """async () => {
    // every choropleth path of the live map (outline, fill, stroke) and of a fresh plot of the same figure at the
    // same size: a new geo subplot, nothing remembered from earlier draws
    const gd = document.querySelector('#map .js-plotly-plot');
    const paths = el => Array.from(el.querySelectorAll('path.choroplethlocation')).map(p => [
        p.getAttribute('d'), p.getAttribute('fill'), p.style.stroke, p.style.strokeWidth, p.style.opacity]);
    const copy = x => JSON.parse(JSON.stringify(x));
    const div = document.createElement('div');
    div.style.cssText = 'position:absolute;left:-5000px;top:0;width:' + gd._fullLayout.width + 'px;height:'
                        + gd._fullLayout.height + 'px';
    document.body.appendChild(div);
    const layout = Object.assign(copy(gd.layout), {width: gd._fullLayout.width, height: gd._fullLayout.height,
                                                   autosize: false});
    await Plotly.newPlot(div, copy(gd.data), layout);
    const fresh = paths(div);
    Plotly.purge(div); div.remove();
    return {live: paths(gd), fresh: fresh};
}"""

ZOOM_JS = """async (back) => {   // a user's zoom (kept by uirevision), and the way back to the first frame
    const gd = document.querySelector('#map .js-plotly-plot');
    if (!back) {
        window.__obsRanges = [gd._fullLayout.geo.lonaxis.range.slice(), gd._fullLayout.geo.lataxis.range.slice()];
        const [lon, lat] = window.__obsRanges;
        await Plotly.relayout(gd, {'geo.lonaxis.range': [lon[0], (lon[0] + lon[1]) / 2],
                                   'geo.lataxis.range': [lat[0], (lat[0] + lat[1]) / 2]});
    } else {
        await Plotly.relayout(gd, {'geo.lonaxis.range': window.__obsRanges[0],
                                   'geo.lataxis.range': window.__obsRanges[1]});
    }
}"""


XHR_LOG_JS = """(() => { window.__xhr = []; const open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (m, u) { window.__xhr.push(String(u)); return open.apply(this, arguments); }; })();"""


def test_first_view_map_uses_the_preloaded_geojson_without_asking_plotly_to_fetch_it(page, server_url):
    """assets/00_plotly.js hands the GeoJSON the page preloads to plotly.js (window.PlotlyGeoAssets), so the first
    view's map is drawn without plotly's own request for it; a later view on new shapes is fetched by plotly as
    before and drawn."""
    page.add_init_script(XHR_LOG_JS)
    page.goto(server_url + "/?country=CRI&level=1&year=2023&lang=en")
    wait_map(page, 2)
    urls = page.evaluate("() => { const gd = document.querySelector('#map .js-plotly-plot');"
                         " return [...new Set(gd.data.map(t => t.geojson))]; }")
    assert len(urls) == 2 and all(u.startswith("/geo/level-") for u in urls)
    assert page.evaluate("(us) => us.every(u => typeof window.PlotlyGeoAssets[u] === 'object')", urls)
    assert not [u for u in page.evaluate("window.__xhr") if "/geo/" in u]   # plotly asked for none of them
    # a level whose shapes were not preloaded: plotly fetches them itself
    page.locator("#ctl-level label", has_text="Countries").click()
    page.wait_for_function("() => location.search.includes('level=0')", timeout=T)
    page.wait_for_function("() => { const gd = document.querySelector('#map .js-plotly-plot');"
                           " return gd.data.some(t => t.name === 'data' && (t.locations || []).length >= 3); }",
                           timeout=T)
    assert [u for u in page.evaluate("window.__xhr") if "/geo/level-0.json?country=region" in u]
    assert page.errors == []


def test_traces_sharing_a_geojson_wait_on_its_fetch_not_on_a_poll(page, server_url):
    """tools/plotly_bundle/patches/0004: six traces on two GeoJSON URLs; plotly fetches each once and the other
    traces await that fetch. Before the patch they polled with a 50 ms setInterval (the map drawn up to 50 ms
    after the GeoJSON was in)."""
    page.goto(server_url + "/?country=CRI&level=1&year=2023&lang=en")
    wait_map(page, 2)
    res = page.evaluate("""async () => {
        const gd = document.querySelector('#map .js-plotly-plot');
        const fresh = u => u + (u.includes('?') ? '&' : '?') + 'fresh=' + Math.random();   // never fetched yet
        const byUrl = {};
        const data = gd.data.map(t => { const u = t.geojson; byUrl[u] = byUrl[u] || fresh(u);
                                         return Object.assign({}, t, {geojson: byUrl[u]}); });
        const intervals = [];
        const si = window.setInterval;
        window.setInterval = function (fn, ms) { intervals.push(ms); return si.apply(this, arguments); };
        const div = document.createElement('div');
        div.style.cssText = 'position:absolute;left:-3000px;width:600px;height:400px';
        document.body.appendChild(div);
        try { await Plotly.newPlot(div, data, gd.layout); } finally { window.setInterval = si; }
        const drawn = div.querySelectorAll('path.choroplethlocation').length;
        Plotly.purge(div); div.remove();
        return {urls: Object.keys(byUrl).length, traces: data.length, intervals, drawn};
    }""")
    assert res["urls"] == 2 and res["traces"] == 6 and res["drawn"] > 0
    assert 50 not in res["intervals"], res["intervals"]
    assert page.errors == []


def test_country_names_still_found_with_the_lookup_built_on_first_use(page, server_url):
    """Patch 0003 builds plotly's country-name lookup when a 'country names' location is first looked up instead
    of when plotly.js is evaluated: names still find their country (any case), an unknown name finds none. The
    world map is a one-country topojson given here (the app presets an empty one: no request leaves the site)."""
    page.goto(server_url + "/assets/02_app.css")
    page.add_script_tag(url=server_url + "/assets/00_plotly.js")
    page.evaluate("""() => { const E = {type: 'GeometryCollection', geometries: []};
      window.PlotlyGeoAssets.topojson.world_110m = {type: 'Topology',
        arcs: [[[-85, 9], [-83, 9], [-83, 11], [-85, 11], [-85, 9]]],
        objects: {coastlines: E, land: E, ocean: E, lakes: E, rivers: E, subunits: E,
                  countries: {type: 'GeometryCollection', geometries: [{type: 'Polygon', id: 'CRI', arcs: [[0]]}]}}};
    }""")
    bundle = page.evaluate("() => window._dashPlotlyJSURL")   # the app's plotly.js (assets/00_plotly.js)
    assert "plotly-obs.min.js" in bundle
    page.add_script_tag(url=bundle)
    found = page.evaluate("""async () => {
      const d = document.createElement('div'); d.style.width = '400px'; d.style.height = '300px';
      document.body.appendChild(d);
      await Plotly.newPlot(d, [{type: 'choropleth', locationmode: 'country names',
        locations: ['Costa Rica', 'Nowhere', 'costa rica'], z: [1, 2, 3]}], {geo: {scope: 'world'}});
      return d.calcdata[0].map(c => c.geojson ? c.geojson.id : null);
    }""")
    assert found == ["CRI", None, "CRI"]


def test_redraw_keeps_outlines_exact(page, server_url):
    """Our plotly.js keeps each area's projected outline and style between changes (tools/plotly_bundle/patches):
    after a change of values (a real year choice), a zoom and the way back, every path's outline, fill and
    stroke must equal those a fresh plot of the same figure draws."""
    page.goto(server_url + "/?country=region&level=0&year=2023&lang=en")
    wait_map(page, 3)
    first = page.evaluate(OUTLINES_VS_FRESH_JS)
    assert len(first["live"]) >= 4 and first["live"] == first["fresh"]
    d0 = sorted(str(p[0]) for p in first["live"])   # the shapes, whichever trace (data, no data) draws them
    fills0 = [p[1] for p in first["live"]]

    page.click("#ctl-year")   # new values (2022: Honduras has data), same shapes and frame: a Patch of the map
    page.locator(".dash-dropdown-content [role=option]", has=page.locator("input[value='2022']")).click()
    page.wait_for_function("() => location.search.includes('year=2022')", timeout=T)
    page.wait_for_function("(f) => { const ps = document.querySelectorAll('#map path.choroplethlocation');"
                           " return Array.from(ps).some((p, i) => p.getAttribute('fill') !== f[i]); }",
                           arg=fills0, timeout=T)
    page.wait_for_timeout(300)
    res = page.evaluate(OUTLINES_VS_FRESH_JS)
    assert res["live"] == res["fresh"]
    assert sorted(str(p[0]) for p in res["live"]) == d0 and [p[1] for p in res["live"]] != fills0

    page.evaluate(ZOOM_JS, False)
    page.wait_for_timeout(300)
    res = page.evaluate(OUTLINES_VS_FRESH_JS)
    assert res["live"] == res["fresh"]
    assert sorted(str(p[0]) for p in res["live"]) != d0      # the zoom did change the outlines (else nothing was tested)

    page.evaluate(ZOOM_JS, True)
    page.wait_for_timeout(300)
    res = page.evaluate(OUTLINES_VS_FRESH_JS)
    assert res["live"] == res["fresh"] and sorted(str(p[0]) for p in res["live"]) == d0
    assert page.errors == []


def _pixels_at(page, x: float, y: float, half: int = 4) -> list[tuple[int, int, int]]:
    """The screen's pixels in a small square around (x, y)."""
    png = page.screenshot(clip={"x": x - half, "y": y - half, "width": 2 * half + 1, "height": 2 * half + 1})
    return _rgb(png)


def _rgb(png: bytes) -> list[tuple[int, int, int]]:
    import numpy as np
    from PIL import Image
    return [tuple(int(c) for c in px) for px in np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)]


def _hatched(pixels: list[tuple[int, int, int]]) -> bool:
    """Grey with white stripes: both the no-data grey (200) and the stripe over it (~247) are on screen."""
    grey = any(all(abs(c - 200) <= 6 for c in px) for px in pixels)
    stripe = any(min(px) >= 235 and max(px) - min(px) <= 6 for px in pixels)
    return grey and stripe


def test_no_data_is_hatched_on_the_map_as_in_its_legend(page, server_url):
    """DESIGN.md: no data is light grey with hatching, and the legend says so. The pixels on screen over an area
    without a value are the grey and the white stripes over it (the pattern in the page is found), an area with a
    value is its colour, and a change that gives the area a value (a Patch: 2023 -> 2022, Honduras) leaves no
    hatching on it."""
    page.goto(server_url + "/?country=region&level=0&year=2023&lang=en")
    wait_map(page, 3)
    page.wait_for_function("() => { const i = document.querySelector('img.obs-map-static'); return !i || i.hidden; }",
                           timeout=T)   # the server's image gone: the interactive map, framed, is what is seen
    page.wait_for_timeout(300)
    hnd = page.evaluate(UNIT_POINT_JS, ["nodata", "HND"])
    cri = page.evaluate(UNIT_POINT_JS, ["data", "CRI"])
    assert hnd and cri
    assert hnd[2].startswith('url("#obs-nodata")') and cri[2].startswith("rgb(")
    assert _hatched(_pixels_at(page, hnd[0], hnd[1])), (hnd, _pixels_at(page, hnd[0], hnd[1]))
    assert not _hatched(_pixels_at(page, cri[0], cri[1]))
    swatch = page.locator("#map-legend .obs-swatch-nodata")
    assert "No data" in page.inner_text("#map-legend") and swatch.count() == 1
    assert _hatched(_rgb(swatch.screenshot()))
    page.evaluate("window.scrollTo(0, 0)")

    page.click("#ctl-year")
    page.locator(".dash-dropdown-content [role=option]", has=page.locator("input[value='2022']")).click()
    page.wait_for_function("() => location.search.includes('year=2022')", timeout=T)
    page.wait_for_function("() => { const d = document.querySelector('#map .js-plotly-plot').data;"
                           " return d.find(t => t.name === 'data').locations.includes('HND'); }", timeout=T)
    page.wait_for_timeout(300)
    hnd = page.evaluate(UNIT_POINT_JS, ["data", "HND"])
    assert hnd and hnd[2].startswith("rgb(") and not _hatched(_pixels_at(page, hnd[0], hnd[1]))
    assert page.locator("#map-legend .obs-swatch-nodata").count() == 0
    assert page.errors == []


def test_english_page_names_the_countries_in_english(page, real_server):
    """The committed data: the English page calls the Dominican Republic so in its map's tooltip, its ranking
    (names read from the map's GeoJSON, assets/21_ranking.js), its trend and its country list; the Spanish page
    still says República Dominicana."""
    for lang, dom, other in (("en", "Dominican Republic", "República Dominicana"),
                             ("es", "República Dominicana", "Dominican Republic")):
        page.goto(real_server + f"/?country=region&level=0&year=2022&lang={lang}")
        wait_map(page, 5)
        page.wait_for_function("() => document.querySelectorAll('#ranking tbody tr').length >= 5", timeout=T)
        ranking = page.inner_text("#ranking")
        assert dom in ranking and other not in ranking
        page.wait_for_function("(n) => Array.from(document.querySelectorAll('#series .legendtext'))"
                               ".some(t => t.textContent === n)", arg=dom, timeout=T)
        point = page.evaluate(UNIT_POINT_JS, ["data", "DOM"])
        assert point, "the Dominican Republic is not drawn"
        page.mouse.move(point[0], point[1])
        page.wait_for_function("(n) => { const h = document.querySelector('#map .hoverlayer');"
                               " return h && h.textContent.includes(n); }", arg=dom, timeout=T)
        page.click("#ctl-country")
        page.wait_for_function("(n) => Array.from(document.querySelectorAll('.dash-dropdown-content [role=option]'))"
                               ".some(o => o.textContent.includes(n))", arg=dom, timeout=T)
        page.keyboard.press("Escape")
    assert page.errors == []


def test_map_is_redrawn_before_the_panels_beside_it(page, server_url):
    """A filter change applies the map as its response arrives and the trend, ranking and headline after the map
    has been drawn (callbacks/main.py PANELS_AFTER_MAP, assets/20_panels.js); they still all arrive."""
    page.goto(server_url + "/?country=region&level=0&year=2023&lang=en")
    wait_map(page, 3)
    wait_text(page, "#ranking", "Costa Rica")
    page.evaluate("""() => {
        const gd = document.querySelector('#map .js-plotly-plot');
        window.__order = [];
        gd.on('plotly_afterplot', () => window.__order.push('map'));
        for (const id of ['ranking', 'headline-meta']) {
            new MutationObserver(() => window.__order.push(id))
                .observe(document.getElementById(id), {childList: true, subtree: true, characterData: true});
        }
    }""")
    page.click("#ctl-year")
    page.wait_for_timeout(300)
    page.evaluate("() => { window.__order = []; }")   # from the choice on
    page.locator(".dash-dropdown-content [role=option]", has=page.locator("input[value='2022']")).click()
    wait_text(page, "#ranking", "Honduras")      # 2022: Honduras has a value
    wait_text(page, "#headline-meta", "2022")
    order = page.evaluate("() => window.__order")
    assert {"map", "ranking", "headline-meta"} <= set(order)
    assert order.index("map") < min(order.index("ranking"), order.index("headline-meta")), order
    assert page.errors == []


def test_first_view_panels_wait_for_the_maps_areas(page, server_url):
    """On a cold page the map is drawn only when its GeoJSON is in; the panels beside it (trend, ranking) wait for
    the map's areas (assets/20_panels.js, afterMapDrawn), so rendering them never comes between the map's draw and
    its paint. Here the level's GeoJSON is held back until the view's answer has been applied (the map's legend is
    in) and 0.5 s more, time the panels would have used to render without the wait: still the map's areas come
    first and the panels follow."""
    held: list = []
    page.route("**/geo/level-1.json*", lambda route: held.append(route))   # answered below, not before
    page.add_init_script("""(() => {
        window.__first = {};
        new MutationObserver(() => {
            const f = window.__first, now = performance.now();
            if (!f.legend && document.querySelector('#map-legend .obs-legend-item')) f.legend = now;
            if (!f.map && document.querySelector('#map .choroplethlayer path')) f.map = now;
            if (!f.trend && document.querySelector('#series .scatterlayer .trace')) f.trend = now;
            if (!f.ranking && document.querySelector('#ranking tbody tr')) f.ranking = now;
        }).observe(document, {childList: true, subtree: true});
    })()""")
    page.goto(server_url + "/?country=region&level=1&year=2023&lang=en", wait_until="commit")
    page.wait_for_function("() => window.__first.legend", timeout=T)   # the view's answer applied
    page.wait_for_timeout(500)
    assert held and page.evaluate("() => !window.__first.map && !window.__first.trend && !window.__first.ranking")
    for route in held:
        route.continue_()
    wait_map(page, 2)
    page.wait_for_function("() => window.__first.trend && window.__first.ranking", timeout=T)
    first = page.evaluate("() => window.__first")
    assert first["legend"] < first["map"] < min(first["trend"], first["ranking"]), first
    assert page.errors == []


def test_main_page_preloads_the_dcc_chunks_it_renders(page, server_url):
    """web/preload.py names dash-core-components' chunks in the main page's Link header: the page asks for exactly
    those (none missing, none preloaded for nothing: Chromium warns of a preload not used), and each comes once."""
    from web.preload import DCC_ASYNC_CHUNKS

    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if "preload" in m.text else None)
    page.goto(server_url + "/?country=region&level=1&year=2023&lang=en")
    wait_map(page, 2)
    page.wait_for_timeout(3500)   # Chromium reports an unused preload ~3 s after the load event
    names = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    chunks = [n.split("/dcc/async-")[1].split(".js")[0] for n in names if "/dcc/async-" in n]
    assert sorted(chunks) == sorted(DCC_ASYNC_CHUNKS), chunks
    assert warnings == [] and page.errors == []


def test_apply_panels_leaves_alone_what_did_not_change(page, server_url):
    """obs.applyPanels (assets/20_panels.js): a panel's no_update and a value equal to what its component shows
    are left alone; other values are handed over; a list of the wrong length changes nothing."""
    page.goto(server_url + "/?country=region&level=0&year=2023&lang=en")
    wait_map(page, 3)
    res = page.evaluate("""async () => {
        const f = window.dash_clientside.obs.applyPanels, nu = window.dash_clientside.no_update;
        const out = await f([{_dash_no_update: '_dash_no_update'}, {a: [1, 2]}, 'new', null],
                            'shown', {a: [1, 2]}, 'old', 'x');
        const short = await f([1], 'a', 'b');
        return [out.map(v => v === nu ? 'NU' : v), short.map(v => v === nu ? 'NU' : v)];
    }""")
    assert res == [["NU", "NU", "new", None], ["NU", "NU"]]
    # a figure sent without its layout keeps the one shown; sent with part of it, takes the parts named in `keep`
    shown = {"data": [{"y": [1]}], "layout": {"annotations": [{"text": "1"}], "shapes": [{"x0": 2020}],
                                              "xaxis": {"range": [0, 1]}}}
    res = page.evaluate("""async (shown) => {
        const f = window.dash_clientside.obs.applyPanels;
        const all = await f([{data: [{y: [2]}], keep_layout: 'k'}], shown);
        const part = await f([{data: [{y: [3]}], layout: {xaxis: {range: [0, 2]}}, keep: ['annotations', 'shapes', 'meta']}], shown);
        return [all[0], part[0]];
    }""", shown)
    assert res[0] == {"data": [{"y": [2]}], "layout": shown["layout"]}
    assert res[1] == {"data": [{"y": [3]}], "layout": {"xaxis": {"range": [0, 2]}, "annotations": [{"text": "1"}],
                                                      "shapes": [{"x0": 2020}]}}


def test_ranking_sorts_by_a_column_and_keeps_it(page, server_url):
    """The ranking is a plain table drawn in the browser: a header button sorts it (numbers largest first, a
    second click reverses, aria-sort says so), numbers keep the view's symbols, and a new view keeps the sort."""
    page.goto(server_url + "/?country=region&level=0&year=2022")
    wait_map(page, 4)
    page.wait_for_function("() => document.querySelectorAll('#ranking tbody tr').length === 4", timeout=T)

    def column(i):
        return page.evaluate("(i) => [...document.querySelectorAll('#ranking tbody tr')].map(r => r.cells[i].innerText)", i)

    heads = page.evaluate("() => [...document.querySelectorAll('#ranking thead th')].map(t => t.innerText.trim())")
    pop = heads.index("Población")
    assert [h for h in heads if h][:3] == ["Puesto", "Lugar", "Tasa"]
    ranks = [int(x) for x in column(0)]
    assert ranks == sorted(ranks)          # as the view sends it: by rank

    def as_number(text):                   # es_419 here: "," groups thousands
        return float(text.replace(",", ""))

    page.locator("#ranking thead th").nth(pop).locator("button").click()
    page.wait_for_function("(i) => document.querySelectorAll('#ranking thead th')[i].getAttribute('aria-sort') === 'descending'",
                           arg=pop, timeout=T)
    values = [as_number(x) for x in column(pop)]
    assert values == sorted(values, reverse=True) and len(set(values)) == 4
    assert all("," in x for x in column(pop))     # populations in the millions, grouped
    page.locator("#ranking thead th").nth(pop).locator("button").click()
    page.wait_for_function("(i) => document.querySelectorAll('#ranking thead th')[i].getAttribute('aria-sort') === 'ascending'",
                           arg=pop, timeout=T)
    assert [as_number(x) for x in column(pop)] == sorted(values)
    # another year, chosen in the page: new rows (Honduras has no 2023 value), the same sort
    page.click("#ctl-year")
    page.locator(".dash-dropdown-content [role=option]", has=page.locator("input[value='2023']")).click()
    page.wait_for_function("() => location.search.includes('year=2023')", timeout=T)
    page.wait_for_function("() => document.querySelectorAll('#ranking tbody tr').length === 3", timeout=T)
    assert page.locator("#ranking thead th").nth(pop).get_attribute("aria-sort") == "ascending"
    values23 = [as_number(x) for x in column(pop)]
    assert values23 == sorted(values23) and "Honduras" not in column(1)


def test_ranking_writes_names_as_text_and_missing_numbers_as_a_dash(page, server_url):
    """The table is written as HTML in the browser: a name with markup in it is shown as text, never parsed;
    a missing number is an em dash (not a blank that reads as zero); numbers use the symbols given."""
    page.goto(server_url + "/")
    wait_map(page, 4)
    page.wait_for_function("() => document.querySelectorAll('#ranking tbody tr').length === 4", timeout=T)
    n = page.evaluate("""() => window.dash_clientside.obs.rankingTable({
        cols: {rank: [1], rate: [1234.5], count: [null], source: [0]}, sources: ['S'],
        names: {X: '<img src=x onerror="window.__pwned=1">Lugar'},
        columns: [{id: 'rank', name: 'Puesto', decimals: 'int'}, {id: 'name', name: 'Lugar'},
                  {id: 'rate', name: 'Tasa', decimals: 1}, {id: 'count', name: 'Casos', decimals: 0},
                  {id: 'population', name: 'Población', decimals: 0}, {id: 'source', name: 'Fuente'}],
        decimal: ',', group: '.', lang: 'es', empty: 'Sin datos'}, ['X'])""")
    assert n == "1"
    cells = page.evaluate("() => [...document.querySelectorAll('#ranking tbody td')].map(c => c.innerText)")
    # a column left out of the columns (population: no row has one) is a dash too
    assert cells == ["1", '<img src=x onerror="window.__pwned=1">Lugar', "1.234,5", "\u2014", "\u2014", "S"]
    assert page.evaluate("() => document.querySelector('#ranking img') === null && !window.__pwned")


def test_ranking_names_come_from_the_maps_geojson(page, server_url, fixture_dir):
    """The ranking's rows travel by unit id, their ids apart and without the names the map's GeoJSON carries
    (core/view.py ranking_wire): the table shows each unit's name read from that GeoJSON, by rank then name, as
    the server's rows have them; a GeoJSON that cannot be read leaves the unit ids in place of names, never a
    blank."""
    from core import query, view
    from core.viewstate import parse

    q = "country=region&level=1&year=2023&lang=es"
    page.goto(server_url + "/?" + q)
    wait_map(page, 2)
    query.set_default_data_dir(fixture_dir)
    ds = query.get_dataset()
    rows = view.ranking_view(ds, parse(q, query.catalog(ds))[0])["rows"]
    assert len(rows) >= 2
    page.wait_for_function("(n) => document.querySelectorAll('#ranking tbody tr').length === n", arg=len(rows),
                           timeout=T)
    shown = page.evaluate("() => [...document.querySelectorAll('#ranking tbody tr')].map(r => [r.dataset.unit, r.cells[1].innerText])")
    assert shown == [[r["unit_id"], r["name"]] for r in sorted(rows, key=lambda r: (r["rank"], r["name"]))]
    assert [r["unit_id"] for r in rows] != sorted(r["unit_id"] for r in rows)   # so the order was rebuilt
    n = page.evaluate("""() => window.dash_clientside.obs.rankingTable({
        cols: {rank: [1], count: [5], source: [0]}, sources: ['S'], geo: '/geo/none.json',
        columns: [{id: 'rank', name: 'Puesto', decimals: 'int'}, {id: 'name', name: 'Lugar'}],
        decimal: ',', group: '.', lang: 'es', empty: ''}, ['CR-SJ'])""")
    assert n == "1"
    assert page.evaluate("() => document.querySelector('#ranking tbody td:nth-child(2)').innerText") == "CR-SJ"


def _map_png(page):
    from PIL import Image

    return Image.open(io.BytesIO(page.locator(".obs-map").screenshot())).convert("RGB")


@pytest.mark.parametrize("search", ["/?country=CRI&level=2&year=2023", "/?level=1&lang=en"])
def test_static_map_first_then_the_same_map_from_plotly(page, server_url, search):
    """The server's image of the map (/map.svg) is on screen before plotly.js has arrived, and plotly's map, when
    it is drawn, replaces it without a visible change: the two screenshots of the map differ in under 1.5 % of
    their pixels (anti-aliasing along the outlines); a shifted or mis-coloured image fails this."""
    import numpy as np
    from PIL import ImageChops

    held = []
    page.route("**/plotly-obs.min.js*", lambda route: held.append(route))   # plotly.js held back
    page.goto(server_url + search)
    page.wait_for_function("() => { const i = document.querySelector('img.obs-map-static');"
                           " return i && !i.hidden && i.complete && i.naturalWidth > 0; }", timeout=T)
    page.wait_for_timeout(300)
    assert held, "plotly.js was not asked for"
    assert page.locator("#map .choroplethlayer path").count() == 0   # what is on screen is the image
    before = _map_png(page)
    for route in held:
        route.continue_()
    page.unroute("**/plotly-obs.min.js*")
    wait_map(page)
    page.wait_for_function("() => document.querySelector('img.obs-map-static').hidden", timeout=T)
    page.wait_for_timeout(300)
    after = _map_png(page)
    diff = np.asarray(ImageChops.difference(before, after)).max(axis=2)
    assert before.size == after.size
    assert (np.asarray(before).min(axis=2) < 200).mean() > 0.05        # the image did show a map, not a blank
    # the no-data hatching (grey and white stripes) is drawn in each one's own units: its stripes may not be in
    # the same place (the image cannot know the size it is shown at). Pixels of the hatching in both are left out;
    # an area hatched in one and coloured in the other, an outline, land or a class colour still count
    def hatching(img):
        a = np.asarray(img).astype(int)
        return (a.max(axis=2) - a.min(axis=2) <= 4) & (a.min(axis=2) >= 190) & (a.max(axis=2) <= 252)
    diff[hatching(before) & hatching(after)] = 0
    assert (diff > 40).mean() < 0.015, f"{(diff > 40).mean():.3%} of the map's pixels changed"
    assert not page.errors


def test_static_map_that_fails_to_load_leaves_no_broken_image(page, server_url):
    page.route("**/map.svg*", lambda route: route.fulfill(status=503, body="unavailable"))
    page.goto(server_url + "/?country=CRI&level=1")
    wait_map(page)
    page.wait_for_function("() => document.querySelector('img.obs-map-static').hidden", timeout=T)


def test_first_screen_while_the_scripts_are_held_back(page, server_url):
    """Until Dash's scripts have run, the page shows the title and the view's map (web/splash.py), faded in after
    1 s; Dash's first render then replaces it with the page."""
    held = []
    page.route("**/dash_renderer*", lambda route: held.append(route))
    page.goto(server_url + "/?country=CRI&level=1&lang=en", wait_until="commit")
    page.wait_for_function("() => { const s = document.querySelector('.obs-splash');"
                           " const i = document.querySelector('.obs-splash-map');"
                           " return s && i && i.complete && i.naturalWidth > 0"
                           " && getComputedStyle(s).opacity === '1'; }", timeout=T)
    assert page.inner_text(".obs-splash-title") == "Citizen Security Observatory"
    box = page.locator(".obs-splash-map").bounding_box()
    assert box["width"] > 300 and box["height"] > 100          # a map, not a broken-image icon
    assert held, "the Dash renderer was not asked for"
    for route in held:
        route.continue_()
    page.unroute("**/dash_renderer*")
    wait_map(page)
    assert page.locator(".obs-splash").count() == 0
    assert not page.errors
