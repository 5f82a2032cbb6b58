"""The page: header (title, breadcrumb, language), filters (sidebar on desktop, drawer on phones), headline,
map with legend, trend, ranking, footer."""
from __future__ import annotations

from dash import dcc, html

from core import ids
from core.i18n import t
from layouts import present as present_parts   # issue 4: sentence, slider, export, "Presentar"
from layouts import partb

EMPTY_FIG = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False},
                                    "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}}


def shell() -> html.Div:
    """app.layout: the URL and a slot the page is rendered into (so the page can follow ?lang=)."""
    return html.Div([
        dcc.Location(id=ids.SHELL_URL, refresh=False),
        html.Div(id=ids.PAGE, children=html.Div(className="obs-loading", children="…")),
    ])


def _field(label: str, control, control_id: str) -> html.Div:
    return html.Div(className="obs-field", children=[
        html.Label(label, htmlFor=control_id, id=f"{control_id}-label", className="form-label"),
        control,
    ])


def _radio_field(label: str, control_id: str, options: list[dict], value) -> html.Fieldset:
    return html.Fieldset(className="obs-field", children=[
        html.Legend(label, className="form-label"),
        dcc.RadioItems(id=control_id, options=options, value=value, className="obs-radio",
                       labelClassName="obs-radio-label"),
    ])


def filters(lang: str, opts: dict, values: dict) -> list:
    dd = {"clearable": False, "searchable": False, "className": "obs-dropdown"}
    return [
        _field(t("country", lang), dcc.Dropdown(id=ids.COUNTRY, options=opts["country"], value=values["country"],
                                                 **dd), ids.COUNTRY),
        _radio_field(t("level", lang), ids.LEVEL, opts["level"], values["level"]),
        _field(t("offense", lang), dcc.Dropdown(id=ids.OFFENSE, options=opts["offense"], value=values["offense"],
                                                 **dd), ids.OFFENSE),
        _field(t("year", lang), dcc.Dropdown(id=ids.YEAR, options=opts["year"], value=values["year"], **dd),
               ids.YEAR),
        _radio_field(t("measure", lang), ids.MEASURE, opts["measure"], values["measure"]),
        _radio_field(t("sex", lang), ids.SEX, opts["sex"], values["sex"]),
        _field(t("age", lang), dcc.Dropdown(id=ids.AGE, options=opts["age"], value=values["age"], **dd), ids.AGE),
        html.Div(className="obs-download", children=[
            html.A(t("download", lang), id=ids.DOWNLOAD, href="/download/view.csv", download="",
                   className="btn btn-dark w-100", title=t("download_hint", lang)),
            html.Small(t("download_hint", lang), className="text-muted d-block mt-1"),
        ]),
    ]


