"""Callbacks called as functions (no server): the URL sync, the map (full figure vs Patch), text and ranking."""
import pytest
from dash import Patch, no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from core import figures, ids, query

NODATA, DATA = figures.TRACE["nodata"], figures.TRACE["data"]


@pytest.fixture(scope="module")
def cb(fixture_dir):
    query.set_default_data_dir(fixture_dir)
    from callbacks import main
    return main


def _trigger(prop_id, value=None):
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))


def _sync(cb, search, trigger=None, **controls):
    vals = dict(country=None, level=None, offense=None, year=None, sex=None, age=None, measure=None) | controls
    _trigger(f"{trigger}.value" if trigger else f"{ids.URL}.search", None)
    out = cb.sync_view(search, vals["country"], vals["level"], vals["offense"], vals["year"], vals["sex"],
                       vals["age"], vals["measure"], None)
    return out


def test_sync_from_url_does_not_rewrite_url(cb):
    out = _sync(cb, "?country=CRI&level=1&year=2023")
    assert out[0] is no_update
    assert out[1:8] == ("CRI", 1, "homicide", 2023, "total", "total", "rate")
    store = out[-1]
    assert store["state"]["country"] == "CRI" and store["notes"] == []


def test_sync_control_change_writes_url(cb):
    out = _sync(cb, "?country=CRI&level=1&year=2023", trigger=ids.OFFENSE, offense="theft")
    assert out[0].startswith("?country=CRI&level=1&offense=theft&year=2023")
    year_opts = out[8 + 3]
    assert {o["value"]: o["disabled"] for o in year_opts}[2019] is True


def test_options_sent_only_when_the_browser_does_not_show_them(cb):
    """The page keeps a digest of each control's options; a view sends a control's options only when they differ
    from what the browser shows (they were ~1.2 KB gzipped of every filter change, almost always unchanged)."""
    from core import controller

    first = _sync(cb, "?country=CRI&level=1&year=2023")
    opts, digest = first[8:15], first[15]
    assert all(isinstance(o, list) and o for o in opts)          # nothing shown yet: every control's options
    assert list(cb.CONTROL_IDS) == list(controller.CONTROLS)
    assert [len(d) for d in digest.split(".")] == [8] * 7   # small: it goes up with every change
    assert digest == controller.options_digest(dict(zip(cb.CONTROL_IDS, opts)))
    # the same view with those options shown: no options, no new digest; the values are still sent
    _trigger(f"{ids.URL}.search")
    again = cb.sync_view("?country=CRI&level=1&year=2023", None, None, None, None, None, None, None, None, digest)
    assert again[1:8] == first[1:8]   # the controls had no value: every value is sent
    assert all(o is no_update for o in again[8:16])
    # an offence change that disables years: only the controls whose options differ are sent
    _trigger(f"{ids.OFFENSE}.value")
    theft = cb.sync_view("?country=CRI&level=1&year=2023", "CRI", 1, "theft", 2023, "total", "total", "rate", None,
                         digest)
    sent = {k: o for k, o in zip(cb.CONTROL_IDS, theft[8:15]) if o is not no_update}
    assert "year" in sent and {o["value"]: o["disabled"] for o in sent["year"]}[2019] is True
    before = dict(zip(cb.CONTROL_IDS, opts))
    after = controller.sync(query.get_dataset(), None, "?country=CRI&level=1&offense=theft&year=2023").options
    assert set(sent) == {c for c in cb.CONTROL_IDS if after[c] != before[c]} and "measure" not in sent
    assert sent == {c: after[c] for c in sent}
    parts = dict(zip(cb.CONTROL_IDS, digest.split("."))), dict(zip(cb.CONTROL_IDS, theft[15].split(".")))
    assert {c for c in cb.CONTROL_IDS if parts[0][c] != parts[1][c]} == set(sent)
    # what a browser sends back is not trusted: anything but the digest dict gets every control's options
    for junk in (None, "x", [1], {"year": 5}, digest + ".abc", digest.split(".", 1)[1], 5):
        out = cb.sync_view("?country=CRI&level=1&year=2023", None, None, None, None, None, None, None, None, junk)
        assert all(o is not no_update for o in out[8:15])
        assert out[15] == digest
    # one part differs: that control's options alone
    stale = ".".join(["00000000"] + digest.split(".")[1:])
    out = cb.sync_view("?country=CRI&level=1&year=2023", None, None, None, None, None, None, None, None, stale)
    assert [o is not no_update for o in out[8:15]] == [True] + [False] * 6


