"""The pieces of one view (map, series, ranking, headline, footer), as plain cacheable data.

Callbacks call these through core.cache.memo; each takes the dataset and a valid ViewState."""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from functools import wraps

import numpy as np
import pandas as pd

from core import figures, framing, query, static_map
from core.i18n import SEX_KEYS, t
from core.numbers import fmt_change, fmt_value, grouped_100k, locale_for, plotly_separators, symbols
from core.viewstate import LANGS, REGION, Note, ViewState, avail_arrays, to_query

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]


_STATE_FIELDS = tuple(f.name for f in fields(ViewState))


def key(ds: query.Dataset, state: ViewState) -> tuple:
    # astuple(state), without its deep copy of every value (~0.15 ms a call, asked ~17 times per view)
    return (str(ds.data_dir), ds.version) + tuple(getattr(state, f) for f in _STATE_FIELDS)


# ---- one view, several panels -----------------------------------------------------------------------
# The panels of one filter change ask for the same pieces (the map payload for the map and the export metadata,
# the trend for the chart and the event list, the headline for the text and the sentence). Inside `one_view()`
# each piece is computed once per (dataset, state); outside it, every call computes (no state between requests).
_SCOPE: ContextVar[dict | None] = ContextVar("observatorio_view_scope", default=None)


@contextmanager
def one_view():
    """Share the pieces of a view between the panels of one callback (see `_per_view`)."""
    from core.cache import request_scope

    token = _SCOPE.set({})
    try:
        with request_scope():   # and memo's values (core.cache) shared between the panels
            yield
    finally:
        _SCOPE.reset(token)


def _per_view(fn):
    """Memoise fn(ds, state) inside `one_view()` only. Callers must treat the result as read-only."""
    @wraps(fn)
    def wrapper(ds, state):
        scope = _SCOPE.get()
        if scope is None:
            return fn(ds, state)
        k = (fn.__name__, id(ds)) + key(ds, state)
        hit = scope.get(k)
        if hit is None:
            hit = scope[k] = fn(ds, state)
        return hit
    return wrapper


def locale_of(state: ViewState) -> str:
    return locale_for(state.lang, state.country if state.country != REGION else None)


def geo_token(ds: query.Dataset) -> str:
    return hashlib.sha1(ds.version.encode("utf-8")).hexdigest()[:10]


def geo_url(ds: query.Dataset, level: int, scope: str) -> str:
    """The address of a level's GeoJSON. `v` is a digest of the bytes served there (its ETag): browsers keep a
    GeoJSON a day by its address, which changes exactly when those bytes do, with the data or with the format
    (round 11 added the countries' English names). The data version where nothing is served."""
    blob = query.geojson(ds, level, scope)
    return f"/geo/level-{level}.json?country={scope}&v={blob.etag if blob is not None else geo_token(ds)}"


def place_of(state: ViewState) -> str | None:
    """The place the headline and the series are about (None = the region)."""
    if state.unit:
        return state.unit
    return None if state.country == REGION else state.country


def _present(col: pd.Series, where: np.ndarray | None = None) -> set:
    """set(col[where].dropna()) without a pandas selection: the distinct values that are not None / NaN."""
    vals = col.to_numpy(dtype=object)
    if where is not None:
        vals = vals[where]
    return {v for v in set(vals.tolist()) if v is not None and v == v}


def _source_labels(ds: query.Dataset, ids) -> dict[str, str]:
    return {s: ds.source_label(s) for s in ids if isinstance(s, str)}


def _table(ds: query.Dataset, state: ViewState) -> tuple[str | None, pd.DataFrame]:
    """The focus and the annotated table of a view (map, ranking, footer and headline all ask for it)."""
    focus = query.focus_of(ds, state.level, state.country, state.unit)
    return focus, _annotated(ds, state.level, focus, state.offense, state.year or 0, state.sex, state.age,
                             state.measure, state.pool)