def page(lang: str, opts: dict, values: dict, app_version: str, static_map: str | None = None,
         options_shown: str | None = None) -> html.Div:
    """The whole page for one language. `opts`/`values`: control options and initial values; `static_map`: the
    address of the first view's map as an image, shown until the interactive map is drawn over it;
    `options_shown`: the digest of `opts` (kept in the page, so a view sends only options that changed)."""
    return html.Div(className="obs-page", lang=lang, children=[
        dcc.Location(id=ids.URL, refresh=False),
        html.A(t("skip_to_map", lang), href="#obs-main", className="visually-hidden-focusable obs-skip"),
        html.Header(className="obs-header", children=[
            html.Button([html.Span("☰ ", **{"aria-hidden": "true"}), t("open_filters", lang)], id=ids.FILTERS_OPEN,
                        className="btn btn-outline-light d-lg-none obs-filter-btn", n_clicks=0,
                        **{"aria-controls": ids.FILTERS_DRAWER, "aria-expanded": "false"}),
            html.Div(className="obs-brand", children=[
                html.Span(t("app_title", lang), className="obs-title"),
                html.Span(t("app_subtitle", lang), className="obs-subtitle d-none d-md-inline"),
            ]),
            html.Nav(id=ids.BREADCRUMB, className="obs-breadcrumb", **{"aria-label": t("breadcrumb", lang)}),
            partb.header_links(lang),
            html.A(t("switch_lang", lang), id=ids.LANG_LINK, href="?lang=" + ("en" if lang == "es" else "es"),
                   className="obs-lang btn btn-sm btn-outline-light", title=t("switch_lang_label", lang),
                   hrefLang="en" if lang == "es" else "es"),
            present_parts.present_link(lang),
        ]),
        html.Div(className="obs-body", children=[
            html.Aside(id=ids.FILTERS_DRAWER, className="offcanvas-lg offcanvas-start obs-filters", tabIndex="-1",
                       **{"aria-label": t("filters", lang)}, children=[
                           html.Div(className="offcanvas-header d-lg-none", children=[
                               html.H2(t("filters", lang), className="h5 m-0"),
                               html.Button(id="filters-close", className="btn-close", n_clicks=0,
                                           **{"aria-label": t("close", lang)}),
                           ]),
                           html.Div(className="offcanvas-body obs-filters-body",
                                    children=filters(lang, opts, values)),
                       ]),
            html.Div(id="filters-backdrop", className="obs-backdrop", n_clicks=0),
            html.Main(id="obs-main", className="obs-main", tabIndex="-1", children=[
                html.Div(id=ids.NOTES, className="obs-notes", role="status", **{"aria-live": "polite"}),
                html.Div(id=ids.PIN_NOTE, className="obs-notes", role="status"),
                html.Section(className="obs-headline", **{"aria-label": "headline"}, children=[
                    html.Div(id=ids.HEADLINE_PLACE, className="obs-hl-place"),
                    html.Div(className="obs-hl-figure", children=[
                        html.Span(id=ids.HEADLINE_VALUE, className="obs-hl-value"),
                        html.Span(id=ids.HEADLINE_UNIT, className="obs-hl-unit"),
                        html.Span(id=ids.HEADLINE_CHANGE, className="obs-hl-change"),
                    ]),
                    html.Div(id=ids.HEADLINE_META, className="obs-hl-meta"),
                    html.P(id=present_parts.SENTENCE, className="obs-hl-sentence"),
                ]),
                html.Div(className="obs-grid", children=[
                    html.Section(className="obs-card obs-map-card", **{"aria-label": t("map_title", lang)}, children=[
                        html.Div(id=ids.MAP_NOTE, className="obs-map-note", role="status"),
                        html.Div(className="obs-map", children=[
                            # the first view's map drawn on the server (core/static_map.py), over the graph until
                            # plotly.js has drawn the same map (assets/22_static_map.js removes it then)
                            *([html.Img(src=static_map, className="obs-map-static", alt="",
                                        **{"aria-hidden": "true"})] if static_map else []),
                            dcc.Graph(
                                id=ids.MAP, figure=EMPTY_FIG, style={"height": "100%", "width": "100%"},
                                config={"displayModeBar": False, "scrollZoom": False, "responsive": True,
                                        "doubleClick": False})]),
                        html.Div(id=ids.LEGEND, className="obs-legend"),
                        present_parts.anim_controls(present_parts.MAIN_ANIM, lang),
                        present_parts.export_buttons("map-export", lang, "/download/view.csv"),
                        html.P(t("map_help", lang), className="obs-help"),
                    ]),
                    html.Div(className="obs-side", children=[
                        html.Section(className="obs-card", **{"aria-label": t("series_title", lang)}, children=[
                            html.H2(t("series_title", lang), className="obs-card-title"),
                            html.Div(className="obs-series", children=dcc.Graph(
                                id=ids.SERIES, figure=EMPTY_FIG, style={"height": "100%", "width": "100%"},
                                config={"displayModeBar": False, "responsive": True})),
                            html.Div(id=ids.SERIES_NOTE, className="obs-small-note"),
                            html.Div(className="obs-small-note", children=[
                                html.Div(id=present_parts.EVENTS_LIST), html.Div(id=present_parts.EVENTS_TOGGLE)]),
                            present_parts.export_buttons("series-export", lang, "/download/trend.csv"),
                        ]),
                        html.Section(className="obs-card", **{"aria-label": t("ranking_title", lang)}, children=[
                            html.H2(id=ids.RANKING_TITLE, className="obs-card-title"),
                            html.Div(id=ids.RANKING, className="obs-ranking"),
                            dcc.Store(id=ids.RANKING_DATA), dcc.Store(id=ids.RANKING_IDS),
                            html.Div(id=ids.RANKING_NOTE, className="obs-small-note"),
                        ]),
                    ]),
                ]),
            ]),
        ]),
        html.Footer(className="obs-footer", children=[
            html.Span(id=ids.FOOTER_SOURCES),
            html.Span(t("footer_about", lang), className="obs-footer-about"),
            html.Span(className="obs-footer-links", children=[
                html.A(t("methodology", lang), id="methodology-link", href=methodology_href(lang)), " · ",
                html.A(t("api", lang), id="api-link", href="/api/v1/"), " · ",
                html.A(t("pin_link", lang), id=ids.PIN_LINK, href="/", title=t("pin_link_title", lang)),
            ]),
        ]),
        partb.embed_slot(),
        dcc.Store(id=ids.VIEW),
        dcc.Store(id=ids.MAP_META),
        dcc.Store(id=ids.OPTIONS_SHOWN, data=options_shown),
        dcc.Store(id=ids.SERIES_SHOWN),
        dcc.Store(id=ids.PANELS_SHOWN),
        dcc.Store(id=ids.PANELS),
        dcc.Store(id="page-lang", data=lang),
        html.Span(app_version, id="app-version", hidden=True),
    ])


def methodology_href(lang: str) -> str:
    """The sources and methodology page in the page's language (web/methodology.py)."""
    return "/methodology?lang=en" if lang == "en" else "/metodologia?lang=es"


def error_page(message: str) -> html.Div:
    return html.Div(className="container py-5", children=[
        html.H1("Observatorio de Seguridad Ciudadana"),
        html.P("Los datos no están disponibles en este momento. / The data is not available at the moment."),
        html.Pre(message, className="small text-muted"),
    ])