def test_trend_layout_without_its_events_when_only_they_are_shown():
    """figures.figure_for: a layout whose events' part (annotations, their sources in meta, the lines) the browser
    shows and whose rest differs (another x range) goes without that part, `keep` naming it; a layout part is
    compared by its digest, so any difference in it sends it."""
    from core import figures

    events = {"annotations": [{"x": 2020.2, "text": "<b>1</b>", "hovertext": "2020-03-11 · OMS"}],
              "meta": {"events": [{"n": 1, "source_url": "https://www.who.int/"}]},
              "shapes": [{"type": "line", "x0": 2023}, {"type": "line", "x0": 2020.2, "name": "event"}]}
    shown = {"data": [{"y": [1]}], "layout": {**events, "xaxis": {"range": [2014.5, 2025.5]}}}
    new = {"data": [{"y": [2]}], "layout": {**events, "xaxis": {"range": [2018.5, 2025.5]}}}
    key = figures.layout_key(shown["layout"])
    fig, new_key = figures.figure_for(new, key)
    assert new_key.split(".")[0] == key.split(".")[0] and new_key != key
    assert fig == {"data": new["data"], "layout": {"xaxis": {"range": [2018.5, 2025.5]}},
                   "keep": ["annotations", "meta", "shapes"]}
    moved = {**new["layout"], "shapes": [{"type": "line", "x0": 2022}, events["shapes"][1]]}
    assert figures.figure_for({"data": [], "layout": moved}, key)[0]["layout"] == moved    # the year's line moved
    assert figures.figure_for(shown, key)[0] == {"data": shown["data"], "keep_layout": key}


def test_panels_sent_only_when_the_browser_does_not_show_them(cb):
    """The panels beside the map (trend, ranking, texts, links) go as a list with the digest of their values last;
    the browser keeps that digest as it applies them and sends it up: a panel whose value it shows already comes
    back as no_update. The same view again sends none; another offence sends what changed and leaves e.g. the
    place's name and the footer's sources; junk in the store sends everything."""
    from core import digests

    def view_(search, offense, shown):
        _trigger(f"{ids.OFFENSE}.value")
        out = cb.update_view(search, "CRI", 1, offense, 2023, "total", "total", "rate", None, None, None, None,
                             shown)[-1]
        assert len(out) == len(cb.AFTER_MAP_OUTPUTS)
        return dict(zip([f"{o.component_id}.{o.component_property}" for o in cb.AFTER_MAP_OUTPUTS], out))

    q = "?country=CRI&level=1&year=2023&unit=CR-SJ&lang=en"
    first = view_(q, "homicide", None)
    digest = first.pop(f"{ids.PANELS_SHOWN}.data")
    assert all(v is not no_update for v in first.values())              # nothing shown yet: every panel
    assert [len(d) for d in digest.split(".")] == [8] * len(first)        # 8 hex a panel: it goes up each time
    assert digests.to_send(list(first.values()), None)[1] == digest
    again = view_(q, "homicide", digest)
    assert all(v is no_update for v in again.values())                  # the same view: nothing again
    theft = view_(q, "theft", digest)
    full = view_(q, "theft", None)
    new_digest = full.pop(f"{ids.PANELS_SHOWN}.data")
    assert theft.pop(f"{ids.PANELS_SHOWN}.data") == new_digest
    sent = {k for k, v in theft.items() if v is not no_update}
    kept = {k for k, v in theft.items() if v is no_update}

    def key(value):   # the value's JSON (components as theirs), digested
        return digests.to_send([value], None)[1]

    assert sent == {k for k in full if key(full[k]) != key(first[k])}
    assert f"{ids.RANKING_DATA}.data" in sent and f"{ids.HEADLINE_META}.children" in sent
    assert {f"{ids.HEADLINE_PLACE}.children", f"{ids.FOOTER_SOURCES}.children"} <= kept   # the same: not again
    assert all(key(theft[k]) == key(full[k]) for k in sent)
    for junk in (None, 5, ["x"], "x", digest + ".00000000", digest.split(".", 1)[1]):
        out = view_(q, "homicide", junk)
        assert all(v is not no_update for k, v in out.items())