@query.frame_memo()
def _annotated(ds: query.Dataset, level: int, focus: str | None, offense: str, year: int, sex: str, age: str,
               measure: str, pool: int) -> pd.DataFrame:
    """The map table with the small-numbers columns (smallnum.annotate), text columns as Python objects: the
    panels read them row by row (tooltips, ranking rows), which costs more on pandas' Arrow-backed strings
    (~2 ms a view at level 2)."""
    from core import smallnum   # small numbers flagged, ties, pool=3 (issue 5)

    state = ViewState(level=level, offense=offense, year=year, sex=sex, age=age, measure=measure, pool=pool)
    cols = query.map_columns(ds, level, focus, offense, year, sex, age, measure)
    if smallnum.pools(state):
        out = smallnum.annotate(ds, state, query.object_frame(cols))
        out = out.astype({c: object for c, dt in out.dtypes.items() if pd.api.types.is_string_dtype(dt)})
        # column labels as Python objects: pandas 3 makes them Arrow strings, and each of the ~50
        # `table[name]` a view makes then costs ~35 instead of ~23 us
        out.columns = pd.Index(list(out.columns), dtype=object)
        return out
    # no pooling: the map table and the small-numbers columns in one DataFrame (as annotate would give)
    return query.object_frame(cols | smallnum.plain_columns(cols["count"], cols["rank"]))


def _frame(ds: query.Dataset, level: int, focus: str | None, unit_ids) -> dict:
    """The map's lon/lat ranges for the units of (level, focus): those units are always the same ones, so the
    framing (a box per unit of the GeoJSON, ~3 ms) is worked out once per dataset and (level, focus)."""
    store = query._fast(ds).setdefault("frame", {})
    hit = store.get((level, focus))
    if hit is None:
        hit = store[(level, focus)] = figures.frame(framing.view_bbox(ds, level, unit_ids))
    return {k: list(v) for k, v in hit.items()}


@query.on_load
def _prepare(ds: query.Dataset) -> None:
    """Made when the dataset is loaded, not by the first view that needs them: the first-view framing of every
    (level, focus) (core.framing reads a level's GeoJSON the first time: ~100 ms at level 2) and the number
    symbols of every locale (Babel's data, ~5 ms each)."""
    for level, focus in query.view_scopes(ds):
        _frame(ds, level, focus, query.scope_units(ds, level, focus))
    for lang in LANGS:
        for country in [None] + list(ds.countries):
            symbols(locale_for(lang, country))


def area_name(ds: query.Dataset, focus: str | None, lang: str) -> str:
    return t("region", lang) if focus is None else ds.name(focus, lang)


# ---------------------------------------------------------------------------------------------------
@_per_view
def map_view(ds: query.Dataset, state: ViewState) -> dict:
    lang = state.lang
    focus, table = _table(ds, state)
    scope = query.geo_scope(state.level, state.country)
    ids = _present(table["source"]) | _present(table["population_source"])
    land = query.land_scope(scope)   # the countries at region scale, or at full detail under a country's map
    land_ids = query.geo_ids(ds, 0, land)
    payload = figures.map_payload(
        table, measure=state.measure, year=state.year or 0, lang=lang, locale=locale_of(state),
        source_labels=_source_labels(ds, ids), selected=state.unit,
        view=_frame(ds, state.level, focus, table["unit_id"]), land_ids=land_ids,
        whole=query.whole_countries(ds, state.level, scope))
    payload["geo_key"] = f"{state.level}|{scope}|{geo_token(ds)}"
    payload["level"] = state.level
    payload["focus"] = focus or REGION
    payload["geo_url"] = geo_url(ds, state.level, scope)
    outlines = []
    if state.level == 2:
        outlines.append(geo_url(ds, 1, scope))
    payload["land_url"] = geo_url(ds, 0, land)
    outlines.append(payload["land_url"])
    payload["outline_urls"] = outlines
    payload["land_ids"] = land_ids
    payload["separators"] = plotly_separators(locale_of(state))
    # plain-language messages about missing data
    msg = ""
    has = ~np.isnan(table["value"].to_numpy(dtype="float64"))
    if not has.any():
        msg = t("no_data_level_detail", lang, place=area_name(ds, focus, lang))
    elif state.level > 0 and focus is None:
        with_data = set(table["country"].to_numpy(dtype=object)[has].tolist())
        levels = query.catalog(ds).levels_with_units
        lacking = [ds.name(c, lang) for c in ds.countries if c not in with_data and (c, state.level) in levels]
        if lacking:
            msg = t("no_data_some", lang, places=", ".join(lacking))
        # a country with no unit at this level in the boundaries (Belize has no municipalities) is drawn as plain
        # land: say why, or its land could be read as a value or taken for an oversight
        undivided = [ds.name(c, lang) for c in ds.countries if (c, state.level) not in levels]
        if undivided:
            msg = " ".join(filter(None, [msg, t("no_units_level", lang, places=", ".join(undivided))]))
    payload["message"] = msg
    payload["legend_title"] = grouped_100k(t("legend_title_" + state.measure, lang), symbols(locale_of(state))[1])
    from core import smallnum

    payload["small_note"] = t("small_n_legend", lang) if state.measure == "rate" and smallnum.any_small(table) else ""
    payload["pool_note"] = smallnum.pool_note(ds, state, table, lang)
    return payload


