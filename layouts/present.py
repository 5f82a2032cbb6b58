"""Presenter mode (issue 4): a full-screen slide per saved view, large type for a projector at 1280x720, no
filter panel. Also the pieces it shares with the main page: the map's year slider with play, the export buttons,
the headline sentence and the "Presentar" link. Components only: they know no data (labels come in)."""
from __future__ import annotations

from dash import dcc, html

# ---- ids (deterministic, one place for this feature) ------------------------------------------------
PR_URL = "pr-url"
PR_DECK = "pr-deck"
PR_VIEW = "pr-view"
PR_PREV = "pr-prev"
PR_NEXT = "pr-next"
PR_COUNTER = "pr-counter"
PR_TITLE = "pr-title"
PR_PLACE = "pr-place"
PR_VALUE = "pr-value"
PR_UNIT = "pr-unit"
PR_CHANGE = "pr-change"
PR_SENTENCE = "pr-sentence"
PR_META = "pr-meta"
PR_MAP = "pr-map"
PR_LEGEND = "pr-legend"
PR_SERIES = "pr-series"
PR_SERIES_FIG = "pr-series-fig"     # the trend's figure as the server makes it (for a projector); the page adapts it
PR_EXIT = "pr-exit"
PR_EVENTS = "pr-events"
SENTENCE = "headline-sentence"        # main page: the sentence under the headline
PRESENT_LINK = "present-link"         # main page header: "▶ Presentar"
EVENTS_TOGGLE = "events-toggle"       # main page: show/hide events on the trend
EVENTS_LIST = "events-list"           # main page: the numbered events drawn on the trend, with their sources
MAIN_ANIM = "anim"                    # prefix of the main map's slider
PR_ANIM = "pr-anim"                   # prefix of the presenter map's slider

TEXT = {
    "present": {"es": "Presentar", "en": "Present"},
    "present_title": {"es": "Modo presentación: pantalla completa, flechas para avanzar",
                      "en": "Presenter mode: full screen, arrow keys to step"},
    "exit": {"es": "Salir", "en": "Exit"},
    "prev": {"es": "Anterior", "en": "Previous"},
    "next": {"es": "Siguiente", "en": "Next"},
    "keys": {"es": "← → o RePág/AvPág para cambiar de vista", "en": "← → or PageUp/PageDown to step"},
    "play": {"es": "Reproducir", "en": "Play"},
    "pause": {"es": "Pausa", "en": "Pause"},
    "years": {"es": "Años del mapa", "en": "Map years"},
    "fixed": {"es": "Mapa {year} · clases fijas sobre {first}–{last} para comparar colores",
              "en": "Map {year} · classes fixed over {first}–{last} so colours compare"},
    "deck_error": {"es": "No se puede mostrar la presentación", "en": "The deck cannot be shown"},
    "deck_error_help": {"es": "Corrija el archivo de data/decks/ o la dirección y vuelva a cargar. Problemas:",
                        "en": "Fix the file in data/decks/ or the address and reload. Problems:"},
    "back_main": {"es": "Volver al tablero", "en": "Back to the dashboard"},
    "decks_available": {"es": "Presentaciones disponibles:", "en": "Available decks:"},
    "events_on": {"es": "Mostrar eventos en la tendencia", "en": "Show events on the trend"},
    "events_off": {"es": "Ocultar eventos", "en": "Hide events"},
    "export": {"es": "Exportar", "en": "Export"},
    "export_title": {"es": "Descargar la imagen con título, leyenda, fuente y fecha",
                     "en": "Download the image with title, legend, source and date"},
    "csv_title": {"es": "Descargar las cifras de este gráfico (CSV)",
                  "en": "Download the numbers behind this chart (CSV)"},
    "source": {"es": "Fuente", "en": "Source"},
    "data_date": {"es": "Datos al {date}", "en": "Data as of {date}"},
    "slide_of": {"es": "{i} / {n}", "en": "{i} / {n}"},
    "map": {"es": "Mapa", "en": "Map"},
    "trend": {"es": "Tendencia", "en": "Trend"},
}


def tx(key: str, lang: str, **kw) -> str:
    lab = TEXT[key]
    return (lab.get(lang) or lab["es"]).format(**kw)


# ---- shared pieces ------------------------------------------------------------------------------------
def anim_controls(prefix: str, lang: str) -> html.Div:
    """Play/pause, the year slider and the timer (hidden until the selection has two or more years)."""
    return html.Div(id=f"{prefix}-bar", className="obs-anim", style={"display": "none"}, children=[
        html.Button("▶", id=f"{prefix}-play", n_clicks=0, className="btn btn-dark obs-anim-play",
                    title=tx("play", lang), **{"aria-label": tx("play", lang)}),
        html.Div(className="obs-anim-slider", children=dcc.Slider(
            id=f"{prefix}-slider", min=0, max=1, step=None, value=None, marks={}, included=False,
            updatemode="mouseup")),
        dcc.Interval(id=f"{prefix}-interval", interval=1300, disabled=True, n_intervals=0),
        dcc.Store(id=f"{prefix}-years"),
        dcc.Store(id=f"{prefix}-req"),     # the year the slider asks for (set in the browser, see callbacks.present)
        html.Div(id=f"{prefix}-badge", className="obs-anim-badge", role="status"),
    ])


