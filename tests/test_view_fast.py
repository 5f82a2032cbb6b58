"""core.view and core.sentences fast paths against the pandas code they replace (same outputs, value for value),
and what core.view prepares when the dataset is loaded."""
from __future__ import annotations

from pathlib import Path

import pytest

from core import figures, framing, query, sentences, view
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