def series_lines(ds: query.Dataset, state: ViewState) -> tuple[list[dict], list[str], set[str]]:
    """The trend's lines ({id, name, years, values, sources, source_ids}: a unit's id, or "region"; missing years
    as None),
    its notes and the source ids behind it: what the chart draws, and what /download/trend.csv writes."""
    lang, m = state.lang, state.measure
    place = place_of(state)
    lines: list[dict] = []
    notes: list[str] = []
    srcs: set[str] = set()

    def add(name: str, series, line_id: str) -> None:
        """series: (years, values, sources) of one line (sources: an id, or a list of ids), or None."""
        if series is None or len(series[0]) == 0:
            return
        yrs, vals, ids_ = series
        sources = [ds.source_label(s) if isinstance(s, str) else ", ".join(ds.source_label(x) for x in s)
                   for s in ids_]
        for s in ids_:
            if isinstance(s, str):
                srcs.add(s)
            else:
                srcs.update(s)
        by_year = {int(y): (float(v), src, s if isinstance(s, str) else " ".join(s))
                   for y, v, src, s in zip(yrs, vals, sources, ids_)}
        years = list(range(min(by_year), max(by_year) + 1))   # missing years as gaps, never joined
        # exact values (figures.series_figure rounds what it draws); "source_ids" for the CSV
        lines.append({"id": line_id, "name": name, "years": years,
                      "values": [by_year[y][0] if y in by_year else None for y in years],
                      "sources": [by_year[y][1] if y in by_year else "" for y in years],
                      "source_ids": [by_year[y][2] if y in by_year else "" for y in years]})

    region = query.region_series(ds, state.offense, state.sex, state.age, m)
    region_line = (region["year"].tolist(), region["value"].tolist(), region["sources"].tolist())

    def unit_line(uid: str):
        return query.unit_series_arrays(ds, uid, state.offense, state.sex, state.age, m)

    if place is not None:
        add(ds.name(place, lang), unit_line(place), place)
        if m == "count":   # totals of bigger areas are not comparable with the place's count: its line alone
            if lines:
                notes.append(t("series_counts_alone", lang, place=ds.name(place, lang)))
        else:
            ctry = ds.unit(place)["country"]
            if ctry != place:
                add(ds.name(ctry, lang), unit_line(ctry), ctry)
            add(t("region_series", lang), region_line, REGION)
        if not lines:
            notes.append(t("series_empty", lang))
    else:
        for c in ds.countries:
            add(ds.name(c, lang), unit_line(c), c)
        if not region.empty:
            add(t("region_series", lang), region_line, REGION)
    if place is not None and m == "count":
        pass   # no regional line to explain
    elif region.empty:
        notes.append(t("region_missing", lang))
    else:
        a = avail_arrays(query.catalog(ds))
        all_years = set(a["year"][(a["offense"] == state.offense) & (a["level"] == 0)
                                  & (a["measure"] == m)].tolist())
        if set(region["year"]) != all_years:
            notes.append(t("region_partial", lang, years=_year_ranges(region["year"].tolist())))
    per_line_srcs = {s for ln in lines[:1] for s in ln["sources"] if s}
    if place is not None and len(per_line_srcs) > 1:
        notes.append(t("series_mixed", lang, sources=", ".join(sorted(per_line_srcs))))
    return lines, notes, srcs