def export_buttons(prefix: str, lang: str, csv: str | None = None) -> html.Div:
    """PNG / SVG of a figure with title, legend, source and date baked in (assets/04_present.js); with `csv` (a
    download path such as /download/trend.csv) also the numbers behind it, for the view in the page's address
    (the script adds the address's query when the link is followed)."""
    csv_link = [] if not csv else [
        html.A("CSV", id=f"{prefix}-csv", href=csv, download="", className="btn btn-sm btn-outline-dark obs-csv-link",
               title=tx("csv_title", lang), **{"data-base": csv})]
    return html.Div(className="obs-export", children=[
        html.Span(tx("export", lang) + ":", className="obs-export-label"),
        html.Button("PNG", id=f"{prefix}-png", n_clicks=0, className="btn btn-sm btn-outline-dark",
                    title=tx("export_title", lang)),
        html.Button("SVG", id=f"{prefix}-svg", n_clicks=0, className="btn btn-sm btn-outline-dark",
                    title=tx("export_title", lang)),
        *csv_link,
        dcc.Store(id=f"{prefix}-meta"),
        html.Span(id=f"{prefix}-done", hidden=True),
    ])


def present_link(lang: str) -> html.A:
    return html.A(["▶ ", tx("present", lang)], id=PRESENT_LINK, href="?view=present",
                  className="obs-present-link btn btn-sm btn-warning", title=tx("present_title", lang))


# ---- the presenter page -----------------------------------------------------------------------------
def present_page(lang: str, deck: dict) -> html.Div:
    """`deck`: {"views": [query], "titles": [{es,en}], "title": {es,en}, "name": str, "start": int}."""
    graph_cfg = {"displayModeBar": False, "scrollZoom": False, "responsive": True, "doubleClick": False,
                 "staticPlot": False}
    return html.Div(className="obs-present", lang=lang, id="obs-present", tabIndex="-1", children=[
        dcc.Location(id=PR_URL, refresh=False),
        dcc.Store(id=PR_DECK, data=deck),
        dcc.Store(id=PR_VIEW),
        html.Header(className="pr-top", children=[
            html.Span((deck.get("title") or {}).get(lang, ""), className="pr-deck-title"),
            html.Span(className="pr-keys d-none d-xl-inline", children=tx("keys", lang)),
            html.Div(className="pr-nav", children=[
                html.Button("◀", id=PR_PREV, n_clicks=0, className="btn btn-outline-light",
                            title=tx("prev", lang), **{"aria-label": tx("prev", lang)}),
                html.Span(id=PR_COUNTER, className="pr-counter", **{"aria-live": "polite"}),
                html.Button("▶", id=PR_NEXT, n_clicks=0, className="btn btn-outline-light",
                            title=tx("next", lang), **{"aria-label": tx("next", lang)}),
                html.A(tx("exit", lang), id=PR_EXIT, href="/", className="btn btn-outline-light pr-exit"),
            ]),
        ]),
        html.Main(className="pr-slide", children=[
            html.H1(id=PR_TITLE, className="pr-title"),
            html.Div(className="pr-grid", children=[
                html.Section(className="pr-text", children=[
                    html.Div(id=PR_PLACE, className="pr-place"),
                    html.Div(className="pr-figure", children=[
                        html.Span(id=PR_VALUE, className="pr-value"),
                        html.Span(id=PR_UNIT, className="pr-unit"),
                    ]),
                    html.Div(id=PR_CHANGE, className="pr-change"),
                    html.Div(id=PR_META, className="pr-meta"),
                    html.P(id=PR_SENTENCE, className="pr-sentence"),
                    html.Div(id=PR_EVENTS, className="pr-events"),
                ]),
                html.Section(className="pr-visuals", children=[
                    html.Div(className="pr-map-wrap", children=[
                        html.Div(className="pr-map", children=dcc.Graph(
                            id=PR_MAP, figure={"data": [], "layout": {}}, config=graph_cfg,
                            style={"height": "100%", "width": "100%"})),
                        html.Div(id=PR_LEGEND, className="pr-legend"),
                        anim_controls(PR_ANIM, lang),
                    ]),
                    html.Div(className="pr-series-wrap", children=[
                        html.Div(className="pr-series", children=dcc.Graph(
                            id=PR_SERIES, figure={"data": [], "layout": {}}, config=graph_cfg,
                            style={"height": "100%", "width": "100%"})),
                        dcc.Store(id=PR_SERIES_FIG),
                    ]),
                ]),
            ]),
        ]),
        html.Div(className="pr-exports", children=[export_buttons("pr-map-export", lang),
                                                   export_buttons("pr-series-export", lang)]),
    ])


def deck_error_page(lang: str, problems: list[str], available: list[tuple[str, str]] = ()) -> html.Div:
    """What cannot be shown and why; `available`: (name, title) of the decks that can, as links."""
    offer = [] if not available else [
        html.P(tx("decks_available", lang), className="pr-sentence"),
        html.Ul([html.Li(html.A(title, href=f"/?view=present&deck={name}&lang={lang}")) for name, title in available],
                id="pr-decks", className="pr-problems"),
    ]
    return html.Div(className="obs-present obs-present-error", lang=lang, children=[
        html.Main(className="pr-slide", children=[
            html.H1(tx("deck_error", lang), className="pr-title"),
            html.P(tx("deck_error_help", lang), className="pr-sentence"),
            html.Ul([html.Li(p) for p in problems[:20]], id="pr-problems", className="pr-problems"),
            *offer,
            html.A(tx("back_main", lang), href="/?lang=" + lang, className="btn btn-dark btn-lg"),
        ]),
    ])
