"""Presenter mode, the map's year slider, export metadata, the headline sentence and the event toggle (issue 4).

Thin wiring: decks (core.decks), sentences (core.sentences), fixed classes (core.animation), events
(core.events). The presenter page is rendered by callbacks.main.render_page through `present_or_none`."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from dash import Input, Output, State, callback, clientside_callback, ctx, html, no_update

from core import animation, decks, figures, ids, query, sentences, view
from core.slides import slide_content  # noqa: F401  (also used by present.pack)
from core.cache import memo
from core.viewstate import ViewState, parse, parse_present, to_query
from layouts import present as P



def _ds():
    return query.get_dataset()


def _state(store) -> ViewState | None:
    if not isinstance(store, dict) or not isinstance(store.get("state"), dict):
        return None
    return ViewState.from_dict(store["state"])


# ---- page -------------------------------------------------------------------------------------------
def present_or_none(ds: query.Dataset, search: str):
    """The presenter page when the URL asks for it (view=present), else None (the main page)."""
    params, _notes = parse_present(search or "")
    if not params.present:
        return None
    cat = query.catalog(ds)
    base, _ = parse(search or "", cat)
    lang = base.lang
    if params.deck:
        deck, problems = decks.load_deck(params.deck, cat)
    elif params.slides:
        deck, problems = decks.inline_deck(params.slides, cat)
    else:
        from core.viewstate import resolve
        deck, problems = decks.single_deck(resolve(search or "", cat)[0]), []
    if deck is None:
        return P.deck_error_page(lang, problems, decks.available_decks(cat, lang) if params.deck else [])
    deck = deck.with_lang(lang)
    data = {"name": deck.name, "title": deck.title, "lang": lang,
            "views": [to_query(s.state) for s in deck.slides], "titles": [s.title for s in deck.slides]}
    return P.present_page(lang, data)


def slide_query(search: str, slide: int) -> str:
    """The URL's query with slide=<n> (every other parameter kept, in order)."""
    pairs = [(k, v) for k, v in parse_qsl((search or "").lstrip("?"), keep_blank_values=True) if k != "slide"]
    pairs.append(("slide", str(slide)))
    return "?" + urlencode(pairs)


def current_slide(search: str, n: int) -> int:
    params, _ = parse_present(search or "")
    return max(1, min(n, params.slide))


def export_meta(ds, state: ViewState, hl: dict, legend_items: list[dict] | None, legend_title: str,
                what: str, sources: list[str]) -> dict:
    """Title, source line, date and legend to bake into an exported image (assets/04_present.js). `sources`: the
    ids behind the figure exported (the map's areas, or every line of the trend; not only the headline's)."""
    lang = state.lang
    src = ", ".join(dict.fromkeys(ds.source_label(s) for s in sources)) or "—"
    title = f"{hl['place']} · {hl['meta'].split(' · ' + P.tx('source', lang))[0]}"
    return {"title": title, "source": f"{P.tx('source', lang)}: {src}",
            "date": P.tx("data_date", lang, date=ds.build_date or ds.version),
            "legend": legend_items or [], "legend_title": legend_title,
            "filename": f"observatorio-{what}-{to_query(state).replace('&', '_').replace('=', '-')}"[:120]}


def legend_children(payload: dict) -> list:
    from callbacks.main import legend
    return legend(payload)