@_per_view
def series_view(ds: query.Dataset, state: ViewState) -> dict:
    lang, m = state.lang, state.measure
    place = place_of(state)
    lines, notes, srcs = series_lines(ds, state)
    fig = figures.series_figure(lines, measure=m, lang=lang, separators=plotly_separators(locale_of(state)),
                                year=state.year)
    if place is None:   # many country lines: qualitative colour-blind-safe palette, region in black
        for i, tr in enumerate(fig["data"]):
            is_region = tr["name"] == t("region_series", lang)
            color = "#111111" if is_region else OKABE_ITO[i % len(OKABE_ITO)]
            tr["line"] = {"color": color, "width": 4 if is_region else 2, "dash": "dash" if is_region else "solid"}
            tr["marker"] = {"size": 6, "color": color}
        # the legend under the plot, in rows: at the side it took ~170 px of a ~410 px panel on a 1366 px screen
        # and left a phone's plot ~100 px wide, its years run together
        fig["layout"]["legend"] = {"orientation": "h", "x": -0.06, "y": -0.12, "yanchor": "top", "font": {"size": 12},
                                   "entrywidth": 0.5, "entrywidthmode": "fraction"}
        fig["layout"]["margin"]["r"] = 8
        # at most 5 years, level, a whole number of years apart (a phone's plot is ~300 px wide)
        xaxis = fig["layout"]["xaxis"]
        lo, hi = xaxis.get("range", [0, 0])
        xaxis.update(dtick=next(d for d in (1, 2, 5, 10, 20, 50) if (hi - lo - 1) / d <= 4), tickangle=0)
    if getattr(state, "events", 1):   # event annotations (issue 4, core/events.py)
        from core import events as _events

        ctry = ds.unit(place)["country"] if place is not None else None
        evs = _events.for_place(_events.load_events(countries=set(ds.countries))[0], ctry)
        _events.add_to_series(fig, evs, lang, {c: ds.name(c, lang) for c in ds.countries}, prefix_country=place is None)
    return {"figure": fig, "notes": notes, "sources": sorted(srcs)}


def _year_ranges(years: list[int]) -> str:
    ys = sorted(set(int(y) for y in years))
    out, start, prev = [], None, None
    for y in ys:
        if start is None:
            start = prev = y
        elif y == prev + 1:
            prev = y
        else:
            out.append(f"{start}–{prev}" if start != prev else str(start))
            start = prev = y
    if start is not None:
        out.append(f"{start}–{prev}" if start != prev else str(start))
    return ", ".join(out)


def ranking_view(ds: query.Dataset, state: ViewState) -> dict:
    lang = state.lang
    focus, table = _table(ds, state)
    ids = _present(table["source"])
    missing = np.isnan(table["value"].to_numpy(dtype="float64"))
    n_missing = int(missing.sum())
    # no unit with a value: no rows (ranking_rows' per-column setup alone cost ~3.5 ms)
    rows = ranking_rows(table, _source_labels(ds, ids), lang) if n_missing < len(table) else []
    level_name = t(f"level_{state.level}", lang)
    title = f"{t('ranking_title', lang)} · {level_name} · {area_name(ds, focus, lang)} · {state.year}"
    note = t("units_no_data", lang, n=n_missing) if n_missing else ""
    if n_missing and n_missing <= 12:
        note += ": " + ", ".join(ds.name(u, lang) for u in table["unit_id"].to_numpy(dtype=object)[missing])
    return {"rows": rows, "title": title, "note": note}


def ranking_rows(table: pd.DataFrame, source_labels: dict[str, str], lang: str = "es") -> list[dict]:
    """The ranking's rows, units with a value only: what the browser's table shows (assets/21_ranking.js: rank,
    name, rate, count, population, source, flag: tie / fewer than 20 cases / pooled years) and the unit id. Built
    column by column, without a row object per unit (~4.5 ms -> ~1.5 ms at level 2 for the region)."""
    rows = np.flatnonzero(~np.isnan(table["value"].to_numpy(dtype="float64")))
    n = len(rows)

    def col(name: str, default=None) -> list:   # Python scalars
        if default is not None and name not in table:
            return [default] * n
        return table[name].to_numpy()[rows].tolist()

    num = figures._num
    tie, small = t("flag_tie", lang), t("flag_small", lang)
    out = []
    for unit_id, rank, name, rate, count, population, source, is_tie, is_small, pooled, pool_years in zip(
            col("unit_id"), col("rank"), col("name"), col("rate"), col("count"), col("population"), col("source"),
            col("tie", False), col("small", False), col("pooled", False), col("pool_years", "")):
        flags = []
        if is_tie:
            flags.append(tie)
        if is_small:
            flags.append(small)
        if pooled:
            flags.append(t("flag_pooled", lang, years=pool_years))
        out.append({
            "unit_id": unit_id,
            "rank": int(rank),
            "name": name,
            "rate": num(round(rate, 1)) if not math.isnan(rate) else None,
            "count": num(count),
            "population": num(population),
            "source": source_labels.get(source, source or ""),
            "flag": " · ".join(flags),
        })
    return out


