"""Reconciliation view (issue 5): where several institutions publish different figures for the same place,
year and offence, every source side by side, with the gap (in numbers and per cent) to the source the map uses,
and each source cited. Which source the map uses is the declared rule of geo/sources.yaml (`priority`, lower
wins, per measure); ties in priority are stated as such.

All functions return plain data (cacheable); numbers come from core.query only.
"""
from __future__ import annotations

import math

import pandas as pd

from core import query
from core.i18n import t
from core.numbers import fmt_count, fmt_rate, plotly_separators


def _f(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _link(rec: dict) -> str | None:
    a = rec.get("address")
    return a if isinstance(a, str) and a.startswith(("http://", "https://")) else None


def case(ds: query.Dataset, unit_id: str, year: int, offense: str, sex: str = "total", age: str = "total",
         lang: str = "es") -> dict:
    """One place/year/offence: a row per source with count, rate (published or computed), gaps to the map's
    source, priority, publisher, title, citation, link, notes; plus who the map uses and whether it is a tie."""
    cs = query.cell_sources(ds, unit_id, year, offense, sex, age)
    loc = "es_419" if lang == "es" else "en"
    map_count = cs.loc[cs["map_count"] & cs["count"].notna(), ["source_id", "count", "priority"]]
    map_rate = cs.loc[cs["map_rate"] & cs["rate"].notna(), ["source_id", "rate", "priority"]]
    ref_count = _f(map_count["count"].iloc[0]) if len(map_count) else None
    ref_rate = _f(map_rate["rate"].iloc[0]) if len(map_rate) else None
    rows = []
    for r in cs.itertuples(index=False):
        rec = ds.sources.get(r.source_id, {})
        count, rate_any = _f(r.count), _f(r.rate_any)
        gap_n = gap_pct = gap_r = gap_r_pct = None
        if count is not None and ref_count is not None and not r.map_count:
            gap_n = count - ref_count
            gap_pct = gap_n / ref_count * 100.0 if ref_count else None
        if rate_any is not None and ref_rate is not None and not r.map_rate:
            gap_r = rate_any - ref_rate
            gap_r_pct = gap_r / ref_rate * 100.0 if ref_rate else None
        rows.append({
            "source_id": r.source_id, "priority": int(r.priority),
            "publisher": rec.get("publisher") or r.source_id, "title": rec.get("title") or "",
            "citation": rec.get("citation") or "", "address": _link(rec), "notes": rec.get("notes") or "",
            "licence": rec.get("licence") or "",
            "count": count, "rate": _f(r.rate), "rate_any": rate_any, "rate_computed": bool(r.rate_computed),
            "map_count": bool(r.map_count), "map_rate": bool(r.map_rate),
            "gap_count": gap_n, "gap_count_pct": gap_pct, "gap_rate": gap_r, "gap_rate_pct": gap_r_pct,
            "count_text": fmt_count(count, loc) if count is not None else "—",
            "rate_text": fmt_rate(rate_any, loc) + ("*" if r.rate_computed else "") if rate_any is not None else "—",
            "gap_count_text": _gap_text(gap_n, gap_pct, loc, True),
            "gap_rate_text": _gap_text(gap_r, gap_r_pct, loc, False),
        })
    ties = []
    for kind, sub, col in (("count", map_count, "count"), ("rate", map_rate, "rate")):
        if len(sub):
            p = int(sub["priority"].iloc[0])
            same = cs[(cs["priority"] == p) & cs[col].notna()]
            if len(same) > 1:
                ties.append({"measure": kind, "priority": p, "n": int(len(same))})
    u = ds.unit(unit_id) or {"name": unit_id, "country": unit_id}
    pop_src = cs["population_source"].dropna().iloc[0] if cs["population_source"].notna().any() else None
    return {
        "unit_id": unit_id, "name": ds.name(unit_id, lang), "country": u["country"], "year": int(year),
        "offense": offense, "offense_label": ds.offense_label(offense, lang),
        "rows": rows,
        "map_count_source": map_count["source_id"].iloc[0] if len(map_count) else None,
        "map_rate_source": map_rate["source_id"].iloc[0] if len(map_rate) else None,
        "ref_count": ref_count, "ref_rate": ref_rate, "ties": ties,
        "population": _f(cs["population"].iloc[0]) if len(cs) else None,
        "population_source": pop_src,
        "population_label": ds.source_label(pop_src) if pop_src else "",
    }


def _gap_text(n: float | None, pct: float | None, loc: str, is_count: bool) -> str:
    if n is None:
        return ""
    num = fmt_count(abs(n), loc) if is_count else fmt_rate(abs(n), loc)
    if float(num.replace(",", ".").replace("\u202f", "").replace("\xa0", "").replace(" ", "") or 0) == 0 \
            and (pct is None or round(abs(pct), 1) == 0):
        return "≈ 0"
    sign = "+" if n > 0 else ("−" if n < 0 else "±")
    if pct is None:
        return f"{sign}{num}"
    p = f"{abs(pct):.1f}".replace(".", "," if loc == "es_CR" else ".")
    return f"{sign}{num} ({sign}{p} %)"


def map_uses_text(ds: query.Dataset, c: dict, lang: str) -> str:
    """'El mapa usa: PNC (casos, prioridad 50); UNODC (tasa, prioridad 10)'."""
    parts = []
    for col, key in (("map_count_source", "count_short"), ("map_rate_source", "rate_short")):
        sid = c.get(col)
        if sid:
            prio = ds.sources.get(sid, {}).get("priority")
            parts.append(f"{ds.source_label(sid)} ({t(key, lang).lower()}, "
                         f"{t('reconcile_priority', lang).lower()} {prio})")
    return f"{t('reconcile_map_uses', lang)}: " + ("; ".join(parts) if parts else "—")


def cases(ds: query.Dataset, country: str | None = None, offense: str | None = None,
          sex: str = "total", age: str = "total", lang: str = "es") -> dict:
    """{'conflicts': [case...] (two or more counts, or two or more rates), 'others': [row...] (a rate from one
    source and a count from another: UNODC vs national), 'countries': [...], 'offenses': [...]}."""
    d = query.discrepancies(ds, sex, age)
    countries = sorted(set(d["country"]), key=ds.name)
    offenses = [o for o in ds.offenses if o in set(d["offense"])]
    if country:
        d = d[d["country"] == country]
    if offense:
        d = d[d["offense"] == offense]
    conflicts, others = [], []
    for r in d.itertuples(index=False):
        c = case(ds, r.unit_id, int(r.year), r.offense, sex, age, lang)
        n_rates = sum(1 for x in c["rows"] if x["rate"] is not None)
        if r.n_count_sources >= 2 or n_rates >= 2:
            conflicts.append(c)
        else:
            others.append(c)
    return {"conflicts": conflicts, "others": others, "countries": countries, "offenses": offenses}


def frame(c: dict) -> pd.DataFrame:   # convenience for tests and notebooks
    return pd.DataFrame(c["rows"])


def case_figure(c: dict, lang: str) -> dict:
    """Horizontal bars, one per source: cases where the sources publish counts, else the rate (computed rates
    marked '*'). The map's source in dark blue, the others in orange (and labelled, not colour alone)."""
    has_counts = sum(1 for r in c["rows"] if r["count"] is not None) >= 2
    key = "count" if has_counts else "rate_any"
    rows = [r for r in c["rows"] if r[key] is not None]
    mark = "map_count" if has_counts else "map_rate"
    loc = "es_419" if lang == "es" else "en"
    labels = [_short(r["publisher"], 26) + (" ◆" if r[mark] else "") for r in rows]
    texts = [(r["count_text"] if has_counts else r["rate_text"]) for r in rows]
    fig = {"data": [{
        "type": "bar", "orientation": "h", "x": [r[key] for r in rows], "y": labels,
        "text": texts, "textposition": "outside", "cliponaxis": False,
        "marker": {"color": ["#08306b" if r[mark] else "#E69F00" for r in rows]},
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }], "layout": {
        # the mark's key on a line of its own: a plotly title does not wrap, and the card's chart is ~330 px wide
        "margin": {"l": 8, "r": 60, "t": 46, "b": 24}, "height": 88 + 44 * max(1, len(rows)),
        "title": {"text": t("reconcile_chart" if has_counts else "reconcile_rate_chart", lang) +
                  "<br>◆ = " + t("reconcile_map_mark", lang), "font": {"size": 13}, "x": 0, "xanchor": "left"},
        "xaxis": {"rangemode": "tozero", "fixedrange": True, "showgrid": False, "showticklabels": False,
                  "zeroline": True, "zerolinecolor": "#999"},
        "yaxis": {"automargin": True, "fixedrange": True, "autorange": "reversed", "tickfont": {"size": 12}},
        "separators": plotly_separators(loc),
        "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff", "showlegend": False, "bargap": 0.35,
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
    }}
    return fig


def _short(s: str, n: int = 38) -> str:
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"
