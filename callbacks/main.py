"""Thin callbacks: they turn inputs into a ViewState and call core functions.

Flow: URL / controls / map click -> `sync_view` (the only writer of the URL and of the view store) ->
the view store feeds the map (full figure or Patch), the trend, the ranking and the headline/footer."""
from __future__ import annotations

import logging

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from core import controller, digests, ids, query, view
from core.cache import memo, prefetch
from core.figures import NO_DATA_COLOR, figure_for, ids_digest, map_figure, map_patch
from core.i18n import t
from core.numbers import symbols
from core.viewstate import REGION, ViewState, crumbs, to_query
from layouts.main import error_page, page

log = logging.getLogger(__name__)
CONTROL_IDS = {"country": ids.COUNTRY, "level": ids.LEVEL, "offense": ids.OFFENSE, "year": ids.YEAR,
               "sex": ids.SEX, "age": ids.AGE, "measure": ids.MEASURE}
TRIGGERS = {v: k for k, v in CONTROL_IDS.items()} | {ids.URL: "url", ids.MAP: "map"}


def _ds():
    return query.get_dataset()


def _state(store: dict | None) -> ViewState | None:
    if not isinstance(store, dict) or not isinstance(store.get("state"), dict):
        return None
    # the store comes back from the browser: validate it like a URL (any type, unknown codes -> defaults)
    from core.viewstate import parse
    try:
        return parse({str(k): v for k, v in store["state"].items()}, query.catalog(_ds()))[0]
    except query.DataError:
        return None


# ---- page (once per page load; the language switch reloads the page) -------------------------------
@callback(Output(ids.PAGE, "children"), Input(ids.SHELL_URL, "pathname"), State(ids.SHELL_URL, "search"))
def render_page(_pathname, search):
    try:
        ds = _ds()
    except query.DataError as exc:
        return error_page(str(exc))
    from callbacks import partb   # /comparar, /conciliar, ?embed=1 (issue 5 part B)

    alt = partb.route(ds, _pathname, search)
    if alt is not None:
        return alt
    from callbacks.present import present_or_none   # issue 4: ?view=present renders the presenter page
    presenter = present_or_none(ds, search or "")
    if presenter is not None:
        return presenter
    res = controller.sync(ds, None, search or "")
    return page(res.state.lang, res.options, res.values, ds.version, static_map=view.static_map_url(ds, res.state),
                options_shown=controller.options_digest(res.options))


# ---- URL <-> controls <-> view state ---------------------------------------------------------------
def sync_view(search, country, level, offense, year, sex, age, measure, click, options_shown=None):
    """(URL, the 7 control values, their 7 options, the options' digest, the view store). A control's options
    that the browser already shows (`options_shown`, the page's digest store) are not sent again, nor a value the
    control already has (its Input): setting it again re-rendered the control (a dropdown rebuilds its search
    index) in the first view of every page and after every change."""
    ds = _ds()
    trigger = TRIGGERS.get(ctx.triggered_id) if isinstance(ctx.triggered_id, str) else None
    values = dict(zip(CONTROL_IDS, (country, level, offense, year, sex, age, measure)))
    res = controller.sync(ds, trigger, search if isinstance(search, str) else "", values, click)
    send, digest = controller.options_to_send(res.options, options_shown)
    changed = any(o is not None for o in send.values())
    return (
        res.search if res.search is not None else no_update,
        *[no_update if _same(res.values[k], values[k]) else res.values[k] for k in CONTROL_IDS],
        *[send[k] if send[k] is not None else no_update for k in CONTROL_IDS],
        digest if changed else no_update,
        res.store(),
    )


def _same(value, shown) -> bool:
    """The control shows `value` already (its Input, from the browser: of the same type, not only equal: True
    is not 1)."""
    return type(value) is type(shown) and value == shown


