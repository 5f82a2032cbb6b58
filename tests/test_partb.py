"""Issue 5 part B: compare, reconciliation, small numbers/pooling, embeds. Expected numbers are computed here with
pandas straight from the Parquet files (or by hand from the constants below), never by the code under test.

Uses the shared synthetic fixture plus a few SYNTHETIC extra rows written into a separate folder: two sources that
disagree for El Salvador 2022, a priority tie for Guatemala 2023, and small extortion counts in San José."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.fixtures import INEC_POP, OIJ_COUNT_2023, UNODC_RATE, write_fixture_dataset

EXTRA_SOURCES = [("sv_pnc", "PNC El Salvador", 3), ("sv_gov", "Gobierno El Salvador", 4),
                 ("gt_a", "Fuente A", 7), ("gt_b", "Fuente B", 7), ("cr_x", "OIJ extorsión", 1)]
SV_2022 = {"sv_pnc": 569, "sv_gov": 495}
GT_2023 = {"gt_a": 120, "gt_b": 100}
EXT = {"CR-SJ": {2020: 5, 2021: 6, 2022: 12}, "CR-A": {2020: 30, 2021: 40, 2022: 50}}
EXTRA_POP = {2020: {"CR-SJ": 1_560_000, "CR-A": 970_000}, 2021: {"CR-SJ": 1_570_000, "CR-A": 980_000}}


@pytest.fixture(scope="module")
def bdir(tmp_path_factory):
    d = write_fixture_dataset(tmp_path_factory.mktemp("partb"))
    f = pd.read_parquet(d / "facts.parquet")
    rows = [dict(unit_id="SLV", year=2022, month=None, offense="homicide", sex="total", age_group="total",
                 count=n, rate=None, source_id=s) for s, n in SV_2022.items()]
    rows += [dict(unit_id="GTM", year=2023, month=None, offense="homicide", sex="total", age_group="total",
                  count=n, rate=None, source_id=s) for s, n in GT_2023.items()]
    rows += [dict(unit_id=u, year=y, month=None, offense="extortion", sex="total", age_group="total", count=n,
                  rate=None, source_id="cr_x") for u, by in EXT.items() for y, n in by.items()]
    add = pd.DataFrame(rows).astype({"year": "int16", "month": "Int8", "count": "Float64", "rate": "Float64"})
    pd.concat([f, add], ignore_index=True).to_parquet(d / "facts.parquet", index=False)
    p = pd.read_parquet(d / "population.parquet")
    padd = pd.DataFrame([dict(unit_id=u, year=y, sex="total", age_group="total", population=n, source_id="cr_inec")
                         for y, by in EXTRA_POP.items() for u, n in by.items()])
    padd = padd.astype({"year": "int16", "population": "Int64"})
    pd.concat([p, padd], ignore_index=True).to_parquet(d / "population.parquet", index=False)
    s = pd.read_parquet(d / "sources.parquet")
    sadd = pd.DataFrame([dict(source_id=i, publisher=pub, title="t " + i, address=f"https://example.org/{i}",
                              licence="synthetic", citation=f"{pub} (SYNTHETIC)", notes="synthetic", priority=pr,
                              kind="facts") for i, pub, pr in EXTRA_SOURCES]).astype({"priority": "int64"})
    pd.concat([s, sadd], ignore_index=True).to_parquet(d / "sources.parquet", index=False)
    return d


@pytest.fixture(scope="module")
def bds(bdir):
    from core import query
    return query.get_dataset(bdir)


# ---- reconciliation ---------------------------------------------------------------------------------------
def test_cell_sources_against_parquet(bds, bdir):
    from core import query
    cs = query.cell_sources(bds, "SLV", 2022, "homicide").set_index("source_id")
    f = pd.read_parquet(bdir / "facts.parquet")
    raw = f[(f.unit_id == "SLV") & (f.year == 2022) & (f.offense == "homicide") & (f.sex == "total")
            & (f.age_group == "total") & f.month.isna()]
    assert set(cs.index) == set(raw.source_id) == {"unodc", "sv_pnc", "sv_gov"}
    assert cs.loc["sv_pnc", "count"] == 569 and cs.loc["sv_gov", "count"] == 495
    assert cs.loc["unodc", "rate"] == pytest.approx(7.8)
    # the map's count is the lowest priority number (sv_pnc 3 < sv_gov 4); its rate is UNODC's published rate
    assert cs["map_count"].tolist().count(True) == 1 and bool(cs.loc["sv_pnc", "map_count"])
    assert bool(cs.loc["unodc", "map_rate"])
    pop = 6_300_000 + 10_000 * 3      # World Bank 2022 of the fixture
    assert cs.loc["sv_gov", "rate_any"] == pytest.approx(495 / pop * 1e5)
    assert bool(cs.loc["sv_gov", "rate_computed"]) and not bool(cs.loc["unodc", "rate_computed"])


def test_reconcile_case_gaps_and_citations(bds):
    from core import reconcile
    c = reconcile.case(bds, "SLV", 2022, "homicide", lang="es")
    rows = {r["source_id"]: r for r in c["rows"]}
    assert c["map_count_source"] == "sv_pnc" and c["map_rate_source"] == "unodc"
    assert rows["sv_gov"]["gap_count"] == 495 - 569
    assert rows["sv_gov"]["gap_count_pct"] == pytest.approx((495 - 569) / 569 * 100)
    assert rows["sv_gov"]["gap_count_text"] == "−74 (−13.0 %)"
    assert rows["sv_pnc"]["gap_count"] is None          # the map's own source has no gap
    assert rows["sv_gov"]["address"] == "https://example.org/sv_gov"
    assert rows["sv_gov"]["citation"] == "Gobierno El Salvador (SYNTHETIC)"
    pop = 6_330_000
    assert rows["sv_pnc"]["gap_rate_pct"] == pytest.approx((569 / pop * 1e5 - 7.8) / 7.8 * 100)
    assert c["ties"] == []
    text = reconcile.map_uses_text(bds, c, "es")
    assert text == "El mapa usa: PNC El Salvador (casos, prioridad 3); UNODC (tasa, prioridad 2)"


def test_reconcile_priority_tie_is_stated(bds):
    from core import reconcile
    c = reconcile.case(bds, "GTM", 2023, "homicide")
    assert c["map_count_source"] == "gt_a"              # tie at 7 broken by identifier order
    assert c["ties"] == [{"measure": "count", "priority": 7, "n": 2}]


def test_reconcile_cases_split(bds):
    from core import reconcile
    res = reconcile.cases(bds)
    conflicts = {(c["unit_id"], c["year"], c["offense"]) for c in res["conflicts"]}
    others = {(c["unit_id"], c["year"], c["offense"]) for c in res["others"]}
    assert conflicts == {("SLV", 2022, "homicide"), ("GTM", 2023, "homicide")}
    # a rate from UNODC and a count from a national source: CRI 2022 and 2023, HN-FM/HN-CR have one source
    assert ("CRI", 2023, "homicide") in others and ("CRI", 2022, "homicide") in others
    assert ("HND", 2019, "homicide") not in others      # SEPOL is at department level only
    only = reconcile.cases(bds, country="SLV")
    assert [c["unit_id"] for c in only["conflicts"]] == ["SLV"] and only["others"] == []
    fig = reconcile.case_figure(res["conflicts"][0], "es")
    assert fig["data"][0]["type"] == "bar"
    # the mark's key on its own line (a plotly title does not wrap: it was cut at the card's edge)
    title = fig["layout"]["title"]["text"]
    assert title.split("<br>")[1] == "◆ = usada en el mapa" and "◆" not in title.split("<br>")[0]


# ---- small numbers and pooling --------------------------------------------------------------------------
def test_small_flag_and_pooling(bds, bdir):
    from core import query, smallnum
    from core.viewstate import ViewState
    st = ViewState(country="CRI", level=1, offense="extortion", year=2022, unit="CRI")
    tb = smallnum.annotate(bds, st, query.map_table(bds, 1, "CRI", "extortion", 2022, "total", "total", "rate"))
    r = tb.set_index("unit_id")
    assert bool(r.loc["CR-SJ", "small"]) and not bool(r.loc["CR-A", "small"])       # 12 < 20 <= 50
    assert not r["pooled"].any()
    pooled = smallnum.annotate(bds, ViewState(**{**st.to_dict(), "pool": 3}),
                               query.map_table(bds, 1, "CRI", "extortion", 2022, "total", "total", "rate"))
    p = pooled.set_index("unit_id")
    # by hand from the parquet: sum of counts / sum of populations 2020-2022
    f = pd.read_parquet(bdir / "facts.parquet")
    pop = pd.read_parquet(bdir / "population.parquet")
    c = f[(f.unit_id == "CR-SJ") & (f.offense == "extortion") & f.year.between(2020, 2022)]["count"].sum()
    n = pop[(pop.unit_id == "CR-SJ") & pop.year.between(2020, 2022) & (pop.source_id == "cr_inec")]["population"].sum()
    assert c == 23
    assert p.loc["CR-SJ", "rate"] == pytest.approx(float(c) / float(n) * 1e5)
    assert bool(p.loc["CR-SJ", "pooled"]) and p.loc["CR-SJ", "pool_years"] == "2020–2022"
    assert not bool(p.loc["CR-SJ", "small"])           # 23 events pooled: no longer flagged
    assert p.loc["CR-A", "rate"] == pytest.approx(50 / 990_000 * 1e5)                 # not small: yearly rate
    assert smallnum.pool_note(bds, ViewState(**{**st.to_dict(), "pool": 3}), pooled, "en").startswith("Places with")


def test_pooled_rates_need_all_three_years(bds):
    from core import query
    pr = query.pooled_rates(bds, 1, "homicide", 2023, "total", "total")
    assert pr.empty          # CR provinces have homicide counts in 2022-2023 only


def test_ranking_flags_ties_and_small(bds):
    from core import view
    from core.viewstate import ViewState
    rows = view.ranking_view(bds, ViewState(country="GTM", level=2, year=2023, unit="GTM", measure="count"))["rows"]
    assert [r["rank"] for r in rows] == [1, 1] and all(r["flag"] == "empate" for r in rows)
    rows = view.ranking_view(bds, ViewState(country="CRI", level=1, offense="extortion", year=2022,
                                            unit="CRI", lang="en"))["rows"]
    flags = {r["unit_id"]: r["flag"] for r in rows}
    assert flags == {"CR-SJ": "* <20 cases", "CR-A": ""}
    payload = view.map_view(bds, ViewState(country="CRI", level=1, offense="extortion", year=2022, unit="CRI"))
    i = payload["ids"].index("CR-SJ")
    assert "Menos de 20 casos" in payload["hovertext"][i] and "Casos: 12" in payload["hovertext"][i]
    assert payload["line_width"][i] > payload["line_width"][1 - i]
    assert payload["small_note"].startswith("Borde azul")


def test_pool_param_in_url(bds):
    from core import query
    from core.viewstate import ViewState, parse, to_query
    cat = query.catalog(bds)
    st, notes = parse("?pool=3&country=CRI", cat)
    assert st.pool == 3 and notes == [] and to_query(st).endswith("&pool=3")
    st, notes = parse("?pool=7", cat)
    assert st.pool == 1 and notes[0].param == "pool"
    assert "pool" not in to_query(ViewState())


# ---- compare ----------------------------------------------------------------------------------------------
def test_compare_parse_drops_unknown(bds):
    from core import compare
    st = compare.parse(bds, "?compare=CR-SJ,nope,<b>x</b>,HND,CR-SJ&base=2019&offense=homicide&lang=en")
    assert st.units == ("CR-SJ", "HND") and st.dropped == ("nope", "<b>x</b>") and st.base == 2019
    v = compare.compare_view(bds, st)
    assert v["notes"][0] == "Unknown identifiers or places without data were left out: nope, <b>x</b>."
    assert compare.to_query(st) == "compare=CR-SJ,HND&base=2019&offense=homicide&measure=rate&lang=en"
    assert compare.parse(bds, "?compare=CRI&base=1700").notes == ("base_bad:1700",)


def test_compare_with_nothing_to_draw_shows_no_axes(bds):
    from core import compare
    v = compare.compare_view(bds, compare.parse(bds, "?lang=en"))
    lay = v["figure"]["layout"]
    assert v["figure"]["data"] == [] and v["rows"] == []
    # no empty axes that read as a chart of zeros: the reason where the chart would be
    assert lay["xaxis"]["visible"] is False and lay["yaxis"]["visible"] is False and lay["showlegend"] is False
    assert lay["annotations"][0]["text"] == "Choose one or more places to compare."
    v2 = compare.compare_view(bds, compare.parse(bds, "?compare=CRI&lang=en"))
    assert v2["figure"]["data"] and "annotations" not in v2["figure"]["layout"]
    assert v2["figure"]["layout"]["xaxis"].get("visible") is not False


def test_compare_index_against_fixture(bds):
    from core import compare
    st = compare.parse(bds, "?compare=CRI,SLV,CR-SJ&base=2019&offense=homicide&measure=rate")
    v = compare.compare_view(bds, st)
    tr = {d["name"].split(" — ")[0]: d for d in v["figure"]["data"]}
    slv = tr["El Salvador (país)"]
    exp = [UNODC_RATE["SLV"][y] / UNODC_RATE["SLV"][2019] * 100 for y in range(2019, 2024)]
    assert slv["x"] == [2019, 2020, 2021, 2022, 2023]
    assert slv["y"] == pytest.approx(exp, abs=1e-3)
    assert "UNODC" in slv["name"]                        # the source is named in the legend
    # San José has no 2019 value: not indexed, said so
    assert any("San José" in n and "2019" in n for n in v["notes"])
    # without base: values, and San José's computed rate = OIJ count / INEC population
    v2 = compare.compare_view(bds, compare.parse(bds, "?compare=CR-SJ&measure=rate"))
    sj = v2["figure"]["data"][0]
    assert sj["x"] == [2022, 2023]
    assert sj["y"][1] == pytest.approx(OIJ_COUNT_2023["CR-SJ"] / INEC_POP[2023]["CR-SJ"] * 1e5, abs=1e-3)


def test_units_with_data_against_parquet(bds, bdir):
    from core import query
    f = pd.read_parquet(bdir / "facts.parquet")
    exp = set(f[(f.offense == "theft") & (f.sex == "total") & (f.age_group == "total") & f.month.isna()].unit_id)
    assert set(query.units_with_data(bds, "theft")) == exp


# ---- embed code, frame-ancestors ---------------------------------------------------------------------------
def test_embed_code():
    from callbacks.partb import embed_code
    from core.viewstate import ViewState
    code, src = embed_code("https://obs.example/", ViewState(country="CRI", level=1, year=2023, unit="CRI"), "trend")
    assert src.startswith("https://obs.example/?country=CRI&level=1") and src.endswith("&embed=1&chart=trend")
    assert code.startswith('<iframe src="https://obs.example/?country=CRI&amp;level=1') and 'height="450"' in code


@pytest.fixture
def keep_default_dir():
    from core import query
    saved = list(query._DEFAULT_DIR)
    yield
    query._DEFAULT_DIR[:] = saved


def test_embed_response_frame_ancestors(bdir, keep_default_dir):
    import app as app_module
    from settings import Settings, load_settings
    s = Settings(data_dir=bdir, debug=False, redis_url=None, cache_timeout=60, host="127.0.0.1", port=0,
                 frame_ancestors=load_settings({}).frame_ancestors)
    client = app_module.create_app(s).server.test_client()
    r = client.get("/?embed=1&chart=map&country=CRI&level=1")
    assert r.status_code == 200
    assert "frame-ancestors *" in r.headers["Content-Security-Policy"] and "X-Frame-Options" not in r.headers
    s2 = Settings(**{**s.__dict__, "frame_ancestors": load_settings(
        {"OBS_FRAME_ANCESTORS": "https://news.example"}).frame_ancestors})
    r2 = app_module.create_app(s2).server.test_client().get("/?embed=1")
    assert "frame-ancestors https://news.example" in r2.headers["Content-Security-Policy"]