def ranking_wire(rows: list[dict], geo: str, named: Callable[[str], bool]) -> tuple[list[str], dict]:
    """(the units' ids, the rest of the ranking) as the browser receives them; assets/21_ranking.js turns them
    back into rows and orders them by rank, then name.

    The rows go by unit id, like the map's areas (figures.map_payload): the ids are a list of their own (the
    `ranking-ids` store), the same for every view with the same units, which the page then does not get again
    (callbacks.main.update_view's digest of the panels). The rest is one list per column, in the same order,
    instead of an object per row; a source label once (`sources`) and its index per row; whole numbers without
    ".0"; a column with no value in any row left out (the table shows an em dash there). Names are not sent for
    units the map's GeoJSON names (`geo`, its address; `named(unit_id)`): the browser reads them from it (its
    `properties.name` is the unit's name, as here); `names` carries any other unit's. Round 8 of
    docs/PERFORMANCE.md."""
    def whole(v):
        return int(v) if isinstance(v, float) and v.is_integer() else v

    rows = sorted(rows, key=lambda r: r["unit_id"])
    cols: dict[str, list] = {"rank": [r["rank"] for r in rows]}
    for key in ("rate", "count", "population"):
        vals = [whole(r[key]) for r in rows]
        if any(v is not None for v in vals):
            cols[key] = vals
    flags = [r["flag"] for r in rows]
    if any(flags):
        cols["flag"] = flags
    where: dict[str, int] = {}
    cols["source"] = [where.setdefault(r["source"], len(where)) for r in rows]
    out = {"cols": cols, "sources": list(where), "geo": geo}
    names = {r["unit_id"]: r["name"] for r in rows if not named(r["unit_id"])}
    if names:
        out["names"] = names
    return [r["unit_id"] for r in rows], out


@_per_view
def headline_view(ds: query.Dataset, state: ViewState) -> dict:
    lang, m = state.lang, state.measure
    loc = locale_of(state)
    place = place_of(state)
    year = state.year or 0
    value = prev = None
    source_ids: list[str] = []
    computed_note = ""
    if place is not None:
        row = query.unit_value(ds, place, state.offense, year, state.sex, state.age, m)
        if row is not None:
            value = float(row[m])
            src = row[f"{m}_source"]
            source_ids = [src]
            prow = query.unit_value(ds, place, state.offense, year - 1, state.sex, state.age, m)
            if prow is not None and prow[f"{m}_source"] == src:
                prev = float(prow[m])
            if m == "rate" and bool(row.get("rate_computed")) and isinstance(row.get("population_source"), str):
                computed_note = t("computed_rate", lang, source=ds.source_label(row["population_source"]))
        place_name = ds.name(place, lang)
    else:
        reg = query.region_series(ds, state.offense, state.sex, state.age, m)
        cur = reg[reg["year"] == year]
        if not cur.empty:
            value = float(cur.iloc[0]["value"])
            source_ids = list(cur.iloc[0]["sources"])
            computed_note = region_note(ds, cur.iloc[0], m, lang)
            pr = reg[reg["year"] == year - 1]
            if not pr.empty and list(pr.iloc[0]["sources"]) == source_ids:
                prev = float(pr.iloc[0]["value"])
        place_name = t("region", lang)
    change = None
    if value is not None and prev not in (None, 0):
        change = (value - prev) / prev * 100.0
    sex_part = "" if state.sex == "total" else " · " + t(SEX_KEYS[state.sex], lang)
    age_part = "" if state.age == "total" else " · " + ds.age_label(state.age, lang)
    src_label = ", ".join(ds.source_label(s) for s in source_ids)
    meta = f"{ds.offense_label(state.offense, lang)}{sex_part}{age_part} · {year}"
    if src_label:
        meta += f" · {t('source', lang)}: {src_label}"
    return {
        "place": place_name,
        "value": fmt_value(value, m, loc) if value is not None else "—",
        "unit": (grouped_100k(t("per_100k", lang), symbols(loc)[1]) if m == "rate" else t("cases", lang))
                if value is not None else
                (t("region_value_missing", lang, year=year) if place is None else t("no_data", lang)),
        "change": (f"{fmt_change(change, loc)} {t('change_vs', lang, year=year - 1)}" if change is not None
                   and not math.isnan(change) else ""),
        "meta": meta,
        "computed": computed_note,
        "hint": t("region_headline_hint", lang) if (value is None and place is None) else "",
        "data_date": t("data_date", lang, date=ds.build_date or ds.version),
        "sources": source_ids,
    }


def region_note(ds: query.Dataset, row: pd.Series, measure: str, lang: str) -> str:
    """How the regional figure is made, and which neighbours it leaves out for lack of data."""
    pops = ", ".join(ds.source_label(s) for s in row.get("population_sources") or [])
    note = (t("region_weighted", lang, source=pops) if measure == "rate" and pops else t("region_summed", lang))
    missing = list(row.get("missing") or [])
    if missing:
        note += " " + t("region_without", lang, countries=", ".join(ds.name(c, lang) for c in missing))
    return note


