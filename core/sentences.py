"""The headline sentence of a view, in Spanish and English, generated from the data (issue 4).

    "En 2023 Costa Rica registró 17,7 homicidios por cada 100 000 habitantes, un 37 % más que en 2022 (UNODC)."
    "In 2023 Costa Rica recorded 17.7 homicides per 100,000 people, up 37% on 2022 (UNODC)."

`headline_sentence(ds, state)` returns {"text", "main", "caveats": [str], "kinds": [str], "value", "prev",
"change"}: the main sentence plus one short sentence per caveat that applies:

* partial   the regional figure leaves out countries without data (query.region_series `missing`);
* small_n   a rate that rests on fewer than 20 events (query.SMALL_N);
* disagree  two or more sources publish different figures for that place, year and offence;
* changed   the source (or the way the rate is obtained) differs between the two years: no % change, and why.

Pure: reads only through core.query; numbers through core.numbers (language and, for one country, its locale).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core import query
from core.numbers import fmt_count, fmt_number, fmt_rate, locale_for
from core.viewstate import REGION, ViewState

NBSP = "\u00a0"

# Plural nouns as the region's institutions write them (lower case, for running text).
NOUNS = {
    "homicide": ("homicidios", "homicides"),
    "femicide": ("femicidios", "femicides"),
    "robbery": ("robos", "robberies"),
    "theft": ("hurtos", "thefts"),
    "assault": ("asaltos", "robberies with violence"),
    "vehicle_theft": ("robos de vehículos", "vehicle thefts"),
    "theft_from_vehicle": ("tachas de vehículos", "thefts from vehicles"),
    "burglary": ("robos o hurtos en vivienda", "burglaries"),
    "injury": ("víctimas de lesiones", "injury victims"),
    "extortion": ("extorsiones", "extortions"),
    "kidnapping": ("secuestros", "kidnappings"),
    "disappearance": ("denuncias de desaparición", "reported disappearances"),
    "rape": ("violaciones", "rapes"),
    "violence_against_women": ("denuncias de violencia contra la mujer", "complaints of violence against women"),
    "vaw_femicide": ("denuncias de femicidio", "femicide complaints"),
}
SEX_WORDS = {"female": ("de mujeres", "of women"), "male": ("de hombres", "of men")}

TEXT = {
    "region": ("la región", "the region"),
    "verb": ("registró", "recorded"),
    "per": ("por cada {n} habitantes", "per {n} people"),
    "no_data": ("No hay cifras publicadas de {what} para {place} en {year}.",
                "No published figures on {what} for {place} in {year}."),
    "cases_of": ("casos de {label}", "cases of {label}"),
    "up": ("un {p}{nb}% más que en {year}", "up {p}% on {year}"),
    "down": ("un {p}{nb}% menos que en {year}", "down {p}% on {year}"),
    "same": ("igual que en {year}", "unchanged on {year}"),
    "partial": ("La cifra regional no incluye {places} (sin datos para ese año).",
                "The regional figure leaves out {places} (no data for that year)."),
    "small_n": ("Tasa calculada sobre menos de 20 casos ({n}): puede variar mucho de un año a otro.",
                "The rate rests on fewer than 20 events ({n}), so it can swing widely from year to year."),
    "disagree": ("Las fuentes no coinciden para {year}: {list}.", "Sources disagree for {year}: {list}."),
    "changed_source": ("Sin comparación con {prev}: la fuente cambió ({old} en {prev}, {new} en {year}).",
                       "No comparison with {prev}: the source changed ({old} in {prev}, {new} in {year})."),
    "changed_method": ("Sin comparación con {prev}: la tasa de un año la publica la fuente y la del otro se calcula "
                       "con población de {pop}.",
                       "No comparison with {prev}: one year's rate is published by the source, the other's is "
                       "computed with population from {pop}."),
    "computed": ("tasa calculada con población de {pop}", "rate computed with population from {pop}"),
    "and": (" y ", " and "),
    "n_sources": ("{n} fuentes nacionales", "{n} national sources"),
    "counts": ("{n} casos", "{n} events"),
}


def _t(key: str, lang: str, **kw) -> str:
    es, en = TEXT[key]
    return (en if lang == "en" else es).format(**kw)


def short_source(ds: query.Dataset, source_id: str | None) -> str:
    """A source's short name for running text: the publisher before any ' (' or ' – ' (UNODC, OIJ, SEPOL)."""
    label = ds.source_label(source_id)
    short = re.split(r" \(| – | - | / ", label, maxsplit=1)[0].strip()
    return short or label


def offense_noun(ds: query.Dataset, offense: str, lang: str) -> str:
    i = 1 if lang == "en" else 0
    if offense in NOUNS:
        return NOUNS[offense][i]
    label = ds.offense_label(offense, lang)
    return _t("cases_of", lang, label=label[:1].lower() + label[1:])


def _join(items: list[str], lang: str) -> str:
    items = [x for x in items if x]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + _t("and", lang) + items[-1]


def _what(ds: query.Dataset, state: ViewState, lang: str) -> str:
    """'homicidios de mujeres (18–64)' / 'homicides of women (18–64)'."""
    words = offense_noun(ds, state.offense, lang)
    if state.sex in SEX_WORDS:
        words += " " + SEX_WORDS[state.sex][1 if lang == "en" else 0]
    if state.age != "total":
        words += f" ({ds.age_label(state.age, lang)})"
    return words


def _value_text(value: float, measure: str, loc: str, what: str, lang: str) -> str:
    if measure == "rate":
        return f"{fmt_rate(value, loc)} {what} {_t('per', lang, n=fmt_count(100_000, loc))}"
    return f"{fmt_count(value, loc)} {what}"


def _change_text(change: float, prev_year: int, loc: str, lang: str) -> str:
    p = round(abs(change))
    if p == 0:
        return _t("same", lang, year=prev_year)
    return _t("up" if change > 0 else "down", lang, p=fmt_number(p, loc, 0), nb=NBSP, year=prev_year)


def _source_names(ds: query.Dataset, ids: list[str]) -> dict[str, str]:
    """Short names, or the citation (without ', via ...') where two sources share a short name."""
    short = {s: short_source(ds, s) for s in ids}
    out = {}
    for s in ids:
        if list(short.values()).count(short[s]) > 1:
            cit = str((ds.sources.get(s) or {}).get("citation") or short[s])
            out[s] = cit.split(", via ")[0]
        else:
            out[s] = short[s]
    return out


def _disagreement(ds: query.Dataset, place: str, state: ViewState, year: int, loc: str, lang: str) -> str:
    """'Las fuentes no coinciden para 2023: ...' when two or more sources publish different figures: compared
    in the measure shown (published rate, else count / population, at the precision shown), else as counts."""
    cs = query.cell_source_arrays(ds, place, year, state.offense, state.sex, state.age)
    if len(cs["source_id"]) < 2:
        return ""
    col, digits = ("rate_any", 1) if state.measure == "rate" else ("count", 0)
    shown = ~np.isnan(cs[col])
    counts = ~np.isnan(cs["count"])
    if len({round(float(v), digits) for v in cs[col][shown]}) >= 2:
        rows = shown
        fmt = (lambda i: fmt_rate(cs["rate_any"][i], loc)) if col == "rate_any" else \
            (lambda i: fmt_count(cs["count"][i], loc))
    elif len({round(float(v)) for v in cs["count"][counts]}) >= 2:
        rows, fmt = counts, (lambda i: _t("counts", lang, n=fmt_count(cs["count"][i], loc)))
    else:
        return ""
    picked = np.flatnonzero(rows).tolist()
    names = _source_names(ds, [cs["source_id"][i] for i in picked])
    parts = [f"{names[cs['source_id'][i]]}: {fmt(i)}" for i in picked]
    return _t("disagree", lang, year=year, list="; ".join(parts))


def headline_sentence(ds: query.Dataset, state: ViewState, lang: str | None = None) -> dict:
    """The sentence for a valid view state, in `lang` (default: the state's language)."""
    lang = lang or state.lang
    m = state.measure
    place = state.unit or (None if state.country == REGION else state.country)
    loc = locale_for(lang, ds.unit(place)["country"] if place and ds.unit(place) else None)
    year = int(state.year or 0)
    what = _what(ds, state, lang)
    caveats: list[tuple[str, str]] = []
    value = prev = change = None
    src_text = ""
    if place is not None:
        place_name = ds.name(place, lang)
        row = query.unit_value(ds, place, state.offense, year, state.sex, state.age, m)
        if row is not None:
            value = float(row[m])
            src = row[f"{m}_source"]
            computed = m == "rate" and bool(row.get("rate_computed"))
            pop_src = row.get("population_source") if isinstance(row.get("population_source"), str) else None
            src_text = short_source(ds, src)
            if computed and pop_src:
                src_text += "; " + _t("computed", lang, pop=short_source(ds, pop_src))
            prow = query.unit_value(ds, place, state.offense, year - 1, state.sex, state.age, m)
            if prow is not None:
                psrc = prow[f"{m}_source"]
                pcomputed = m == "rate" and bool(prow.get("rate_computed"))
                if psrc != src:
                    caveats.append(("changed", _t("changed_source", lang, prev=year - 1, year=year,
                                                  old=short_source(ds, psrc), new=short_source(ds, src))))
                elif pcomputed != computed:
                    pp = pop_src if computed else prow.get("population_source")
                    caveats.append(("changed", _t("changed_method", lang, prev=year - 1,
                                                  pop=short_source(ds, pp) if isinstance(pp, str) else "?")))
                else:
                    prev = float(prow[m])
            if m == "rate":
                n = row.get("count")
                if n is not None and not pd.isna(n) and float(n) < query.SMALL_N:
                    caveats.append(("small_n", _t("small_n", lang, n=fmt_count(float(n), loc))))
            dis = _disagreement(ds, place, state, year, loc, lang)
            if dis:
                caveats.append(("disagree", dis))
    else:
        place_name = _t("region", lang)
        reg = query.region_series(ds, state.offense, state.sex, state.age, m)
        cur = reg[reg["year"] == year]
        if not cur.empty:
            r0 = cur.iloc[0]
            value = float(r0["value"])
            srcs = list(r0["sources"])
            names = list(dict.fromkeys(short_source(ds, s) for s in srcs))
            src_text = ", ".join(names) if len(names) <= 2 else _t("n_sources", lang, n=len(names))
            pr = reg[reg["year"] == year - 1]
            if not pr.empty:
                psrcs = list(pr.iloc[0]["sources"])
                if psrcs == srcs:
                    prev = float(pr.iloc[0]["value"])
                else:
                    pnames = list(dict.fromkeys(short_source(ds, s) for s in psrcs))
                    caveats.append(("changed", _t("changed_source", lang, prev=year - 1, year=year,
                                                  old=", ".join(pnames) if len(pnames) <= 2 else
                                                  _t("n_sources", lang, n=len(pnames)), new=src_text)))
            missing = list(r0["missing"] or [])
            if missing:
                caveats.insert(0, ("partial", _t("partial", lang, places=_join([ds.name(c, lang) for c in missing],
                                                                               lang))))
    if value is None:
        main = _t("no_data", lang, what=what, place=place_name, year=year)
        return {"text": main, "main": main, "caveats": [], "kinds": [], "value": None, "prev": None,
                "change": None}
    if prev not in (None, 0):
        change = (value - prev) / prev * 100.0
    subject = place_name
    if lang == "en":
        main = f"In {year} {subject} {_t('verb', lang)} {_value_text(value, m, loc, what, lang)}"
    else:
        main = f"En {year} {subject} {_t('verb', lang)} {_value_text(value, m, loc, what, lang)}"
    if change is not None:
        main += ", " + _change_text(change, year - 1, loc, lang)
    if src_text:
        main += f" ({src_text})"
    main += "."
    texts = [c[1] for c in caveats]
    return {"text": " ".join([main] + texts), "main": main, "caveats": texts, "kinds": [c[0] for c in caveats],
            "value": value, "prev": prev, "change": change}


def sentences(ds: query.Dataset, state: ViewState) -> dict[str, dict]:
    """Both languages: {"es": ..., "en": ...}."""
    return {lang: headline_sentence(ds, state, lang) for lang in ("es", "en")}
