"""Issue 5 part B wiring: routes /comparar and /conciliar and ?embed=1 (called by callbacks.main.render_page),
the compare page callback, and the main view's links and "Insertar / Embed" dialog."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

from dash import Input, Output, State, callback, clientside_callback, ctx, html, no_update

from core import compare, controller, figures, ids, query, reconcile, view
from core.cache import memo
from core.i18n import LANGS, t
from core.viewstate import REGION, ViewState, to_query
from layouts import partb as L

COMPARE_PATHS = ("/comparar", "/compare")
RECONCILE_PATHS = ("/conciliar", "/reconcile")


def _args(search: str | None) -> dict:
    q = (search or "")
    q = q[1:] if q.startswith("?") else q
    try:
        return {k: v[-1] for k, v in parse_qs(q[:4096], max_num_fields=64).items()}
    except ValueError:
        return {}


def route(ds: query.Dataset, pathname: str | None, search: str | None):
    """The page for this address, or None for the main view."""
    path = (pathname or "/").rstrip("/") or "/"
    if path in COMPARE_PATHS:
        return compare_layout(ds, search)
    if path in RECONCILE_PATHS:
        return reconcile_layout(ds, search)
    if _args(search).get("embed") == "1":
        return embed_layout(ds, search)
    return None


# ---- compare ----------------------------------------------------------------------------------------
def _base_options(ds, st: compare.CompareState) -> list[dict]:
    return [{"label": t("compare_base_none", st.lang), "value": "none"}] + [
        {"label": str(y), "value": y} for y in reversed(compare.base_years(ds, st))]


def compare_layout(ds: query.Dataset, search: str | None):
    st = compare.parse(ds, search)
    offs = [{"label": ds.offense_label(o, st.lang), "value": o} for o in ds.offenses]
    back = "/?" + urlencode([("offense", st.offense), ("measure", st.measure), ("lang", st.lang)])
    return L.compare_page(st.lang, units=list(st.units),
                          unit_options=compare.unit_options(ds, st.offense, st.sex, st.age, st.lang),
                          offense=st.offense, offense_options=offs, measure=st.measure, base=st.base,
                          base_options=_base_options(ds, st), back_href=back, version=ds.version)


@callback(
    Output(L.CMP_URL, "search"), Output(L.CMP_GRAPH, "figure"), Output(L.CMP_NOTES, "children"),
    Output(L.CMP_TABLE, "children"), Output(L.CMP_SOURCES, "children"), Output(L.CMP_UNITS, "options"),
    Output(L.CMP_UNITS, "value"), Output(L.CMP_BASE, "options"), Output(L.CMP_BASE, "value"),
    Output(L.CMP_BACK, "href"), Output(L.CMP_CSV, "href"),
    Input(L.CMP_URL, "search"), Input(L.CMP_UNITS, "value"), Input(L.CMP_OFFENSE, "value"),
    Input(L.CMP_MEASURE, "value"), Input(L.CMP_BASE, "value"),
)
def update_compare(search, units, offense, measure, base):
    ds = query.get_dataset()
    st = compare.parse(ds, search if isinstance(search, str) else "")
    trig = ctx.triggered_id if isinstance(ctx.triggered_id, str) else None
    if trig in (L.CMP_UNITS, L.CMP_OFFENSE, L.CMP_MEASURE, L.CMP_BASE):
        new = replace(st, offense=offense if offense in ds.offenses else st.offense,
                      measure=measure if measure in ("rate", "count") else st.measure,
                      base=base if isinstance(base, int) and base in ds.years else None, notes=())
        st = compare.with_units(ds, new, list(units or []) if isinstance(units, list) else [])
    res = memo("compare", (str(ds.data_dir), ds.version, compare.to_query(st), st.dropped, st.notes),
               lambda: compare.compare_view(ds, st))
    q = "?" + compare.to_query(st)
    notes = [html.Div(n, className="obs-note-box") for n in res["notes"]]
    opts = compare.unit_options(ds, st.offense, st.sex, st.age, st.lang)
    back_unit = st.units[0] if st.units else None
    back_state = ViewState(offense=st.offense, measure=st.measure, lang=st.lang)
    if back_unit:
        u = ds.unit(back_unit)
        back_state = replace(back_state, country=u["country"], level=max(1, u["level"]) if u["level"] else 0,
                             unit=back_unit if u["level"] else None)
    return (q if q != (search or "") else no_update, res["figure"], notes,
            L.compare_table(res["rows"], st.lang, st.base) if res["rows"] else "",
            L.sources_line(res["sources"], st.lang, ds.version), opts, list(st.units), _base_options(ds, st),
            st.base if st.base is not None else "none", "/?" + to_query(back_state), "/download/compare.csv" + q)


# ---- reconciliation ---------------------------------------------------------------------------------
def reconcile_layout(ds: query.Dataset, search: str | None):
    a = _args(search)
    lang = a.get("lang") if a.get("lang") in ("es", "en") else "es"
    country = a.get("country", "").upper()
    country = country if country in ds.countries else None
    offense = a.get("offense") if a.get("offense") in ds.offenses else None
    data = memo("reconcile", (str(ds.data_dir), ds.version, country, offense, lang),
                lambda: reconcile.cases(ds, country, offense, lang=lang))
    cards = []
    for c in data["conflicts"]:
        ties = [t("reconcile_tie", lang, prio=x["priority"], n=x["n"]) for x in c["ties"]]
        computed = (t("reconcile_computed", lang, source=c["population_label"])
                    if any(r["rate_computed"] for r in c["rows"]) else "")
        cards.append({"id": f"{c['unit_id']}-{c['year']}-{c['offense']}",
                      "title": f"{c['name']} · {c['offense_label']} · {c['year']}",
                      "map_uses": reconcile.map_uses_text(ds, c, lang), "tie_notes": ties,
                      "figure": reconcile.case_figure(c, lang), "rows": c["rows"],
                      "computed_note": ("* " + computed) if computed else ""})

    def href(ctry):
        return "/conciliar?" + urlencode(([("country", ctry)] if ctry else []) + [("lang", lang)])

    filters = [{"label": "Todos" if lang == "es" else "All", "href": href(None), "active": country is None}] + [
        {"label": ds.name(c, lang), "href": href(c), "active": c == country} for c in data["countries"]]
    back = "/?" + urlencode(([("country", country), ("level", 0), ("unit", country)] if country else [])
                            + [("lang", lang)])
    return L.reconcile_page(lang, cases=cards, others=data["others"], filters=filters, back_href=back,
                            version=ds.version, rule=t("reconcile_rule", lang))


# ---- embed ------------------------------------------------------------------------------------------
def embed_layout(ds: query.Dataset, search: str | None):
    a = _args(search)
    chart = "trend" if a.get("chart") == "trend" else "map"
    res = controller.sync(ds, None, search or "")
    state = res.state
    lang = state.lang
    hl = view.headline_view(ds, state)
    ft = view.footer_view(ds, state)
    full = "/?" + to_query(state)
    meas = t("rate" if state.measure == "rate" else "count", lang)
    if chart == "map":
        payload = view.map_view(ds, state)
        focus = view._table(ds, state)[0]
        fig = figures.map_figure(payload, geo_url=payload["geo_url"], outline_urls=payload["outline_urls"],
                                 land_url=payload["land_url"], lang=lang, separators=payload["separators"],
                                 uirevision="embed")
        fig["layout"]["dragmode"] = False
        legend = [html.Strong(payload["legend_title"] + ": ")] + [
            html.Span([html.Span(className="obs-swatch" + (" obs-swatch-nodata" if it.get("nodata") else ""),
                                 style={"backgroundColor": it["color"]}), " ", it["label"]])
            for it in payload["legend"]]
        if payload.get("small_note"):
            legend.append(html.Span([html.Span(className="obs-swatch obs-swatch-small"), " ", payload["small_note"]]))
        title = f"{ds.offense_label(state.offense, lang)} · {view.area_name(ds, focus, lang)} · {state.year}"
        sub = f"{meas} · {t('level_' + str(state.level), lang)}"
        if payload.get("message"):
            sub += " · " + payload["message"]
        gid = "embed-map"
    else:
        sv = view.series_view(ds, state)
        fig = figures.with_side_legend(sv["figure"])
        legend = [html.Span(n) for n in sv["notes"]]
        title = f"{ds.offense_label(state.offense, lang)} · {hl['place']}"
        sub = f"{meas} · {hl['value']} {hl['unit']} ({state.year})"
        gid = "embed-trend"
        srcs = query.sources_in(ds, sv["sources"])
        ft = {"sources": [{"label": r.get("citation") or r.get("publisher"), "address": r.get("address")
                           if str(r.get("address") or "").startswith("http") else None} for r in srcs],
              "version": ds.version}
    return L.embed_page(lang, title=title, subtitle=sub, figure=fig, graph_id=gid, legend=legend,
                        sources=ft["sources"], version=ft["version"], full_href=full)


def embed_code(origin: str, state: ViewState, chart: str) -> tuple[str, str]:
    """(iframe HTML, embed URL) for the current view."""
    origin = origin.rstrip("/")
    src = f"{origin}/?{to_query(state)}&embed=1&chart={'trend' if chart == 'trend' else 'map'}"
    title = "Observatorio de Seguridad Ciudadana"
    code = (f'<iframe src="{src.replace("&", "&amp;")}" width="600" height="450" style="border:0;max-width:100%" '
            f'loading="lazy" title="{title}"></iframe>')
    return code, src


# ---- main view: links and the embed dialog ----------------------------------------------------------
def update_nav(store):
    if not isinstance(store, dict) or not isinstance(store.get("state"), dict):
        return no_update, no_update
    st = ViewState.from_dict(store["state"])
    cmp_href = compare.main_view_compare_href(st.unit, st.country, st.offense, st.measure, st.lang,
                                              query.get_dataset().countries)
    rec = [("country", st.country)] if st.country != REGION else []
    return cmp_href, "/conciliar?" + urlencode(rec + [("lang", st.lang)])


# The embed dialog: dash-bootstrap-components' bundle is not in the page's first load (web/page_scripts.defer_dbc).
# A click loads it if it is not there yet (assets/23_deferred.js), then either asks the server for the dialog (the
# first time: `render_embed`) or opens the one already rendered.
clientside_callback(
    """
    async function(n, want) {
        const cs = window.dash_clientside;
        if (!n) { return cs.no_update; }
        await window.obsDeferred.load('dbc');
        if (want) { cs.set_props('embed-modal', {is_open: true}); return cs.no_update; }
        return n;
    }
    """,
    Output(L.EMBED_WANT, "data"), Input(L.EMBED_OPEN, "n_clicks"), State(L.EMBED_WANT, "data"),
    prevent_initial_call=True,
)


@callback(Output(L.EMBED_SLOT, "children"), Input(L.EMBED_WANT, "data"), State(ids.VIEW, "data"),
          State("page-lang", "data"), prevent_initial_call=True)
def render_embed(want, store, lang):
    """The dialog, open, with the code of the view it is opened on (later openings update it: below)."""
    if not want:
        return no_update
    code, href = update_embed_code(store, "map")
    return L.embed_modal(lang if lang in LANGS else "es", code if isinstance(code, str) else "",
                         href if isinstance(href, str) else "#")


@callback(Output(L.EMBED_CODE, "value"), Output(L.EMBED_PREVIEW, "href"),
          Input(L.EMBED_MODAL, "is_open"), Input(L.EMBED_CHART, "value"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def embed_code_when_open(is_open, chart, store):
    """The embed code is built when the dialog opens (or its chart changes), not on every filter change."""
    if not is_open:
        return no_update, no_update
    return update_embed_code(store, chart)


def update_embed_code(store, chart):
    if not isinstance(store, dict) or not isinstance(store.get("state"), dict):
        return no_update, no_update
    from flask import request

    try:
        origin = request.host_url
    except RuntimeError:
        origin = "http://127.0.0.1:8050/"
    code, src = embed_code(origin, ViewState.from_dict(store["state"]), chart or "map")
    return code, src