def map_source_ids(ds: query.Dataset, state: ViewState, figures_only: bool = False) -> list[str]:
    """The sources of the map's figures (each area's), then the population behind its computed rates: for a map
    of counts (`figures_only`) those only where the map shows rates; the page's footer names them all (its
    ranking shows rates beside counts)."""
    _, table = _table(ds, state)
    own = _present(table["source"])
    pop = set() if figures_only and state.measure != "rate" else \
        _present(table["population_source"], table["rate_computed"].to_numpy(bool))
    return sorted(own) + sorted(pop - own)


def footer_view(ds: query.Dataset, state: ViewState) -> dict:
    recs = query.sources_in(ds, map_source_ids(ds, state))
    return {"sources": [{"label": r.get("citation") or r.get("publisher") or r["source_id"],
                         "address": r.get("address") if isinstance(r.get("address"), str) and
                         str(r.get("address")).startswith(("https://", "http://")) else None} for r in recs],
            "version": ds.version}


def note_text(ds: query.Dataset, note: dict, lang: str) -> str:
    """A validation note as plain text."""
    n = Note(**{k: note.get(k, "") for k in ("kind", "param", "value", "default")})
    param_label = t(n.param if n.param in ("country", "level", "offense", "year", "sex", "age", "measure",
                                           "unit", "lang") else "filters", lang)
    default = _value_label(ds, n.param, n.default, lang) or (
        "el valor predeterminado" if lang == "es" else "the default")
    if n.kind == "invalid":
        return t("note_invalid", lang, value=n.value, param=param_label, default=default)
    if n.kind == "repeated":
        return t("note_repeated", lang, param=param_label, default=default)
    if n.kind == "fallback":
        what = _value_label(ds, n.param, n.value, lang) or n.value
        return t("note_fallback", lang, what=what, default=default)
    if n.kind == "unit_country":
        return t("note_unit_country", lang, country=ds.name(n.default, lang))
    if n.kind == "no_units":
        return t("note_no_units", lang, what=_value_label(ds, n.param, n.value, lang) or n.value, default=default)
    return ""


def _value_label(ds: query.Dataset, param: str, value: str, lang: str) -> str:
    if value in ("", None):
        return ""
    if param == "offense":
        return ds.offense_label(value, lang)
    if param == "country":
        return t("region", lang) if value == REGION else ds.name(value, lang)
    if param == "sex":
        return t(SEX_KEYS.get(value, "sex_total"), lang)
    if param == "age":
        return ds.age_label(value, lang)
    if param == "measure":
        return t("rate" if value == "rate" else "count", lang)
    if param == "level":
        return t(f"level_{value}", lang) if value in ("0", "1", "2") else value
    return value


def map_piece(ds: query.Dataset, state: ViewState) -> dict:
    """`map_view` as the memoised piece "map" of the view (core.cache: shared through Redis when set), the one
    way the map panel, the presenter, the slides and the static image ask for it."""
    from core.cache import memo

    return memo("map", key(ds, state), lambda: map_view(ds, state))


# ---------------------------------------------------------------------------------------------------
def image_token(ds: query.Dataset) -> str:
    """The static map image's version: the data's and the code's (core.cache.code_version). The image is kept a
    day; a new version of the code may draw the same data differently (round 11's hatching), and an image drawn
    by the previous one would not match the interactive map that replaces it."""
    from core.cache import code_version

    return f"{geo_token(ds)}.{code_version()[:8]}"


def static_map_url(ds: query.Dataset, state: ViewState) -> str:
    """Where the page finds the static image of this view's map (`/map.svg`, core/static_map.py). The address
    carries the view and the versions of the data and of the code, so a browser or a CDN may keep it."""
    return f"/map.svg?{to_query(state)}&v={image_token(ds)}"


def static_map_svg(ds: query.Dataset, state: ViewState, payload: dict) -> str:
    """The static SVG of a view's map, from the same payload (`map_view`) as the interactive one."""
    scope = query.geo_scope(state.level, state.country)
    units = static_map.units_for(scope)
    return static_map.map_svg(payload, static_map.level_paths(ds, state.level, scope, units),
                              static_map.level_paths(ds, 0, query.land_scope(scope), units),
                              units, label=t("map_title", state.lang))