# ---- presenter: one callback per step ----------------------------------------------------------------
@callback(
    Output(P.PR_URL, "search"), Output(P.PR_VIEW, "data"), Output(P.PR_TITLE, "children"),
    Output(P.PR_COUNTER, "children"), Output(P.PR_PLACE, "children"), Output(P.PR_VALUE, "children"),
    Output(P.PR_UNIT, "children"), Output(P.PR_CHANGE, "children"), Output(P.PR_SENTENCE, "children"),
    Output(P.PR_META, "children"), Output(P.PR_MAP, "figure"), Output(P.PR_LEGEND, "children"),
    Output(P.PR_SERIES_FIG, "data"), Output(P.PR_EXIT, "href"),
    Output("pr-map-export-meta", "data"), Output("pr-series-export-meta", "data"), Output(P.PR_EVENTS, "children"),
    Input(P.PR_PREV, "n_clicks"), Input(P.PR_NEXT, "n_clicks"), Input(P.PR_URL, "search"),
    State(P.PR_DECK, "data"),
)
def show_slide(_prev, _next, search, deck):
    if not isinstance(deck, dict) or not deck.get("views"):
        return (no_update,) * 17
    ds = _ds()
    cat = query.catalog(ds)
    views = deck["views"]
    n = len(views)
    cur = current_slide(search, n)
    trig = ctx.triggered_id
    if trig == P.PR_NEXT:
        cur = min(n, cur + 1)
    elif trig == P.PR_PREV:
        cur = max(1, cur - 1)
    from core.viewstate import resolve
    state, _, _ = resolve(views[cur - 1], cat)
    lang = deck.get("lang") or state.lang
    state = replace(state, lang=lang)
    c = slide_content(ds, state)
    hl, sen = c["hl"], c["sentence"]
    title = (deck.get("titles") or [{}] * n)[cur - 1] or {}
    title_text = title.get(lang) or hl["place"]
    meta = [html.Span(c["meta"]), html.Span(" · " + P.tx("data_date", lang, date=ds.build_date or ds.version),
                                             className="pr-date")]
    sentence = [html.Span(sen["main"], className="pr-sentence-main")] + \
        [html.Span(" " + cv, className="pr-caveat") for cv in sen["caveats"]]
    new_search = slide_query(search, cur)
    exit_href = "/?" + to_query(state)
    payload = c["payload"]
    map_meta = export_meta(ds, state, hl, payload["legend"], payload["legend_title"], "mapa",
                           view.map_source_ids(ds, state, figures_only=True))
    series_meta = export_meta(ds, state, hl, None, "", "tendencia", c["series_sources"])
    return (new_search if new_search != (search or "") else no_update,
            {"state": state.to_dict(), "slide": cur, "n": n},
            title_text, P.tx("slide_of", lang, i=cur, n=n), hl["place"], hl["value"], hl["unit"], hl["change"],
            sentence, meta, c["map"], legend_children(payload), c["series"], exit_href, map_meta, series_meta,
            event_list(c["series"], lang, compact=True))


# The trend's figure to its graph, fitted to the screen it is shown on: on a phone (the one-column layout of
# assets/04_present.css, below 700 px) the projector's 20 px type and a legend at the side (the region's nine
# lines) left the plot ~90 px wide and cut its axis title; there the type is 13-14 px and such a legend goes under
# the plot in two columns. A projector's figure is passed as the server made it.
clientside_callback(
    """
    function(fig) {
        if (!fig) { return window.dash_clientside.no_update; }
        if (window.innerWidth >= 700) { return fig; }
        const lay = Object.assign({}, fig.layout);
        ['xaxis', 'yaxis'].forEach(function (ax) {
            const a = Object.assign({}, lay[ax], {tickfont: {size: 14}});
            if (a.title && typeof a.title === 'object') { a.title = Object.assign({}, a.title, {font: {size: 14}}); }
            lay[ax] = a;
        });
        lay.margin = Object.assign({}, lay.margin, {l: 56});
        const lg = lay.legend || {};
        lay.legend = lg.orientation === 'v' ?
            Object.assign({}, lg, {orientation: 'h', x: -0.15, xanchor: 'left', y: -0.12, yanchor: 'top',
                                   font: {size: 13}, entrywidth: 0.5, entrywidthmode: 'fraction'}) :
            Object.assign({}, lg, {font: {size: 14}});
        return Object.assign({}, fig, {layout: lay});
    }
    """,
    Output(P.PR_SERIES, "figure"), Input(P.PR_SERIES_FIG, "data"),
)


def event_list(fig: dict, lang: str, compact: bool = False) -> list:
    """The numbered events drawn on a series (layout.meta.events), with their sources."""
    evs = ((fig.get("layout") or {}).get("meta") or {}).get("events") or []
    items = []
    for e in evs:
        src = html.A(e["source_name"], href=e["source_url"], target="_blank", rel="noopener noreferrer")
        items.append(html.Li(className="obs-event", children=[
            html.Span(str(e["n"]), className="obs-event-n"),
            f" {e['date'][:4] if compact else e['date']} · {e['label']}",
            *([] if compact else [" (", src, ")"])]))
    return [html.Ol(items, className="obs-events")] if items else []