# ---- map: full figure when the GeoJSON changes, else a Patch of the values -------------------------
def update_map(store, meta):
    state = _state(store)
    if state is None:
        return no_update, no_update, no_update, no_update
    ds = _ds()
    payload = view.map_piece(ds, state)
    # the grey areas the browser will have (units one by one, then countries as one area)
    missing = ids_digest(payload["missing"] + ["|"] + payload["missing_countries"])
    coloured = ids_digest(payload["ids"])      # and the coloured ones
    new_meta = {"geo_key": payload["geo_key"], "focus": payload["focus"], "view": payload["view"],
                "missing": missing, "ids": coloured}
    uirev = payload["geo_key"] + "|" + payload["focus"]
    if isinstance(meta, dict) and meta.get("geo_key") == payload["geo_key"]:
        reframe = meta.get("focus") != payload["focus"]
        fig = map_patch(payload, reframe=reframe, send_missing=meta.get("missing") != missing,
                        send_ids=meta.get("ids") != coloured)
        if reframe:
            fig["layout"]["uirevision"] = uirev
    else:
        fig = map_figure(payload, geo_url=payload["geo_url"], outline_urls=payload["outline_urls"],
                         land_url=payload["land_url"], lang=state.lang, separators=payload["separators"],
                         uirevision=uirev)
    # the browser sends what its map holds (State): the same meta is not sent back
    return (fig, new_meta if meta != new_meta else no_update, legend(payload) + pool_toggle(payload, state),
            payload["message"])


def pool_toggle(payload: dict, state: ViewState) -> list:
    """Small-numbers note and the pool=3 switch (a link: the URL stays the only state). Issue 5."""
    from dataclasses import replace as _replace

    out: list = []
    if payload.get("small_note"):
        out.append(html.Span(className="obs-legend-item obs-legend-small", children=[
            html.Span(className="obs-swatch obs-swatch-small", **{"aria-hidden": "true"}),
            html.Span(payload["small_note"])]))
    if state.measure == "rate" and (payload.get("small_note") or state.pool != 1):
        target = _replace(state, pool=1 if state.pool != 1 else 3)
        out.append(dcc.Link(t("pool_off" if state.pool != 1 else "pool_on", state.lang),
                            href="/?" + to_query(target), id="pool-toggle", className="obs-pool-link"))
    if payload.get("pool_note"):
        out.append(html.Div(payload["pool_note"], className="obs-pool-note"))
    return out


def legend(payload: dict) -> list:
    items = [html.Div(payload["legend_title"], className="obs-legend-title")]
    for it in payload["legend"]:
        cls = "obs-swatch obs-swatch-nodata" if it.get("nodata") else "obs-swatch"
        style = {"backgroundColor": it["color"]} if not it.get("nodata") else {"backgroundColor": NO_DATA_COLOR}
        items.append(html.Span(className="obs-legend-item", children=[
            html.Span(className=cls, style=style, **{"aria-hidden": "true"}), html.Span(it["label"])]))
    return items


# ---- trend ------------------------------------------------------------------------------------------
def update_series(store, shown=None):
    """(the trend's figure, its notes, its layout's key). `shown`: the key of the layout the browser shows (the
    `series-shown` store); when it is this view's, the layout is not sent again (figures.figure_for)."""
    state = _state(store)
    if state is None:
        return no_update, no_update, no_update
    ds = _ds()
    res = memo("series", view.key(ds, state), lambda: view.series_view(ds, state))
    fig, key = figure_for(res["figure"], shown)
    return fig, [html.Div(n) for n in res["notes"]], key


# ---- ranking ----------------------------------------------------------------------------------------
# The table is drawn in the browser from these rows (assets/21_ranking.js: a plain sortable <table>), not by
# dash_table, whose scripts (~160 KB, ~0.1 s to evaluate and render) held the first map back (docs/PERFORMANCE.md).
def ranking_columns(state: ViewState) -> list[dict]:
    """The ranking's columns: id, header, and for numbers how many decimals (`"int"`: a rank, no grouping)."""
    lang = state.lang
    cols = [{"name": t("rank", lang), "id": "rank", "decimals": "int"},
            {"name": t("name", lang), "id": "name"},
            {"name": t("rate_short", lang), "id": "rate", "decimals": 1},
            {"name": t("count_short", lang), "id": "count", "decimals": 0},
            {"name": t("population", lang), "id": "population", "decimals": 0},
            {"name": t("source", lang), "id": "source"},
            {"name": t("flag_col", lang), "id": "flag"}]
    if state.measure == "count":   # the measure of the map first
        cols[2], cols[3] = cols[3], cols[2]
    return cols


