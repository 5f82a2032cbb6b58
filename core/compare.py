"""Compare places (issue 5): several units of any level and country on one chart, optionally indexed to a base
year (= 100). The selection lives in the URL:

    /comparar?compare=CR-SJ,HN-CR&base=2019&offense=homicide&measure=rate&sex=total&age=total&lang=es

`parse(ds, query)` validates like core.viewstate (never raises; unknown or data-less ids are dropped and a note
says which); `compare_view(ds, state)` returns the figure (plain dict), notes and a summary table as plain data.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import parse_qs, urlencode

import pandas as pd

from core import query
from core.i18n import t
from core.numbers import fmt_value, plotly_separators
from core.viewstate import LANGS, MEASURES, SEXES

MAX_UNITS = 8
MAX_QUERY_CHARS = 2048
_ID = re.compile(r"^[A-Za-z0-9_\-\.]{1,64}$")
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "solid", "dash", "dot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down"]


@dataclass(frozen=True)
class CompareState:
    units: tuple[str, ...] = ()
    base: int | None = None
    offense: str = "homicide"
    measure: str = "rate"
    sex: str = "total"
    age: str = "total"
    lang: str = "es"
    dropped: tuple[str, ...] = field(default=(), compare=False)   # ids removed by validation (for the note)
    notes: tuple[str, ...] = field(default=(), compare=False)     # other validation note keys ('base_bad:<v>')

    def to_dict(self) -> dict:
        return asdict(self)


def _one(raw: dict, k: str) -> str | None:
    v = raw.get(k)
    if not v:
        return None
    return v[-1].strip()[:200]


def parse(ds: query.Dataset, search: str | None) -> CompareState:
    q = (search or "")
    q = q[1:] if q.startswith("?") else q
    try:
        raw = parse_qs(q[:MAX_QUERY_CHARS], keep_blank_values=True, max_num_fields=32)
    except ValueError:
        raw = {}
    lang = _one(raw, "lang")
    lang = lang if lang in LANGS else "es"
    offense = _one(raw, "offense")
    offense = offense if offense in ds.offenses else ("homicide" if "homicide" in ds.offenses else ds.offenses[0])
    measure = _one(raw, "measure")
    measure = measure if measure in MEASURES else "rate"
    sex = _one(raw, "sex")
    sex = sex if sex in SEXES else "total"
    age = _one(raw, "age")
    age = age if age == "total" or age in ds.age_groups else "total"
    notes: list[str] = []
    base_raw = _one(raw, "base")
    base = None
    if base_raw:
        if re.fullmatch(r"[0-9]{4}", base_raw) and int(base_raw) in ds.years:
            base = int(base_raw)
        else:
            notes.append("base_bad:" + base_raw[:20])
    state = CompareState(base=base, offense=offense, measure=measure, sex=sex, age=age, lang=lang,
                         notes=tuple(notes))
    ids_raw = ",".join(raw.get("compare", []))
    return with_units(ds, state, [s.strip() for s in ids_raw.split(",") if s.strip()])


def with_units(ds: query.Dataset, state: CompareState, ids: list) -> CompareState:
    """The state with these unit ids, keeping only known units with data for the offense (first MAX_UNITS)."""
    ok = set(query.units_with_data(ds, state.offense, state.sex, state.age))
    keep: list[str] = []
    dropped: list[str] = []
    for u in ids[:64]:
        if not isinstance(u, str):
            continue
        uid = u.strip()
        if _ID.match(uid) and uid.upper() in ok and uid not in ok:
            uid = uid.upper()
        if _ID.match(uid) and uid in ok:
            if uid not in keep:
                keep.append(uid)
        else:
            dropped.append(uid[:40])
    notes = tuple(n for n in state.notes if not n.startswith("too_many"))
    if len(keep) > MAX_UNITS:
        keep = keep[:MAX_UNITS]
        notes += ("too_many",)
    return replace(state, units=tuple(keep), dropped=tuple(dropped), notes=notes)


def to_query(state: CompareState) -> str:
    pairs = [("compare", ",".join(state.units))]
    if state.base is not None:
        pairs.append(("base", state.base))
    pairs += [("offense", state.offense), ("measure", state.measure)]
    if state.sex != "total":
        pairs.append(("sex", state.sex))
    if state.age != "total":
        pairs.append(("age", state.age))
    pairs.append(("lang", state.lang))
    return urlencode(pairs, safe=",")


# ---------------------------------------------------------------------------------------------------
def unit_label(ds: query.Dataset, unit_id: str, lang: str) -> str:
    """'San José · Costa Rica (depto./provincia)': unique enough to tell Guatemala the department from the country."""
    u = ds.unit(unit_id)
    if u is None:
        return unit_id
    if u["level"] == 0:
        return f"{ds.name(unit_id, lang)} ({t('level_name_0', lang)})"
    return f"{u['name']} · {ds.name(u['country'], lang)} ({t('level_name_' + str(u['level']), lang)})"


def unit_options(ds: query.Dataset, offense: str, sex: str, age: str, lang: str) -> list[dict]:
    def search(u: str) -> str:   # found by either name (the English one only where it differs: ~1,500 options)
        es, en = ds.name(u), ds.name(u, "en")
        return f"{u} {es}" if en == es else f"{u} {es} {en}"
    return [{"label": unit_label(ds, u, lang), "value": u, "search": search(u)}
            for u in query.units_with_data(ds, offense, sex, age)]


def short_source(ds: query.Dataset, source_id: str) -> str:
    return ds.source_label(source_id)


def compare_series(ds: query.Dataset, state: CompareState) -> list[dict]:
    """Per unit: {unit_id, label, years, values, index (or None), sources (per year), source_ids}."""
    out = []
    for uid in state.units:
        s = query.unit_series(ds, uid, state.offense, state.sex, state.age, state.measure)
        years = [int(y) for y in s["year"]]
        values = [float(v) for v in s["value"]]
        srcs = [str(x) for x in s["source"]]
        index = None
        if state.base is not None:
            by = dict(zip(years, values))
            b = by.get(state.base)
            index = [v / b * 100.0 for v in values] if b not in (None, 0) and not math.isnan(b) else None
        out.append({"unit_id": uid, "label": unit_label(ds, uid, state.lang), "years": years, "values": values,
                    "index": index, "source_ids": srcs})
    return out


def compare_view(ds: query.Dataset, state: CompareState) -> dict:
    lang, m = state.lang, state.measure
    series = compare_series(ds, state)
    notes: list[str] = []
    if state.dropped:
        notes.append(t("compare_dropped", lang, ids=", ".join(state.dropped)))
    for n in state.notes:
        if n.startswith("base_bad:"):
            notes.append(t("compare_base_bad", lang, value=n.split(":", 1)[1]))
        elif n == "too_many":
            notes.append(t("compare_too_many", lang, n=MAX_UNITS))
    if not state.units:
        notes.append(t("compare_empty", lang))
    data = []
    rows = []
    loc = "es_419" if lang == "es" else "en"
    shown = 0
    for i, s in enumerate(series):
        uniq = list(dict.fromkeys(s["source_ids"]))
        src_names = [short_source(ds, x) for x in uniq]
        if not s["years"]:
            notes.append(f"{s['label']}: {t('no_data', lang)} — {t(m, lang)}")
        if len(uniq) > 1:
            notes.append(t("compare_mixed", lang, place=s["label"], sources=", ".join(src_names)))
        rows.append({"unit_id": s["unit_id"], "label": s["label"], "sources": ", ".join(src_names),
                     "years": _years(s["years"]),
                     "last": (f"{fmt_value(s['values'][-1], m, loc)} ({s['years'][-1]})" if s["years"] else "—"),
                     "base": (fmt_value(dict(zip(s["years"], s["values"])).get(state.base), m, loc)
                              if state.base is not None and state.base in s["years"] else "—")})
        if not s["years"]:
            continue
        if state.base is not None and s["index"] is None:
            notes.append(t("compare_no_base", lang, place=s["label"], year=state.base))
            continue
        ys = s["index"] if state.base is not None else s["values"]
        full = list(range(min(s["years"]), max(s["years"]) + 1))     # gaps stay gaps
        by = dict(zip(s["years"], zip(ys, s["values"], s["source_ids"])))
        name = f"{s['label']} — {', '.join(src_names)}"
        custom = [[short_source(ds, by[y][2]), fmt_value(by[y][1], m, loc)] if y in by else ["", ""] for y in full]
        yfmt = ",.1f" if (state.base is not None or m == "rate") else ",.0f"
        val_line = (f"{t('compare_index_axis', lang, year=state.base)}: %{{y:{yfmt}}}<br>"
                    f"{t(m, lang)}: %{{customdata[1]}}") if state.base is not None else f"{t(m, lang)}: %{{y:{yfmt}}}"
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": name,
            "x": full, "y": [round(by[y][0], 3) if y in by else None for y in full], "customdata": custom,
            "connectgaps": False,
            "line": {"color": COLORS[i % 8], "width": 3, "dash": DASHES[i % 8]},
            "marker": {"size": 8, "color": COLORS[i % 8], "symbol": SYMBOLS[i % 8]},
            "hovertemplate": f"<b>{_esc(s['label'])}</b> %{{x}}<br>{val_line}<br>"
                             f"{t('source', lang)}: %{{customdata[0]}}<extra></extra>",
        })
        shown += 1
    ytitle = t("compare_index_axis", lang, year=state.base) if state.base is not None else t(m, lang)
    all_years = sorted({x for tr in data for x, y in zip(tr["x"], tr["y"]) if y is not None})
    xaxis = {"tickformat": "d", "showgrid": False, "fixedrange": True, "tickfont": {"size": 13}}
    if all_years:
        xaxis["range"] = [min(all_years) - 0.5, max(all_years) + 0.5]
        if max(all_years) - min(all_years) <= 14:
            xaxis["dtick"] = 1
    shapes = []
    if state.base is not None and data:
        shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 100, "y1": 100,
                   "line": {"color": "#777", "width": 1, "dash": "dot"}},
                  {"type": "line", "x0": state.base, "x1": state.base, "yref": "paper", "y0": 0, "y1": 1,
                   "line": {"color": "#bbb", "width": 1, "dash": "dot"}}]
    fig = {"data": data, "layout": {
        "margin": {"l": 56, "r": 12, "t": 10, "b": 40},
        "separators": plotly_separators(loc),
        "xaxis": xaxis,
        "yaxis": {"rangemode": "tozero", "fixedrange": True, "gridcolor": "#e5e5e5", "tickfont": {"size": 13},
                  "title": {"text": ytitle, "font": {"size": 13}}},
        "legend": {"orientation": "h", "y": -0.14, "x": 0, "yanchor": "top", "font": {"size": 13}},
        "showlegend": True, "hovermode": "closest", "shapes": shapes,
        "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff",
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
    }}
    if not data:   # nothing to draw: no axes that look like a chart of zeros, the reason in their place
        fig["layout"]["xaxis"] = {"visible": False}
        fig["layout"]["yaxis"] = {"visible": False}
        fig["layout"]["showlegend"] = False
        fig["layout"]["annotations"] = [{
            "text": _esc(t("compare_empty", lang) if not state.units else t("no_data", lang)),
            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
            "font": {"size": 18, "color": "#555"}}]
    src_ids = sorted({x for s in series for x in s["source_ids"]})
    sources = [{"label": r.get("citation") or r.get("publisher") or r["source_id"],
                "address": r.get("address") if str(r.get("address") or "").startswith(("http://", "https://"))
                else None} for r in query.sources_in(ds, src_ids)]
    return {"figure": fig, "notes": notes, "rows": rows, "sources": sources, "n_shown": shown}


def _years(years: list[int]) -> str:
    if not years:
        return "—"
    return f"{years[0]}–{years[-1]}" if years[0] != years[-1] else str(years[0])


def _esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def base_years(ds: query.Dataset, state: CompareState) -> list[int]:
    """Years in which at least one selected unit has a value (candidates for the base year)."""
    ys: set[int] = set()
    for uid in state.units:
        s = query.unit_series(ds, uid, state.offense, state.sex, state.age, state.measure)
        ys.update(int(y) for y in s["year"])
    return sorted(ys)


def main_view_compare_href(unit: str | None, country: str, offense: str, measure: str, lang: str,
                           countries: tuple[str, ...] | list[str] = ()) -> str:
    """Link from the main view: the selected place (or country) to start the comparison with; from the region's
    view, the observatory's countries among `countries` (the data's), whose lines the region's trend draws."""
    first = unit or (country if country != "region" else
                     ",".join(c for c in query.MISSION_COUNTRIES if c in set(countries)))
    return "/comparar?" + urlencode([("compare", first), ("offense", offense), ("measure", measure),
                                     ("lang", lang)], safe=",")


def table_frame(rows: list[dict]) -> pd.DataFrame:   # pragma: no cover - convenience for notebooks
    return pd.DataFrame(rows)