def test_control_values_sent_only_when_the_control_shows_another(cb):
    """A control's value goes back only when it differs from the value the control has (its Input): the first
    view of a page and a plain change send none; a change the view reconciles (an offence without figures for
    the year shown) sends the year it moves to, and only that."""
    q = "?country=CRI&level=1&year=2023"
    first = _sync(cb, q)
    shown = dict(zip(cb.CONTROL_IDS, first[1:8]))
    again = _sync(cb, q, **shown)                                         # the page as rendered
    assert all(v is no_update for v in again[1:8]) and again[-1]["state"] == first[-1]["state"]
    year = _sync(cb, q, trigger=ids.YEAR, **dict(shown, year=2022))       # the user picked 2022
    assert "year=2022" in year[0] and all(v is no_update for v in year[1:8])
    assert year[-1]["state"]["year"] == 2022
    moved = _sync(cb, "?country=CRI&level=1&year=2019", trigger=ids.OFFENSE, **dict(shown, year=2019, offense="theft"))
    sent = {k: v for k, v in zip(cb.CONTROL_IDS, moved[1:8]) if v is not no_update}
    assert moved[-1]["state"]["offense"] == "theft" and moved[-1]["state"]["year"] != 2019
    assert sent == {"year": moved[-1]["state"]["year"]}
    wrong_type = _sync(cb, q, **dict(shown, year="2023", level=True))      # not the same value for the control
    assert wrong_type[4] == 2023 and wrong_type[2] == 1


def test_sync_map_click_drills_down(cb):
    _trigger(f"{ids.MAP}.clickData")
    out = cb.sync_view("?year=2022", None, None, None, None, None, None, None, {"points": [{"location": "CRI"}]})
    assert "country=CRI&level=1" in out[0] and "unit=CRI" in out[0]


def test_sync_hostile_url_shows_note(cb):
    out = _sync(cb, "?year=%3Cscript%3E")
    assert out[4] == 2022
    assert out[-1]["notes"][0]["kind"] == "invalid"


def test_map_full_then_patch(cb):
    store = _sync(cb, "?country=CRI&level=1&year=2023&unit=CRI")[-1]
    fig, meta, legend, note = cb.update_map(store, None)
    assert isinstance(fig, dict) and fig["data"][DATA]["geojson"].startswith("/geo/level-1.json?country=CRI")
    assert note == ""
    store2 = _sync(cb, "?country=CRI&level=1&year=2022&unit=CRI")[-1]
    fig2, meta2, _, _ = cb.update_map(store2, meta)
    assert isinstance(fig2, Patch)
    assert meta2 is no_update   # the browser's map holds the same geometry, focus and grey areas: not sent again
    assert cb.update_map(store2, dict(meta, missing=None))[1] == meta   # after the year slider: sent
    store3 = _sync(cb, "?country=GTM&level=1&year=2023&unit=GTM")[-1]
    fig3, meta3, _, note3 = cb.update_map(store3, meta)
    assert meta3["geo_key"] != meta["geo_key"]
    assert isinstance(fig3, dict)   # another country: new GeoJSON, full figure
    assert "Guatemala" in note3     # no data at this level for Guatemala, said plainly
    assert cb.update_map(None, None)[0] is no_update


def test_a_level_without_data_is_said_once_where_the_map_would_be(cb):
    store = _sync(cb, "?country=GTM&level=1&year=2023&unit=GTM&lang=en")[-1]
    assert store["level_has_data"] is False
    note = cb.update_map(store, None)[3]
    assert note.startswith("Guatemala: no data published at this level")
    notes = cb.update_text(store)[6]
    assert not any("no data" in str(n.children).lower() for n in notes), notes