# ---- main page: sentence, presenter link, events toggle, export metadata ------------------------------
def main_extras(store):
    state = _state(store)
    if state is None:
        return (no_update,) * 6
    ds = _ds()
    sen = memo("sentence", view.key(ds, state), lambda: sentences.headline_sentence(ds, state))
    hl = memo("headline", view.key(ds, state), lambda: view.headline_view(ds, state))
    payload = view.map_piece(ds, state)
    sentence = [html.Span(sen["main"])] + [html.Span(" " + cv, className="obs-caveat") for cv in sen["caveats"]]
    present_href = "/?" + to_query(state) + "&view=present"
    target = replace(state, events=0 if state.events else 1)
    from dash import dcc
    toggle = [dcc.Link(P.tx("events_off" if state.events else "events_on", state.lang),
                       href="/?" + to_query(target), id="events-link", className="obs-events-link")]
    series = memo("series", view.key(ds, state), lambda: view.series_view(ds, state))
    # the list apart from the link: the link changes with every view, the list only with the trend's events
    return (sentence, present_href, event_list(series["figure"], state.lang), toggle,
            export_meta(ds, state, hl, payload["legend"], payload["legend_title"], "mapa",
                        view.map_source_ids(ds, state, figures_only=True)),
            export_meta(ds, state, hl, None, "", "tendencia", series["sources"]))


# ---- the year slider with play (main map and presenter map) ------------------------------------------
def slider_outputs(prefix: str) -> list[Output]:
    """The outputs `slider_for` fills (the view callback of each page lists them)."""
    return [Output(f"{prefix}-slider", "min"), Output(f"{prefix}-slider", "max"),
            Output(f"{prefix}-slider", "marks"), Output(f"{prefix}-slider", "value"),
            Output(f"{prefix}-years", "data"), Output(f"{prefix}-bar", "style"),
            Output(f"{prefix}-interval", "disabled", allow_duplicate=True),
            Output(f"{prefix}-play", "children", allow_duplicate=True),
            Output(f"{prefix}-badge", "children", allow_duplicate=True)]


def slider_for(store) -> tuple:
    """The year slider of a view: its range, marks and years (hidden when fewer than two years have data)."""
    state = _state(store)
    if state is None:
        return (no_update,) * 9
    ds = _ds()
    years = memo("anim-years", view.key(ds, state), lambda: animation.years_with_data(ds, state))
    if len(years) < 2 or state.year not in years:
        return 0, 1, {}, None, None, {"display": "none"}, True, "▶", ""
    marks = {int(y): str(y) for y in years
             if len(years) <= 8 or y in (years[0], years[-1]) or (y % 5 == 0 and years[-1] - y >= 3
                                                                     and y - years[0] >= 3)}
    return (years[0], years[-1], marks, state.year, {"years": years, "state": state.to_dict()},
            {}, True, "▶", "")