def update_ranking(store):
    """(the table's data for the browser, its rows' unit ids, title, note). The rows go as columns, without the
    names the map's GeoJSON carries, their ids apart (view.ranking_wire)."""
    state = _state(store)
    if state is None:
        return (no_update,) * 4
    ds = _ds()
    res = memo("ranking", view.key(ds, state), lambda: view.ranking_view(ds, state))
    dec, grp = symbols(view.locale_of(state))
    scope = query.geo_scope(state.level, state.country)   # the map's GeoJSON (view.map_view)
    unit_ids, wire = view.ranking_wire(res["rows"], view.geo_url(ds, state.level, scope),
                                       query.geo_id_set(ds, state.level, scope).__contains__)
    table = {**wire, "columns": ranking_columns(state), "decimal": dec, "group": grp, "lang": state.lang,
             "empty": t("no_data", state.lang)}
    return table, unit_ids, res["title"], res["note"]


# ---- headline, breadcrumb, notes, footer, links -----------------------------------------------------
def update_text(store):
    state = _state(store)
    if state is None:
        return (no_update,) * 10
    ds = _ds()
    lang = state.lang
    hl = memo("headline", view.key(ds, state), lambda: view.headline_view(ds, state))
    ft = memo("footer", view.key(ds, state), lambda: view.footer_view(ds, state))
    meta = [html.Span(hl["meta"])]
    if hl["computed"]:
        meta.append(html.Span(" · " + hl["computed"]))
    meta.append(html.Span(" · " + hl["data_date"], className="obs-hl-date"))
    if hl["hint"]:
        meta.append(html.Div(hl["hint"], className="obs-hl-hint"))
    raw_notes = store.get("notes") if isinstance(store.get("notes"), list) else []   # from the browser: check
    raw_notes = [n for n in raw_notes if isinstance(n, dict) and all(isinstance(v, str) for v in n.values())]
    notes = [html.Div(view.note_text(ds, n, lang), className="obs-note") for n in raw_notes]
    notes = [n for n in notes if n.children]
    # a level without data is said once, where the map would be ("<place>: sin datos publicados a este nivel...")
    q = to_query(state)   # from the validated state, never the store's text
    return (hl["place"], hl["value"], hl["unit"], hl["change"], meta, breadcrumb(ds, state), notes,
            footer(ft, lang), "/download/view.csv?" + q, controller.lang_href(state))


def breadcrumb(ds, state: ViewState) -> html.Ol:
    cat = query.catalog(ds)
    items = []
    trail = crumbs(state, cat)
    for i, (uid, target) in enumerate(trail):
        label = t("region", state.lang) if uid == REGION else ds.name(uid, state.lang)
        if i == len(trail) - 1:
            items.append(html.Li(label, className="breadcrumb-item active", **{"aria-current": "page"}))
        else:
            items.append(html.Li(dcc.Link(label, href="/?" + to_query(target)), className="breadcrumb-item"))
    return html.Ol(items, className="breadcrumb m-0")


def footer(ft: dict, lang: str) -> list:
    parts: list = [html.Strong(t("footer_source", lang) + ": ")]
    for i, s in enumerate(ft["sources"]):
        if i:
            parts.append("; ")
        parts.append(html.A(s["label"], href=s["address"], rel="noopener noreferrer", target="_blank")
                     if s["address"] else s["label"])
    if not ft["sources"]:
        parts.append("—")
    parts.append(" · " + t("data_version", lang, version=ft["version"]))
    return parts