def test_text_and_ranking(cb):
    store = _sync(cb, "?country=CRI&level=1&year=2023&unit=CR-SJ&lang=en")[-1]
    place, value, unit, change, meta, crumb, notes, footer, dl, lang = cb.update_text(store)
    assert place == "San José" and value == "18.8" and unit == "per 100,000 people"
    assert change.startswith("▲ 6 %")
    assert dl.startswith("/download/view.csv?country=CRI&level=1")
    assert "lang=es" in lang and "unit=CR-SJ" in lang
    table, unit_ids, title, note = cb.update_ranking(store)
    assert unit_ids == ["CR-A", "CR-SJ"] and table["cols"]["rank"] == [2, 1]   # by id; shown by rank
    assert table["geo"].startswith("/geo/level-1.json?country=CRI&v=")   # the map's GeoJSON names them
    assert "names" not in table and "name" not in table["cols"]
    assert (table["decimal"], table["group"], table["lang"]) == (".", ",", "en")
    # the map's measure (a rate here) first after the name; a rank is written as an integer
    assert [c["id"] for c in table["columns"]] == ["rank", "name", "rate", "count", "population", "source", "flag"]
    assert table["columns"][0]["decimals"] == "int" and table["columns"][2]["decimals"] == 1
    assert "decimals" not in table["columns"][1]
    assert title.startswith("Ranking") and "2023" in title
    fig, series_notes, key = cb.update_series(store)
    assert [t["name"] for t in fig["data"]] == ["San José", "Costa Rica", "Region"]


def test_one_callback_per_filter_change(cb, fixture_dir):
    """A filter change is one POST: update_view returns the URL, the controls and every panel of the page."""
    import app as app_module   # the module's app points the default data folder at data/: point it back

    query.set_default_data_dir(fixture_dir)
    graph = app_module.app.callback_map
    assert any(k.startswith("..url.search...") for k in graph) and len(graph) > 10
    waiting = [k for k, v in graph.items() if any(i["id"] == ids.VIEW for i in v["inputs"])]
    assert waiting == []   # nothing on the server waits for the view store (it would be a second round trip)
    _trigger(f"{ids.YEAR}.value")
    out = cb.update_view("?country=CRI&level=1&year=2023&unit=CR-SJ&lang=en", "CRI", 1, "homicide", 2022,
                         "total", "total", "rate", None, None)
    n_head = 1 + 7 + 7 + 1 + 1   # URL, values, options, the options' digest, the view store
    # the map and the slider as outputs, then one list: the other panels' values, applied after the map
    assert len(out) == n_head + sum(len(outs) for outs, _ in cb.PANELS) + 1
    assert out[0].startswith("?country=CRI&level=1") and "year=2022" in out[0]
    assert out[n_head - 1]["state"]["year"] == 2022
    fig, meta = out[n_head], out[n_head + 1]
    assert isinstance(fig, dict) and meta["geo_key"]          # no map yet: the full figure
    after_map = out[-1]
    assert len(after_map) == len(cb.AFTER_MAP_OUTPUTS)
    where = {f"{o.component_id}.{o.component_property}": v for o, v in zip(cb.AFTER_MAP_OUTPUTS, after_map)}
    assert where[f"{ids.HEADLINE_PLACE}.children"] == "San José"
    assert where[f"{ids.RANKING_IDS}.data"] == ["CR-A", "CR-SJ"]
    assert [t["name"] for t in where[f"{ids.SERIES}.figure"]["data"]][:2] == ["San José", "Costa Rica"]
    assert "year=2022" in where[f"{ids.DOWNLOAD}.href"]
    # the same change with the map already drawn: a Patch of the values only
    out2 = cb.update_view("?country=CRI&level=1&year=2023&unit=CR-SJ&lang=en", "CRI", 1, "homicide", 2022,
                          "total", "total", "rate", None, meta)
    assert isinstance(out2[n_head], Patch)


def test_trend_with_counts_shows_the_place_alone(cb):
    """Counts of a place beside the far larger country/region totals flatten its line: the trend shows the
    place alone and says why; with rates the comparison lines stay."""
    store = _sync(cb, "?country=CRI&level=1&year=2023&unit=CR-SJ&measure=count&lang=en")[-1]
    assert store["state"]["measure"] == "count"
    fig, notes, _ = cb.update_series(store)
    assert [t["name"] for t in fig["data"] if t.get("mode") != "text"] == ["San José"]
    assert any("San José alone" in n.children for n in notes)
    store = _sync(cb, "?country=CRI&level=1&year=2023&unit=CR-SJ&measure=rate&lang=en")[-1]
    fig, notes, _ = cb.update_series(store)
    assert [t["name"] for t in fig["data"]][:3] == ["San José", "Costa Rica", "Region"]


