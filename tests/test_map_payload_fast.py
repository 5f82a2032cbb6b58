"""core.figures.map_payload's tooltips (read column by column) against the previous row-by-row itertuples code,
on the fixture's annotated tables and on tables with every flag set (pooled, small, tie, computed rate)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from core import figures, view
from core.i18n import t
from core.numbers import fmt_change, fmt_count, fmt_rate, fmt_value
from core.viewstate import ViewState


def ref_texts(table, *, measure, year, lang, locale, source_labels):
    """The tooltip loop of the previous map_payload (itertuples), unchanged."""
    data = table[table["value"].notna().to_numpy()]
    n = len(data)
    value_label = t("rate_short" if measure == "rate" else "count_short", lang)
    # the rate's base grouped as the view's locale groups its figures (Costa Rica: 100 000)
    unit_suffix = " " + t("per_100k", lang).replace("100,000", fmt_count(100_000, locale)) if measure == "rate" else ""
    texts = []
    for r in data.itertuples(index=False):
        lines = [f"{value_label}: <b>{fmt_value(r.value, measure, locale)}</b>{unit_suffix}"]
        if measure == "rate" and not math.isnan(r.count):
            lines.append(f"{t('count_short', lang)}: {fmt_count(r.count, locale)}")
        elif measure == "count" and not math.isnan(r.rate):
            lines.append(f"{t('rate_short', lang)}: {fmt_rate(r.rate, locale)}")
        if getattr(r, "pooled", False):
            lines[0] = f"{value_label}: <b>{fmt_value(r.value, measure, locale)}</b>{unit_suffix} " \
                       f"({t('flag_pooled', lang, years=r.pool_years)})"
            lines.insert(1, t("pooled_line", lang, years=r.pool_years, count=fmt_count(r.pooled_count, locale)))
        if getattr(r, "small", False):
            lines.append(t("small_n", lang))
        lines.append(t("rank_of", lang, rank=int(r.rank), n=n) + (t("tie_suffix", lang) if getattr(r, "tie", False)
                                                                  else ""))
        if not math.isnan(r.change_pct):
            lines.append(f"{fmt_change(r.change_pct, locale)} {t('change_vs', lang, year=year - 1)}")
        src = source_labels.get(r.source, r.source or "")
        lines.append(f"{t('source', lang)}: {src}")
        if measure == "rate" and r.rate_computed and isinstance(r.population_source, str):
            lines.append(t("computed_rate", lang, source=source_labels.get(r.population_source, r.population_source)))
        texts.append("<br>".join(lines))
    return texts, sorted(table.loc[~table["value"].notna().to_numpy(), "unit_id"].tolist())


def _tables(ds):
    for level in (0, 1, 2):
        for year in ds.years[-4:]:
            for measure in ("rate", "count"):
                for sex in ("total", "female"):
                    for pool in (1, 3):
                        st = ViewState(level=level, year=year, measure=measure, sex=sex, pool=pool)
                        yield st, view._table(ds, st)[1]


def _flagged(table):
    """Every flag on some rows (the reference reads them whatever their origin)."""
    out = table.copy()
    n = len(out)
    if n == 0:
        return out
    rng = np.random.default_rng(n)
    out["pooled"] = rng.random(n) < 0.4
    out["pool_years"] = np.where(out["pooled"], "2021–2023", "")
    out["pooled_count"] = np.where(out["pooled"], rng.integers(0, 3000, n).astype(float), np.nan)
    out["small"] = rng.random(n) < 0.5
    out["tie"] = rng.random(n) < 0.3
    out["rate_computed"] = rng.random(n) < 0.6
    return out


@pytest.mark.parametrize("lang,locale", [("es", "es_419"), ("en", "en"), ("es", "es_CR")])
def test_tooltips_as_itertuples(ds, lang, locale):
    n_rows = n_pooled = 0
    for st, table in _tables(ds):
        for tb in (table, _flagged(table)):
            labels = {s: s.upper() for s in set(tb["source"].dropna()) | set(tb["population_source"].dropna())}
            kw = dict(measure=st.measure, year=st.year, lang=lang, locale=locale, source_labels=labels)
            got = figures.map_payload(tb, selected=None, view={}, **kw)
            texts, missing = ref_texts(tb, **kw)
            ref_ids = tb.loc[tb["value"].notna().to_numpy(), "unit_id"].tolist()
            assert got["ids"] == sorted(ref_ids)   # by id: a change with the same units need not send them
            assert dict(zip(got["ids"], got["hovertext"])) == dict(zip(ref_ids, texts))
            assert got["missing"] == missing
            n_rows += len(texts)
            n_pooled += sum(t("flag_pooled", lang, years="2021–2023") in x for x in texts)
    assert n_rows > 50 and n_pooled > 5


def test_present_is_set_of_dropna():
    import pandas as pd
    for col in (pd.Series(["a", None, "b", np.nan, "a"], dtype=object), pd.Series(["x", np.nan, "y"]),
                pd.Series([np.nan, None], dtype=object), pd.Series([], dtype=object)):
        assert view._present(col) == set(col.dropna())
        where = np.arange(len(col)) % 2 == 0
        assert view._present(col, where) == set(col[where].dropna())