# ---- one round trip per filter change ---------------------------------------------------------------
# The URL / a control / a map click -> the new view state, and every panel of the main page that depends on it,
# in ONE callback: a filter change is one POST (its response is cached whole: web/response_cache.py), not a
# chain of a store and nine consumers each uploading the store again. Each panel stays its own function.
# The map (and the year slider drawn on it) is applied as the response arrives; the panels beside it travel in
# the same response inside one store, which `obs.applyPanels` (assets/20_panels.js) hands to their components
# after the browser has painted the map: the map is what a filter change is for, and rendering the trend, the
# ranking table and the texts first used to hold its redraw back (docs/PERFORMANCE.md, round 4).
def _panels():
    from callbacks import partb, pin
    from callbacks import present as pr
    from layouts import partb as LB
    from layouts import present as LP

    direct = [
        ([Output(ids.MAP, "figure"), Output(ids.MAP_META, "data"), Output(ids.LEGEND, "children"),
          Output(ids.MAP_NOTE, "children")], lambda store, search, meta, shown: update_map(store, meta)),
        (pr.slider_outputs(LP.MAIN_ANIM), lambda store, search, meta, shown: pr.slider_for(store)),
    ]
    after_map = [
        ([Output(ids.SERIES, "figure"), Output(ids.SERIES_NOTE, "children"), Output(ids.SERIES_SHOWN, "data")],
         lambda store, search, meta, shown: update_series(store, shown)),
        ([Output(ids.RANKING_DATA, "data"), Output(ids.RANKING_IDS, "data"), Output(ids.RANKING_TITLE, "children"),
          Output(ids.RANKING_NOTE, "children")],
         lambda store, search, meta, shown: update_ranking(store)),
        ([Output(ids.HEADLINE_PLACE, "children"), Output(ids.HEADLINE_VALUE, "children"),
          Output(ids.HEADLINE_UNIT, "children"), Output(ids.HEADLINE_CHANGE, "children"),
          Output(ids.HEADLINE_META, "children"), Output(ids.BREADCRUMB, "children"), Output(ids.NOTES, "children"),
          Output(ids.FOOTER_SOURCES, "children"), Output(ids.DOWNLOAD, "href"), Output(ids.LANG_LINK, "href")],
         lambda store, search, meta, shown: update_text(store)),
        ([Output(LP.SENTENCE, "children"), Output(LP.PRESENT_LINK, "href"), Output(LP.EVENTS_LIST, "children"),
          Output(LP.EVENTS_TOGGLE, "children"),
          Output("map-export-meta", "data"), Output("series-export-meta", "data")],
         lambda store, search, meta, shown: pr.main_extras(store)),
        ([Output(LB.NAV_COMPARE, "href"), Output(LB.NAV_RECONCILE, "href")],
         lambda store, search, meta, shown: partb.update_nav(store)),
        ([Output(ids.PIN_NOTE, "children"), Output(ids.PIN_LINK, "href")],
         lambda store, search, meta, shown: pin.update_pin(store, search)),
    ]
    return direct, after_map


PANELS, PANELS_AFTER_MAP = _panels()
# the memo pieces the panels ask for under view.key(ds, state) (callbacks/main.py, callbacks/present.py)
VIEW_PIECES = ["map", "series", "ranking", "headline", "footer", "sentence", "anim-years"]
# ... and last, the digest of their values, which the browser keeps as it applies them: a panel whose value is the
# one the browser shows is not sent again (core.digests.to_send)
AFTER_MAP_OUTPUTS = [o for outs, _ in PANELS_AFTER_MAP for o in outs] + [Output(ids.PANELS_SHOWN, "data")]


def _run(panels, store, search, meta, series_shown=None) -> list:
    out: list = []
    for outs, fn in panels:
        part = fn(store, search, meta, series_shown)
        if len(part) != len(outs):   # a panel that breaks its contract must fail loudly in tests
            raise RuntimeError(f"panel returned {len(part)} values for {len(outs)} outputs")
        out.extend(part)
    return out


