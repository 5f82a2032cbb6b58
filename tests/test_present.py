"""Decks, events, presenter URL parameters, fixed classes across years (issue 4). Synthetic fixture data
(tests/fixtures.py) unless the test says it reads the committed decks on the real data."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core import animation, decks, events, query
from core.viewstate import ViewState, parse, parse_present, resolve, to_query
from tests import fixtures as F

GOOD_VIEW = "country=CRI&level=1&offense=homicide&year=2023&measure=count"


@pytest.fixture(scope="module")
def cat(ds):
    return query.catalog(ds)


# ---- decks -------------------------------------------------------------------------------------------
def deck_obj(**over):
    d = {"title": {"es": "Prueba", "en": "Test"},
         "slides": [{"title": {"es": "Uno", "en": "One"}, "view": GOOD_VIEW},
                    {"title": {"es": "Dos", "en": "Two"}, "view": "country=region&year=2022"}]}
    d.update(over)
    return d


def test_a_valid_deck_resolves_every_slide(cat):
    deck, problems = decks.parse_deck(deck_obj(), cat, "t")
    assert problems == [] and len(deck.slides) == 2
    s = deck.slides[0].state
    assert (s.country, s.level, s.year, s.measure) == ("CRI", 1, 2023, "count")
    assert deck.slides[1].state.year == 2022 and deck.slides[1].title["en"] == "Two"


@pytest.mark.parametrize("obj, expect", [
    ([], "JSON object"),
    (deck_obj(title="Prueba"), "title must be"),
    (deck_obj(slides=[]), "non-empty list"),
    (deck_obj(slides=["country=CRI"]), "slide 1: must be an object"),
    (deck_obj(slides=[{"title": {"es": "a", "en": "b"}, "view": "country=XXX"}]), "slide 1: not valid"),
    (deck_obj(slides=[{"title": {"es": "a", "en": "b"}, "view": "country=CRI&year=1850"}]), "year=1850"),
    # a view that exists but has no data as written (a rate for municipalities without population)
    (deck_obj(slides=[{"title": {"es": "a", "en": "b"}, "view": "country=GTM&level=2&year=2019"}]), "slide 1"),
    (deck_obj(slides=[{"title": {"es": "<b>a</b>", "en": "b"}, "view": GOOD_VIEW}]), "plain text"),
    (deck_obj(slides=[{"title": {"es": "a", "en": "b"}, "view": 5}]), "query string"),
    (deck_obj(extra=1), "unknown keys: extra"),
    (deck_obj(slides=[{"title": {"es": "a", "en": "b"}, "view": GOOD_VIEW}] * 51), "at most 50"),
])
def test_bad_decks_give_clear_messages(cat, obj, expect):
    deck, problems = decks.parse_deck(obj, cat, "t")
    assert deck is None
    assert any(expect in p for p in problems), problems


def test_deck_files_names_and_json(cat, tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps(deck_obj()), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "big.json").write_text(" " * (decks.MAX_DECK_BYTES + 1), encoding="utf-8")
    assert decks.load_deck("ok", cat, tmp_path)[0] is not None
    assert "not valid JSON" in decks.load_deck("broken", cat, tmp_path)[1][0]
    assert "larger than" in decks.load_deck("big", cat, tmp_path)[1][0]
    assert "no deck called" in decks.load_deck("missing", cat, tmp_path)[1][0]
    for hostile in ("../etc/passwd", "ok.json", "/abs", "A", "", "x" * 80):
        deck, problems = decks.load_deck(hostile, cat, tmp_path)
        assert deck is None and problems


def test_a_wrong_deck_name_offers_the_decks_that_can_be_shown(cat, tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps(deck_obj()), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "also-ok.json").write_text(json.dumps(deck_obj(title={"es": "Otra", "en": "Another"})),
                                           encoding="utf-8")
    # a deck titled in one language only is not valid: not offered
    (tmp_path / "es-only.json").write_text(json.dumps(deck_obj(title={"es": "Solo español"})), encoding="utf-8")
    # only the valid ones, sorted by name, titled in the page's language
    assert decks.available_decks(cat, "en", tmp_path) == [("also-ok", "Another"), ("ok", "Test")]
    assert decks.available_decks(cat, "es", tmp_path) == [("also-ok", "Otra"), ("ok", "Prueba")]
    assert decks.available_decks(cat, "es", tmp_path / "nowhere") == []


def test_inline_slides_from_the_url(cat):
    q = "view=present&slides=" + "|".join(__import__("urllib.parse").parse.quote(v, safe="")
                                          for v in (GOOD_VIEW, "country=SLV&unit=SLV&year=2022"))
    params, notes = parse_present(q)
    assert notes == [] and params.present and len(params.slides) == 2
    deck, problems = decks.inline_deck(params.slides, cat)
    assert problems == [] and [s.state.country for s in deck.slides] == ["CRI", "SLV"]


@pytest.mark.parametrize("q, field, value", [
    ("view=present&slide=3", "slide", 3),
    ("view=present&slide=0", "slide", 1),
    ("view=present&slide=-1", "slide", 1),
    ("view=present&slide=99999", "slide", 1),
    ("view=present&slide=1&slide=2", "slide", 1),
    ("view=present&deck=../../x", "deck", None),
    ("view=present&deck=<script>", "deck", None),
    ("view=presentation", "present", False),
    ("view=present&view=present", "present", False),
])
def test_hostile_presenter_params_fall_back_with_a_note(q, field, value):
    params, notes = parse_present(q)
    assert getattr(params, field) == value
    if q not in ("view=present&slide=3",):
        assert notes


def test_events_param_round_trips(cat):
    s, notes = parse("country=CRI&events=0", cat)
    assert s.events == 0 and notes == [] and "events=0" in to_query(s)
    s, notes = parse("country=CRI&events=2", cat)
    assert s.events == 1 and notes[0].param == "events"
    assert "events" not in to_query(ViewState())


def test_the_committed_decks_are_valid_on_the_real_data():
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    cat = query.catalog(real)
    names = decks.list_decks()
    assert {"homicidio-region", "costa-rica-2023"} <= set(names)
    for name in names:
        deck, problems = decks.load_deck(name, cat)
        assert problems == [], (name, problems)
        assert deck.title["es"] and deck.title["en"] and len(deck.slides) >= 3
    cr = decks.load_deck("costa-rica-2023", cat)[0]
    assert {s.state.sex for s in cr.slides} == {"total", "female", "male"}
    assert all(s.state.country == "CRI" and s.state.year == 2023 for s in cr.slides)


# ---- events ------------------------------------------------------------------------------------------
ROW = {"date": "2022-03-27", "country": "SLV", "label_es": "Régimen de excepción", "label_en": "State of exception",
       "source_url": "https://example.org/x", "source_name": "Asamblea"}


@pytest.mark.parametrize("change, why", [
    ({"date": "27/03/2022"}, "YYYY-MM-DD"),
    ({"date": "2022-02-30"}, "YYYY-MM-DD"),
    ({"country": "XYZ"}, "unknown country"),
    ({"country": "slv"}, "unknown country"),
    ({"label_en": ""}, "missing label_en"),
    ({"label_es": "<script>x</script>"}, "markup"),
    ({"source_url": "javascript:alert(1)"}, "https://"),
    ({"source_url": "http://insecure.example"}, "https://"),
    ({"label_es": "x" * 81}, "too long"),
])
def test_bad_event_rows_are_left_out_with_a_reason(change, why):
    evs, problems = events.validate_rows([ROW, {**ROW, **change}], {"SLV", "HND"})
    assert len(evs) == 1 and len(problems) == 1 and why in problems[0] and problems[0].startswith("row 3")


def test_the_committed_events_file_is_valid_and_cited(ds):
    evs, problems = events.load_events(countries={"BLZ", "CRI", "DOM", "SLV", "GTM", "HND", "PAN", "NIC"})
    assert problems == []
    by = {(e.country, e.date.isoformat()): e for e in evs}
    assert ("SLV", "2022-03-27") in by and "333" in by[("SLV", "2022-03-27")].label_es
    assert ("HND", "2022-12-06") in by and "PCM-29-2022" in by[("HND", "2022-12-06")].label_en
    assert all(e.source_url.startswith("https://") and e.source_name for e in evs)


def test_events_on_the_series_and_the_toggle(ds):
    from core import view
    cat = query.catalog(ds)
    on, _, _ = resolve("country=SLV&unit=SLV&year=2022", cat)
    fig = view.series_view(ds, on)["figure"]
    listed = fig["layout"]["meta"]["events"]
    # El Salvador: its own events and the region-wide one, none of Honduras'
    assert [e["date"] for e in listed] == ["2019-06-20", "2020-03-11", "2022-03-27"]
    lines = [s for s in fig["layout"]["shapes"] if s.get("name") == "event"]
    # 27 March 2022 = 2022 + 85/365 on the year axis
    assert [round(s["x0"], 3) for s in lines] == [round(2019 + 170 / 365, 3), round(2020 + 70 / 366, 3),
                                                   round(2022 + 85 / 365, 3)]
    off, _, _ = resolve("country=SLV&unit=SLV&year=2022&events=0", cat)
    fig0 = view.series_view(ds, off)["figure"]
    assert not [s for s in fig0["layout"]["shapes"] if s.get("name") == "event"]


# ---- fixed classes across years ----------------------------------------------------------------------
def test_fixed_bins_cover_every_year_of_the_selection(ds):
    state, _, _ = resolve("country=region&level=0&year=2022", query.catalog(ds))
    assert animation.years_with_data(ds, state) == [2019, 2020, 2021, 2022, 2023]
    allv = sorted(v for c in F.UNODC_RATE.values() for v in c.values())
    bins = animation.fixed_bins(ds, state)
    assert bins[-1] == max(allv) == 41.2
    # quintiles of the 19 published rates (independently: numpy's percentiles)
    assert bins[:-1] == pytest.approx([float(np.percentile(allv, q)) for q in (20, 40, 60, 80)])
    for year in (2019, 2023):
        p = animation.year_payload(ds, state, year, bins)
        vals = {u: F.UNODC_RATE[u][year] for u in p["ids"]}
        # the same value gets the same class whatever the year: class = first bound >= value
        for uid, z in zip(p["ids"], p["z"]):
            assert z == next(i for i, b in enumerate(bins) if vals[uid] <= b)
        assert [it["label"] for it in p["legend"] if not it.get("nodata")] == \
            [it["label"] for it in animation.year_payload(ds, state, 2021, bins)["legend"] if not it.get("nodata")]


def test_slide_trend_ticks_for_the_projector(ds):
    from core import slides
    cat = query.catalog(ds)
    one_year, _, _ = resolve("country=CRI&level=1&year=2023&measure=count&sex=female", cat)   # 2023 only
    fig = slides.slide_content(ds, one_year)["series"]
    assert fig["layout"]["xaxis"]["dtick"] == 1 and fig["layout"]["xaxis"]["tickfont"]["size"] >= 20
    assert fig["layout"]["legend"]["font"]["size"] >= 20
    assert all(a["font"]["size"] >= 20 for a in fig["layout"].get("annotations") or [])


def test_years_with_data_from_arrays_equals_the_pandas_filter():
    """animation.years_with_data reads the slice's prepared arrays; on the committed data it gives, for every
    level, focus, offence, sex and measure, the years the pandas filter (_scope_values) gives."""
    from core import animation, query
    from core.viewstate import ViewState
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")
    cat = query.catalog(real)
    checked = nonempty = 0
    for level in (0, 1, 2):
        for country in (query.REGION, *cat.countries):
            for offense in ("homicide", "robbery", "theft", "extortion"):
                for sex in ("total", "female"):
                    for measure in ("rate", "count"):
                        for unit in (None, "CR-SJ") if country == "CRI" and level == 2 else (None,):
                            st = ViewState(country=country, level=level, offense=offense, sex=sex, measure=measure,
                                           unit=unit)
                            want = sorted(int(y) for y in animation._scope_values(real, st)["year"].unique())
                            assert animation.years_with_data(real, st) == want, st
                            checked += 1
                            nonempty += bool(want)
    assert checked >= 432 and nonempty > 100
