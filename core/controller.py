"""What happens when the URL, a control or a map click changes: the new view state, the control values and
options, and the query string to write back. Pure given the dataset (tested without a server)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from core import digests, query
from core.i18n import SEX_KEYS, t
from core.viewstate import (LEVELS, MEASURES, REGION, SEXES, Note, ViewState, apply_change, apply_click,
                            options, parse, reconcile, to_query)

CONTROLS = ("country", "level", "offense", "year", "sex", "age", "measure")


@dataclass(frozen=True)
class SyncResult:
    state: ViewState
    notes: list[Note]
    level_has_data: bool
    search: str | None          # '?...' to write into the URL, or None to leave the URL alone
    values: dict
    options: dict

    def store(self) -> dict:
        return {"state": self.state.to_dict(), "notes": [n.to_dict() for n in self.notes],
                "level_has_data": self.level_has_data, "query": to_query(self.state)}


def control_options(ds: query.Dataset, state: ViewState) -> dict[str, list[dict]]:
    """Options (label, value, disabled) for every control, labelled in the state's language.
    A choice without data is disabled or says so ('sin datos')."""
    lang = state.lang
    cat = query.catalog(ds)
    av = options(state, cat)
    nd = t("no_data_country", lang)
    out: dict[str, list[dict]] = {}
    out["country"] = [{"label": t("region_all", lang), "value": REGION}] + [
        {"label": ds.name(c, lang) + ("" if av["country"][c] else f" ({nd})"), "value": c} for c in ds.countries]
    out["level"] = []
    for lv in LEVELS:
        has_units, has_data = av["level"][lv]
        label = t(f"level_{lv}", lang) + ("" if (has_data or not has_units) else f" ({nd})")
        out["level"].append({"label": label, "value": lv, "disabled": not has_units})
    out["offense"] = [{"label": ds.offense_label(o, lang), "value": o, "disabled": not av["offense"][o]}
                      for o in ds.offenses]
    out["measure"] = [{"label": t(m, lang), "value": m, "disabled": not av["measure"][m]} for m in MEASURES]
    out["sex"] = [{"label": t(SEX_KEYS[s], lang), "value": s, "disabled": not av["sex"][s]} for s in SEXES]
    out["age"] = [{"label": ds.age_label(g, lang), "value": g, "disabled": not ok} for g, ok in av["age"].items()]
    out["year"] = [{"label": str(y), "value": y, "disabled": not ok} for y, ok in sorted(av["year"].items(),
                                                                                         reverse=True)]
    return out


def options_digest(opts: dict[str, list[dict]]) -> str:
    """A short digest of each control's options, in `CONTROLS` order (core.digests: 8 hex each, joined by '.').
    The page keeps the digest of what its controls show (it goes up with every change, so it is kept small); a
    view whose options are the same sends none (they were ~1.2 KB gzipped of every change)."""
    return digests.to_send([opts[c] for c in CONTROLS], None)[1]


def options_to_send(opts: dict[str, list[dict]], shown: object) -> tuple[dict[str, list[dict] | None], str]:
    """({control: its options, or None where the browser already shows them}, the digest of the new options).
    `shown` comes from the browser: anything but a digest string of 7 parts sends every control's options."""
    send, digest = digests.to_send([opts[c] for c in CONTROLS], shown)
    return {c: (opts[c] if s else None) for c, s in zip(CONTROLS, send)}, digest


def _result(ds: query.Dataset, state: ViewState, notes: list[Note], has: bool, search: str | None) -> SyncResult:
    from core.cache import memo

    values = {c: getattr(state, c) for c in CONTROLS}
    opts = memo("options", (str(ds.data_dir), ds.version) + tuple(state.to_dict().values()),
                lambda: control_options(ds, state))
    return SyncResult(state=state, notes=notes, level_has_data=has, search=search, values=values, options=opts)


def sync(ds: query.Dataset, trigger: str | None, search: str | None, values: dict | None = None,
         click: object = None) -> SyncResult:
    """trigger: 'url' / None (page load, back/forward), a control name, or 'map' (click)."""
    cat = query.catalog(ds)
    current, notes = parse(search or "", cat)
    if trigger in (None, "url") or (trigger not in CONTROLS and trigger != "map"):
        state, more, has = reconcile(current, cat)
        return _result(ds, state, notes + more, has, None)
    base, _, _ = reconcile(current, cat)
    if trigger == "map":
        unit = None
        try:
            unit = click["points"][0]["location"]  # type: ignore[index]
        except (TypeError, KeyError, IndexError):
            unit = None
        new = apply_click(base, unit, cat)
    else:
        new = apply_change(base, trigger, (values or {}).get(trigger), cat)
    state, more, has = reconcile(new, cat)
    q = "?" + to_query(state)
    return _result(ds, state, more, has, None if q == (search or "") else q)


def lang_href(state: ViewState) -> str:
    other = "en" if state.lang == "es" else "es"
    return "?" + to_query(replace(state, lang=other))