@callback(
    Output(ids.URL, "search"),
    *[Output(cid, "value") for cid in CONTROL_IDS.values()],
    *[Output(cid, "options") for cid in CONTROL_IDS.values()],
    Output(ids.OPTIONS_SHOWN, "data"),
    Output(ids.VIEW, "data"),
    *[o for outs, _ in PANELS for o in outs],
    Output(ids.PANELS, "data"),
    Input(ids.URL, "search"),
    *[Input(cid, "value") for cid in CONTROL_IDS.values()],
    Input(ids.MAP, "clickData"),
    State(ids.MAP_META, "data"),
    State(ids.OPTIONS_SHOWN, "data"),
    State(ids.SERIES_SHOWN, "data"),
    State(ids.PANELS_SHOWN, "data"),
    prevent_initial_call="initial_duplicate",   # it still runs when the page is rendered (the slider shares outputs)
)
def update_view(search, country, level, offense, year, sex, age, measure, click, meta, options_shown=None,
                series_shown=None, panels_shown=None):
    """The whole main page for the URL / controls / click: sync_view's outputs, the map's and the slider's, then
    the list of the other panels' values (in AFTER_MAP_OUTPUTS order) for the browser to apply after the map:
    `no_update` for a value the browser shows already (`panels_shown`), then the digest of the values."""
    head = sync_view(search, country, level, offense, year, sex, age, measure, click, options_shown)
    store = head[-1]
    new_search = head[0] if isinstance(head[0], str) else (search if isinstance(search, str) else "")
    with view.one_view():   # the map payload, trend and headline are computed once for all the panels
        state = _state(store)
        if state is not None:   # the pieces of this view, read from the shared cache in one round trip
            prefetch(VIEW_PIECES, view.key(_ds(), state))
        direct = _run(PANELS, store, new_search, meta)
        after_map = _run(PANELS_AFTER_MAP, store, new_search, meta, series_shown)
    send, digest = digests.to_send(after_map, panels_shown)
    after_map = [v if s else no_update for v, s in zip(after_map, send)] + [digest if any(send) else no_update]
    return (*head, *direct, after_map)


# the panels beside the map, after the map is painted (assets/20_panels.js); a value equal to what the component
# already shows is left alone
clientside_callback(
    ClientsideFunction(namespace="obs", function_name="applyPanels"),
    *AFTER_MAP_OUTPUTS,
    Input(ids.PANELS, "data"),
    *[State(o.component_id, o.component_property) for o in AFTER_MAP_OUTPUTS],
    prevent_initial_call=True,
)


# the ranking table, written in the browser from its rows; its header buttons sort it there (assets/21_ranking.js)
clientside_callback(
    ClientsideFunction(namespace="obs", function_name="rankingTable"),
    Output(ids.RANKING, "data-rows"),
    Input(ids.RANKING_DATA, "data"), Input(ids.RANKING_IDS, "data"),
    prevent_initial_call=True,
)


# ---- phone drawer and <html lang> (in the browser, no round trip) ----------------------------------
clientside_callback(
    """
    function(openClicks, closeClicks, backdropClicks) {
        const trig = (window.dash_clientside.callback_context.triggered || [])[0];
        const id = trig ? trig.prop_id.split('.')[0] : '';
        const open = id === 'filters-open';
        const btn = document.getElementById('filters-open');
        if (btn) { btn.setAttribute('aria-expanded', open ? 'true' : 'false'); }
        if (open) { setTimeout(function(){ const d = document.getElementById('filters-drawer');
                                            if (d) { d.focus(); } }, 50); }
        else if (id && btn) { btn.focus(); }
        return [open ? 'offcanvas-lg offcanvas-start obs-filters show' : 'offcanvas-lg offcanvas-start obs-filters',
                open ? 'obs-backdrop show' : 'obs-backdrop'];
    }
    """,
    Output(ids.FILTERS_DRAWER, "className"), Output("filters-backdrop", "className"),
    Input(ids.FILTERS_OPEN, "n_clicks"), Input("filters-close", "n_clicks"), Input("filters-backdrop", "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(
    """
    function(lang) { if (lang) { document.documentElement.setAttribute('lang', lang); } return window.dash_clientside.no_update; }
    """,
    Output("app-version", "title"), Input("page-lang", "data"),
)