def test_trend_layout_sent_only_when_the_browser_does_not_show_it(cb):
    """The trend's layout (axes, the year's line, the events' lines and labels: ~1 KB gzipped) goes with the first
    view and whenever it changes; a view with the layout the browser shows (`series-shown`) sends the data and
    `keep_layout`. The key is the layout's, in two parts: another place with the same years keeps it all, a change
    of measure (the axis title) sends all but the events' part, a change of year (the year's line) all. Junk in
    the store sends the whole figure."""
    from core import figures, view

    def shown_layout(query_):
        store = _sync(cb, query_)[-1]
        state = cb._state(store)
        return store, view.series_view(query.get_dataset(), state)["figure"]

    store, full = shown_layout("?country=CRI&level=1&year=2023&unit=CR-SJ&lang=en")
    fig, _, key = cb.update_series(store, None)
    assert fig == full and key == figures.layout_key(full["layout"])
    fig, _, key2 = cb.update_series(store, key)
    assert key2 == key and fig == {"data": full["data"], "keep_layout": key}   # data only
    # another place: the same layout (axis, year, events), only its data
    store_o, full_o = shown_layout("?country=CRI&level=1&year=2023&unit=CR-A&lang=en")
    assert full_o["layout"] == full["layout"] and full_o["data"] != full["data"]
    assert cb.update_series(store_o, key)[0] == {"data": full_o["data"], "keep_layout": key}
    # another year (the year's line moves) or measure (the axis title; counts cover other years, so the event's
    # label falls outside): both parts differ, the whole layout goes
    for q in ("?country=CRI&level=1&year=2022&unit=CR-SJ&lang=en",
              "?country=CRI&level=1&year=2023&unit=CR-SJ&measure=count&lang=en"):
        store_y, full_y = shown_layout(q)
        fig_y, _, key_y = cb.update_series(store_y, key)
        assert key_y.split(".")[0] != key.split(".")[0] and fig_y == full_y
    for junk in (None, 3, ["x"], {"a": 1}, "", key + "x", key.split(".")[0], key.split(".")[0] + ".x"):
        assert cb.update_series(store, junk)[0] == full
    # through the one callback: the key is one of the panels applied after the map, and the State is read
    after = cb.update_view("?country=CRI&level=1&year=2023&unit=CR-SJ&lang=en", "CRI", 1, "homicide", 2023,
                           "total", "total", "rate", None, None, None, key)[-1]
    where = {f"{o.component_id}.{o.component_property}": v for o, v in zip(cb.AFTER_MAP_OUTPUTS, after)}
    assert where[f"{ids.SERIES_SHOWN}.data"] == key
    assert where[f"{ids.SERIES}.figure"] == {"data": full["data"], "keep_layout": key}


def _ops(patch) -> list[tuple]:
    return [tuple(op["location"]) for op in patch.to_plotly_json()["operations"]]


def test_grey_areas_are_sent_only_when_they_change(cb):
    """The ids of the no-data areas (most of a level-2 map) travel only when they differ from what the browser
    has (map-meta 'missing'); the year slider, which repaints them, clears that key."""
    store = _sync(cb, "?country=CRI&level=1&year=2023&unit=CRI")[-1]
    fig, meta, _, _ = cb.update_map(store, None)
    assert isinstance(fig, dict) and meta["missing"]
    patch, meta2, _, _ = cb.update_map(store, meta)                      # the same grey areas
    assert ("data", NODATA, "locations") not in _ops(patch) and ("data", DATA, "z") in _ops(patch)
    assert meta2 is no_update                                            # what the browser holds already
    patch, meta3, _, _ = cb.update_map(store, dict(meta, missing=None))  # unknown (after the slider): resend
    assert ("data", NODATA, "locations") in _ops(patch) and meta3["missing"] == meta["missing"]
    patch, _, _, _ = cb.update_map(store, dict(meta, missing="0" * 16))  # other grey areas: resend
    assert ("data", NODATA, "locations") in _ops(patch)


