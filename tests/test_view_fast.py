"""core.view and core.sentences fast paths against the pandas code they replace (same outputs, value for value),
and what core.view prepares when the dataset is loaded."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from core import figures, framing, query, sentences, view
from core.i18n import t
from core.numbers import fmt_count, fmt_rate
from core.viewstate import ViewState

REAL = Path(__file__).resolve().parent.parent / "data" / "processed"


@pytest.fixture(scope="module")
def real_ds():
    if not (REAL / "facts.parquet").is_file():
        pytest.skip("no processed data in data/processed")
    return query.get_dataset(REAL)


def ref_disagreement(ds, place, state, year, loc, lang):
    """sentences._disagreement as it was, over the cell_sources DataFrame."""
    cs = query.cell_sources(ds, place, year, state.offense, state.sex, state.age)
    if len(cs) < 2:
        return ""
    col, digits = ("rate_any", 1) if state.measure == "rate" else ("count", 0)
    shown = cs[cs[col].notna()]
    counts = cs[cs["count"].notna()]
    if len({round(float(v), digits) for v in shown[col]}) >= 2:
        rows, fmt = shown, (lambda r: fmt_rate(r.rate_any, loc) if col == "rate_any" else fmt_count(r.count, loc))
    elif len({round(float(v)) for v in counts["count"]}) >= 2:
        rows, fmt = counts, (lambda r: sentences._t("counts", lang, n=fmt_count(r.count, loc)))
    else:
        return ""
    names = sentences._source_names(ds, rows["source_id"].tolist())
    parts = [f"{names[r.source_id]}: {fmt(r)}" for r in rows.itertuples(index=False)]
    return sentences._t("disagree", lang, year=year, list="; ".join(parts))


@pytest.mark.parametrize("which", ["fixture", "real"])
def test_disagreement_is_the_dataframe_version(which, ds, request):
    """The "sources disagree" caveat over arrays: the same text as over the cell_sources DataFrame, for every cell
    with two or more sources (and some with one), both measures, both languages, two number formats."""
    d = ds if which == "fixture" else request.getfixturevalue("real_ds")
    f = query.source_facts(d)
    n_src = f.groupby(["unit_id", "year", "offense", "sex", "age_group"]).size()
    cells = list(n_src[n_src >= 2].index) + list(n_src[n_src == 1].index[:50])
    said = 0
    for unit_id, year, offense, sex, age in cells:
        for measure in ("rate", "count"):
            state = ViewState(offense=offense, sex=sex, age=age, measure=measure)
            for lang, loc in (("es", "es_CR"), ("en", "en")):
                ref = ref_disagreement(d, unit_id, state, int(year), loc, lang)
                assert sentences._disagreement(d, unit_id, state, int(year), loc, lang) == ref
                said += bool(ref)
    assert said > 0


def test_frames_prepared_at_load_are_computed_ones(ds):
    """The map framing of every (level, focus), made at load, is what framing and figures give for the units of
    that scope (computed here without the kept ones)."""
    store = query._fast(ds)["frame"]
    for level, focus in query.view_scopes(ds):
        units = query.scope_units(ds, level, focus)
        assert (level, focus) in store
        assert view._frame(ds, level, focus, units) == {
            k: list(v) for k, v in figures.frame(framing.view_bbox(ds, level, list(units))).items()}


def test_annotated_text_columns_are_python_objects(ds):
    """The annotated table holds its text as Python objects (tooltips and ranking rows read it row by row), with
    or without pooling."""
    for pool in (1, 3):
        t = view._annotated.__wrapped__(ds, 1, None, "homicide", 2023, "total", "total", "rate", pool)
        for c in ("unit_id", "name", "country", "source", "count_source", "rate_source", "population_source",
                  "pool_years"):
            assert t[c].dtype == object, (pool, c)


class _CountingCache:
    """A cache backend that counts its calls (and pickles, as flask-caching's backends do)."""

    def __init__(self):
        import pickle
        self.store, self.gets, self.sets, self._p = {}, 0, 0, pickle

    def get(self, key):
        self.gets += 1
        return self._p.loads(self.store[key]) if key in self.store else None

    def set(self, key, value):
        self.sets += 1
        self.store[key] = self._p.dumps(value)

    def set_many(self, mapping):   # one round trip for several (a pipeline in RedisCache)
        self.sets += 1
        self.store.update({k: self._p.dumps(v) for k, v in mapping.items()})


def test_memo_inside_one_view_asks_the_cache_once_per_piece(monkeypatch):
    """Inside one view (core.view.one_view) a piece asked twice is fetched from the shared cache once: the second
    ask gets the same value from the request, and it is written once, when the view ends; outside it (and in the
    next view) every ask goes to the cache."""
    from core import cache
    backend = _CountingCache()
    monkeypatch.setattr(cache, "_cache", backend)
    monkeypatch.setattr(cache, "_local", None)
    calls = []

    def make():
        calls.append(1)
        return {"rows": [1, 2, None]}

    with view.one_view():
        a = cache.memo("piece", ("k",), make)
        b = cache.memo("piece", ("k",), make)
        assert a == {"rows": [1, 2, None]} and b is a
        assert (backend.gets, backend.sets, len(calls)) == (1, 0, 1)   # written when the view ends
    assert backend.sets == 1
    with view.one_view():   # the next request: from the shared cache, a fresh copy
        c = cache.memo("piece", ("k",), make)
        assert c == a and c is not a
        assert (backend.gets, backend.sets, len(calls)) == (2, 1, 1)
    cache.memo("piece", ("k",), make)
    cache.memo("piece", ("k",), make)
    assert (backend.gets, len(calls)) == (4, 1)


def ref_ranking_rows(table, source_labels, lang="es"):
    """The ranking rows as they were first built (figures.ranking_rows): a row object per unit with a value."""
    rows = []
    for r in table[table["value"].notna()].itertuples(index=False):
        flags = []
        if getattr(r, "tie", False):
            flags.append(t("flag_tie", lang))
        if getattr(r, "small", False):
            flags.append(t("flag_small", lang))
        if getattr(r, "pooled", False):
            flags.append(t("flag_pooled", lang, years=r.pool_years))
        rows.append({"unit_id": r.unit_id, "rank": int(r.rank), "name": r.name,
                     "rate": None if math.isnan(r.rate) else float(round(r.rate, 1)),
                     "count": None if math.isnan(r.count) else float(r.count),
                     "population": None if math.isnan(r.population) else float(r.population),
                     "source": source_labels.get(r.source, r.source or ""), "flag": " · ".join(flags)})
    return rows


@pytest.mark.parametrize("which", ["fixture", "real"])
def test_ranking_rows_are_the_row_by_row_ones(which, ds, request):
    """view.ranking_rows (column by column) gives the rows of a row object per unit, key for key and type for
    type, on annotated tables of every level, pooled or not, both languages."""
    d = ds if which == "fixture" else request.getfixturevalue("real_ds")
    foci = [None] + list(d.countries)[:3]
    n = 0
    for level in (0, 1, 2):
        for focus in foci:
            for off in ("homicide", "robbery"):
                for year in (2019, 2022, 2023):
                    for m, pool in (("rate", 1), ("count", 1), ("rate", 3)):
                        table = view._annotated.__wrapped__(d, level, focus, off, year, "total", "total", m, pool)
                        labels = {s: d.source_label(s) for s in view._present(table["source"])}
                        for lang in ("es", "en"):
                            ref = ref_ranking_rows(table, labels, lang)
                            got = view.ranking_rows(table, labels, lang)
                            assert got == ref
                            assert [[type(v) for v in r.values()] for r in got] == \
                                [[type(v) for v in r.values()] for r in ref]
                            assert [list(r) for r in got] == [list(r) for r in ref]
                            n += len(ref)
    assert n > 100
    # pooled rows (pool=3 pools none of these tables): flagged by hand, and a table without the optional columns
    table = view._annotated.__wrapped__(d, 1, None, "homicide", 2023, "total", "total", "rate", 1)
    table.loc[table.index[:3], ["pooled", "small", "tie"]] = True
    table.loc[table.index[:3], "pool_years"] = "2021–2023"
    table.loc[table.index[:3], "pooled_count"] = 7.0
    plain = table.drop(columns=["tie", "small", "pooled", "pool_years", "pooled_count"])
    for t_ in (table, plain):
        for lang in ("es", "en"):
            assert view.ranking_rows(t_, {}, lang) == ref_ranking_rows(t_, {}, lang)
    assert "2021–2023" in view.ranking_rows(table, {}, "en")[0]["flag"]


def _rows_as_the_browser_reads_them(ids_: list, wire: dict, geo_names: dict) -> list[dict]:
    """assets/21_ranking.js rowsOf, written out: the ids and columns back into rows, the names from the GeoJSON
    (or `names`), a left-out column as None (a number) or "" (the flag); by rank, then name."""
    c = wire["cols"]
    out = []
    for i, uid in enumerate(ids_):
        out.append({"unit_id": uid, "rank": c["rank"][i],
                    "name": wire.get("names", {}).get(uid) or geo_names.get(uid) or uid,
                    **{k: c[k][i] if k in c else None for k in ("rate", "count", "population")},
                    "source": wire["sources"][c["source"][i]], "flag": c["flag"][i] if "flag" in c else ""})
    return sorted(out, key=lambda r: (r["rank"], r["name"]))


@pytest.mark.parametrize("which", ["fixture", "real"])
def test_ranking_wire_gives_back_every_row(which, ds, request):
    """view.ranking_wire (the rows by unit id as columns, their ids apart, without the names the map's GeoJSON
    carries) read back as the browser reads it gives the rows, value for value, on every level and scope, both
    measures, pooled or not; the ids are sorted (the same list for views with the same units); the GeoJSON's
    names are the units' names; a unit the GeoJSON lacks travels with its name."""
    d = ds if which == "fixture" else request.getfixturevalue("real_ds")
    n = left_out = 0
    for country in ["region"] + list(d.countries)[:4]:
        for level in (0, 1, 2):
            scope = query.geo_scope(level, country)
            blob = query.geojson(d, level, scope)
            if blob is None:
                continue
            geo_names = {f["id"]: f["properties"]["name"] for f in json.loads(blob.body)["features"]}
            assert all(name == d.name(uid) for uid, name in geo_names.items())
            for off in ("homicide", "theft"):
                for year in (2022, 2023):
                    for m, pool in (("rate", 1), ("count", 1), ("rate", 3)):
                        state = ViewState(country=country, level=level, offense=off, year=year, measure=m, pool=pool)
                        rows = view.ranking_view(d, state)["rows"]
                        ids_, wire = view.ranking_wire(rows, "/geo/x", query.geo_id_set(d, level, scope).__contains__)
                        assert ids_ == sorted(r["unit_id"] for r in rows)
                        assert "names" not in wire and "name" not in wire["cols"]
                        assert _rows_as_the_browser_reads_them(ids_, wire, geo_names) == \
                            sorted(rows, key=lambda r: (r["rank"], r["name"]))
                        assert len(wire["sources"]) == len(set(wire["sources"]))
                        left_out += len({"rate", "count", "population", "flag"} - set(wire["cols"]))
                        n += len(rows)
    assert n > 100 and left_out > 0
    rows = view.ranking_view(d, ViewState(country="region", level=0, year=2022))["rows"]
    ids_, wire = view.ranking_wire(rows, "/geo/x", lambda uid: uid != rows[0]["unit_id"])
    assert wire["names"] == {rows[0]["unit_id"]: rows[0]["name"]}
    assert rows[0] in _rows_as_the_browser_reads_them(ids_, wire, {})