def register_anim(prefix: str, map_id: str, legend_id: str, view_store: str | None,
                  meta_id: str | None = None) -> None:
    """The slider's callbacks. view_store: the store that sets the slider, or None when the page's view
    callback fills `slider_outputs` itself (the main page: one round trip per filter change). meta_id: the
    map-meta store of that map, told when the slider repaints the grey areas (so the next view sends them)."""
    if view_store is not None:
        callback(*slider_outputs(prefix), Input(view_store, "data"), prevent_initial_call=True)(slider_for)

    @callback(
        Output(f"{prefix}-interval", "disabled"), Output(f"{prefix}-play", "children"),
        Input(f"{prefix}-play", "n_clicks"), State(f"{prefix}-interval", "disabled"),
        prevent_initial_call=True,
    )
    def play(_n, disabled):
        playing = bool(disabled)   # it was stopped: start
        return (not playing), ("❚❚" if playing else "▶")

    @callback(
        Output(f"{prefix}-slider", "value", allow_duplicate=True),
        Output(f"{prefix}-interval", "disabled", allow_duplicate=True),
        Output(f"{prefix}-play", "children", allow_duplicate=True),
        Input(f"{prefix}-interval", "n_intervals"), State(f"{prefix}-slider", "value"),
        State(f"{prefix}-years", "data"), prevent_initial_call=True,
    )
    def tick(_n, value, info):
        if not isinstance(info, dict) or not info.get("years"):
            return no_update, True, "▶"
        years = info["years"]
        nxt = [y for y in years if value is None or y > value]
        if not nxt:           # at the end: start over from the first year
            return years[0], no_update, no_update
        if len(nxt) == 1:     # the last year: show it and stop
            return nxt[0], True, "▶"
        return nxt[0], no_update, no_update

    # In the browser: only a slider moved away from the year on the map asks the server for a map. A new view
    # sets slider and years together and keeps the map the view callback drew (no round trip).
    clientside_callback(
        """
        function(value, info) {
            const nu = window.dash_clientside.no_update;
            const trig = (window.dash_clientside.callback_context.triggered || []).map(t => t.prop_id);
            const shown = window._obsAnimShown = window._obsAnimShown || {};
            if (!info || value === null || value === undefined) { return nu; }
            if (trig.indexOf('%(p)s-years.data') >= 0) { shown['%(p)s'] = info.state.year; return nu; }
            if (shown['%(p)s'] === value) { return nu; }
            shown['%(p)s'] = value;
            return {year: value, info: info};
        }
        """ % {"p": prefix},
        Output(f"{prefix}-req", "data"),
        Input(f"{prefix}-slider", "value"), Input(f"{prefix}-years", "data"), prevent_initial_call=True,
    )

    meta_out = [Output(meta_id, "data", allow_duplicate=True), State(meta_id, "data")] if meta_id else []

    @callback(
        Output(map_id, "figure", allow_duplicate=True), Output(legend_id, "children", allow_duplicate=True),
        Output(f"{prefix}-badge", "children"),
        *meta_out[:1],
        Input(f"{prefix}-req", "data"), *meta_out[1:], prevent_initial_call=True,
    )
    def show_year_req(req, meta=None):
        out = show_year(req.get("year"), req.get("info")) if isinstance(req, dict) else (no_update,) * 3
        if not meta_id:
            return out
        if out[0] is no_update or not isinstance(meta, dict):
            return (*out, no_update)
        return (*out, dict(meta, missing=None, ids=None))   # the grey and coloured areas are now the slider year's

    def show_year(value, info):
        """The map of the slider's year with the classes fixed over all years."""
        if not isinstance(info, dict) or not isinstance(value, int | float) or isinstance(value, bool):
            return no_update, no_update, no_update
        state = ViewState.from_dict(info.get("state"))
        years = info.get("years")
        if not isinstance(years, list) or int(value) not in years:
            return no_update, no_update, no_update
        ds = _ds()
        bins = memo("anim-bins", view.key(ds, state), lambda: animation.fixed_bins(ds, state))
        payload = memo("anim-map", view.key(ds, replace(state, year=int(value))) + ("fixed",),
                       lambda: animation.year_payload(ds, state, int(value), bins))
        patch = figures.map_patch(payload, reframe=False)
        badge = P.tx("fixed", state.lang, year=int(value), first=years[0], last=years[-1])
        return patch, legend_children(payload), badge


register_anim(P.MAIN_ANIM, ids.MAP, ids.LEGEND, None, ids.MAP_META)   # callbacks.main.update_view fills the slider
register_anim(P.PR_ANIM, P.PR_MAP, P.PR_LEGEND, P.PR_VIEW)


# ---- export: PNG / SVG with title, legend, source and date (assets/04_present.js does the drawing) ----
for _graph, _prefix in ((ids.MAP, "map-export"), (ids.SERIES, "series-export"), (P.PR_MAP, "pr-map-export"),
                        (P.PR_SERIES, "pr-series-export")):
    clientside_callback(
        f"""
        function(png, svg, meta) {{
            const trig = (window.dash_clientside.callback_context.triggered || [])[0];
            if (!trig || !window.obsExport) {{ return window.dash_clientside.no_update; }}
            const fmt = trig.prop_id.indexOf('-svg.') > 0 ? 'svg' : 'png';
            window.obsExport('{_graph}', fmt, meta || {{}});
            return fmt + ':' + Date.now();
        }}
        """,
        Output(f"{_prefix}-done", "title"), Input(f"{_prefix}-png", "n_clicks"), Input(f"{_prefix}-svg", "n_clicks"),
        State(f"{_prefix}-meta", "data"), prevent_initial_call=True,
    )