def test_coloured_areas_ids_are_sent_only_when_they_change(cb):
    """The coloured areas' ids go in id order, so a view with the same units (another year, offence...) sends
    their values and tooltips and not their ids (map-meta 'ids'); the values sent are those of the browser's ids."""
    from core import view

    store = _sync(cb, "?country=region&level=0&year=2023")[-1]
    fig, meta, _, _ = cb.update_map(store, None)
    ids0 = fig["data"][DATA]["locations"]
    assert ids0 == sorted(ids0) and meta["ids"]
    seen = set()
    for q in ("?country=region&level=0&year=2023&lang=en", "?country=region&level=0&year=2022"):
        st = _sync(cb, q)[-1]
        payload = view.map_piece(query.get_dataset(), cb._state(st))
        patch, meta2, _, _ = cb.update_map(st, meta)
        sent = {tuple(op["location"]): op["params"].get("value") for op in patch.to_plotly_json()["operations"]}
        seen.add(payload["ids"] == ids0)
        if payload["ids"] == ids0:   # the same units: no ids, the values in the browser's order
            assert ("data", DATA, "locations") not in sent and meta2 is no_update
        else:                        # other units (2022: Honduras has a value): sent, and the meta says so
            assert sent[("data", DATA, "locations")] == payload["ids"] and meta2["ids"] != meta["ids"]
        assert sent[("data", DATA, "z")] == payload["z"] and sent[("data", DATA, "hovertext")] == payload["hovertext"]
    assert seen == {True, False}     # both cases were met
    patch, _, _, _ = cb.update_map(store, dict(meta, ids=None))       # unknown (after the slider): resend
    assert ("data", DATA, "locations") in _ops(patch)


def test_year_slider_clears_the_grey_areas_key(fixture_dir):
    from tests.reliability.conftest import make_app

    client = make_app(fixture_dir).server.test_client()
    query.set_default_data_dir(fixture_dir)
    dep = next(d for d in client.get("/_dash-dependencies").json
               if any(i["id"] == "anim-req" for i in d["inputs"]))
    assert "map-meta.data" in dep["output"]
    ds = query.get_dataset(fixture_dir)
    from core import controller
    st = controller.sync(ds, None, "?country=CRI&level=1&year=2023").state
    from core import animation
    years = animation.years_with_data(ds, st)
    assert len(years) >= 2
    names = dep["output"][2:-2].split("...")
    body = {"output": dep["output"],
            "outputs": [dict(zip(("id", "property"), n.rsplit(".", 1))) for n in names],
            "inputs": [dict(dep["inputs"][0], value={"year": years[0], "info": {"years": years,
                                                                             "state": st.to_dict()}})],
            "state": [dict(dep["state"][0], value={"geo_key": "g", "focus": "f", "missing": "abc", "ids": "def"})],
            "changedPropIds": ["anim-req.data"]}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.data[:300]
    resp = r.json["response"]
    # the slider's year sent its grey and coloured areas: the next view sends them again
    assert resp["map-meta"]["data"] == {"geo_key": "g", "focus": "f", "missing": None, "ids": None}
    assert resp["map"]["figure"]["__dash_patch_update"]


def test_exported_images_name_the_sources_of_what_they_show(cb):
    """The trend's image names every source its lines draw (San José's OIJ, Costa Rica's and the region's UNODC),
    the map's every source of its areas; not only the headline's (San José's OIJ)."""
    from callbacks import present as pr

    store = _sync(cb, "?country=CRI&level=1&year=2023&unit=CR-SJ&measure=rate&lang=en")[-1]
    out = pr.main_extras(store)
    map_meta, series_meta = out[4], out[5]
    assert series_meta["source"].startswith("Source: ") and "UNODC" in series_meta["source"]
    assert "OIJ" in series_meta["source"]
    # the map of Costa Rica's provinces: OIJ's counts over INEC's population (computed rates)
    assert "OIJ" in map_meta["source"] and "INEC" in map_meta["source"] and "UNODC" not in map_meta["source"]
    assert map_meta["source"].index("OIJ") < map_meta["source"].index("INEC")   # the figures' source first
    # the same map in counts: the population is behind no figure of it (the page's footer still names it)
    counts = pr.main_extras(_sync(cb, "?country=CRI&level=1&year=2023&unit=CR-SJ&measure=count&lang=en")[-1])[4]
    assert "OIJ" in counts["source"] and "INEC" not in counts["source"]
