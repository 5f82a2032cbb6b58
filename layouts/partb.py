"""Issue 5 part B pages and pieces: compare places, figures by source (reconciliation), embeds, and the links and
"Insertar / Embed" dialog of the main view. Layouts know no data: they receive labels, options and plain rows."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from core.i18n import dropdown_labels, t

CMP_URL, CMP_UNITS, CMP_OFFENSE, CMP_MEASURE, CMP_BASE = "cmp-url", "cmp-units", "cmp-offense", "cmp-measure", "cmp-base"
CMP_GRAPH, CMP_NOTES, CMP_TABLE, CMP_SOURCES, CMP_BACK = "cmp-graph", "cmp-notes", "cmp-table", "cmp-sources", "cmp-back"
CMP_CSV = "cmp-csv"
NAV_COMPARE, NAV_RECONCILE = "nav-compare", "nav-reconcile"
EMBED_OPEN, EMBED_MODAL, EMBED_CHART, EMBED_CODE, EMBED_PREVIEW = ("embed-open", "embed-modal", "embed-chart",
                                                                   "embed-code", "embed-preview")
EMBED_WANT, EMBED_SLOT = "embed-want", "embed-slot"
GRAPH_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


# ---- main view: links and the embed dialog -----------------------------------------------------------
def header_links(lang: str) -> html.Div:
    return html.Div(className="obs-nav-links", children=[
        dcc.Link(t("nav_compare", lang), id=NAV_COMPARE, href="/comparar", refresh=True,
                 className="btn btn-sm btn-outline-light"),
        dcc.Link(t("nav_reconcile", lang), id=NAV_RECONCILE, href="/conciliar", refresh=True,
                 className="btn btn-sm btn-outline-light"),
        html.Button(t("nav_embed", lang) + " </>", id=EMBED_OPEN, n_clicks=0,
                    className="btn btn-sm btn-outline-light"),
    ])


def embed_slot() -> html.Div:
    """Where the embed dialog goes when it is first opened (callbacks/partb.py): dash-bootstrap-components' bundle
    is not in the page's first load (web/page_scripts.defer_dbc), so no component of it is in the first layout."""
    return html.Div([dcc.Store(id=EMBED_WANT), html.Div(id=EMBED_SLOT)])


def embed_modal(lang: str, code: str = "", preview_href: str = "#") -> dbc.Modal:
    """The "Insertar / Embed" dialog, open, with the embed code of the view it was opened on."""
    return dbc.Modal(id=EMBED_MODAL, is_open=True, size="lg", children=[
        dbc.ModalHeader(dbc.ModalTitle(t("embed_title", lang))),
        dbc.ModalBody([
            html.P(t("embed_help", lang)),
            html.Fieldset(className="obs-field", children=[
                html.Legend(t("embed_chart", lang), className="form-label"),
                dcc.RadioItems(id=EMBED_CHART, value="map", className="obs-radio", labelClassName="obs-radio-label",
                               inline=True, options=[{"label": t("embed_map", lang), "value": "map"},
                                                     {"label": t("embed_trend", lang), "value": "trend"}]),
            ]),
            html.Label("HTML", htmlFor=EMBED_CODE, className="form-label mt-2"),
            dcc.Textarea(id=EMBED_CODE, value=code, readOnly=True, className="obs-embed-code", rows=4),
            html.A(t("embed_preview", lang) + " ↗", id=EMBED_PREVIEW, href=preview_href, target="_blank",
                   rel="noopener", className="d-inline-block mt-2"),
        ]),
    ])


def _page_header(lang: str, back_href: str, back_id: str | None = None) -> html.Header:
    kw = {"id": back_id} if back_id else {}
    return html.Header(className="obs-header", children=[
        html.Div(className="obs-brand", children=[
            html.Span(t("app_title", lang), className="obs-title"),
            html.Span(t("app_subtitle", lang), className="obs-subtitle d-none d-md-inline"),
        ]),
        html.A(t("nav_back", lang), href=back_href, className="btn btn-sm btn-outline-light", **kw),
    ])


def sources_line(sources: list[dict], lang: str, version: str) -> list:
    parts: list = [html.Strong(t("footer_source", lang) + ": ")]
    for i, s in enumerate(sources):
        if i:
            parts.append("; ")
        parts.append(html.A(s["label"], href=s["address"], target="_blank", rel="noopener noreferrer")
                     if s.get("address") else s["label"])
    if not sources:
        parts.append("—")
    if version:
        parts.append(" · " + t("data_version", lang, version=version))
    return parts


# ---- compare ----------------------------------------------------------------------------------------
def compare_page(lang: str, *, units: list[str], unit_options: list[dict], offense: str, offense_options: list[dict],
                 measure: str, base, base_options: list[dict], back_href: str, version: str) -> html.Div:
    dd = {"clearable": False, "searchable": False, "className": "obs-dropdown"}
    return html.Div(className="obs-page", lang=lang, children=[
        dcc.Location(id=CMP_URL, refresh=False),
        _page_header(lang, back_href, CMP_BACK),
        html.Main(className="obs-sub-page", children=[
            html.H1(t("compare_title", lang)),
            html.Div(className="obs-cmp-controls", children=[
                html.Div([html.Label(t("compare_places", lang), htmlFor=CMP_UNITS, className="form-label"),
                          dcc.Dropdown(id=CMP_UNITS, options=unit_options, value=units, multi=True, searchable=True,
                                       placeholder=t("compare_places", lang), className="obs-dropdown",
                                       labels=dropdown_labels(lang))]),
                html.Div([html.Label(t("offense", lang), htmlFor=CMP_OFFENSE, className="form-label"),
                          dcc.Dropdown(id=CMP_OFFENSE, options=offense_options, value=offense, **dd)]),
                html.Fieldset([html.Legend(t("measure", lang), className="form-label"),
                               dcc.RadioItems(id=CMP_MEASURE, value=measure, className="obs-radio",
                                              labelClassName="obs-radio-label",
                                              options=[{"label": t("rate", lang), "value": "rate"},
                                                       {"label": t("count", lang), "value": "count"}])]),
                html.Div([html.Label(t("compare_base", lang), htmlFor=CMP_BASE, className="form-label"),
                          dcc.Dropdown(id=CMP_BASE, options=base_options, value=base if base is not None else "none",
                                       **dd)]),
            ]),
            html.Div(id=CMP_NOTES, role="status", **{"aria-live": "polite"}),
            html.Section(className="obs-card", children=[
                html.Div(className="obs-cmp-graph", children=dcc.Graph(
                    id=CMP_GRAPH, style={"height": "100%", "width": "100%"},
                    config={"displayModeBar": False, "responsive": True})),
                html.Div(id=CMP_TABLE),
                html.P(id=CMP_SOURCES, className="obs-small-note mt-2"),
                html.A(t("compare_csv", lang), id=CMP_CSV, href="/download/compare.csv", download="",
                       className="btn btn-sm btn-outline-dark", title=t("compare_csv_title", lang)),
            ]),
        ]),
    ])


def compare_table(rows: list[dict], lang: str, base) -> html.Table:
    head = [t("name", lang), t("sources", lang), "Años" if lang == "es" else "Years",
            (f"{t('year_col', lang)} {base}" if base is not None else None),
            "Último valor" if lang == "es" else "Latest value"]
    return html.Table(className="obs-rec-table mt-2", children=[
        html.Thead(html.Tr([html.Th(h) for h in head if h])),
        html.Tbody([html.Tr([html.Td(r["label"]), html.Td(r["sources"]), html.Td(r["years"])]
                            + ([html.Td(r["base"], className="num")] if base is not None else [])
                            + [html.Td(r["last"], className="num")], **{"data-unit": r["unit_id"]})
                    for r in rows]),
    ])


# ---- reconciliation -----------------------------------------------------------------------------------
def reconcile_page(lang: str, *, cases: list[dict], others: list[dict], filters: list[dict], back_href: str,
                   version: str, rule: str) -> html.Div:
    """cases: [{id, title, map_uses, tie_notes, figure, rows: [...]}]; filters: [{label, href, active}]."""
    return html.Div(className="obs-page", lang=lang, children=[
        _page_header(lang, back_href),
        html.Main(className="obs-sub-page", children=[
            html.H1(t("reconcile_title", lang)),
            html.P(t("reconcile_intro", lang)),
            html.P(rule, className="obs-small-note"),
            html.Nav(className="obs-nav-links mb-2", children=[
                html.A(f["label"], href=f["href"], className="btn btn-sm " + ("btn-dark" if f["active"] else
                                                                                 "btn-outline-dark"))
                for f in filters]),
            *([html.P(t("reconcile_none", lang))] if not cases and not others else []),
            *[_case_card(c, lang) for c in cases],
            *([html.Section(className="obs-rec-case", children=[
                html.H2(t("reconcile_other", lang)), _others_table(others, lang)])] if others else []),
        ]),
        html.Footer(className="obs-footer", children=[html.Span(t("data_version", lang, version=version))]),
    ])


def _case_card(c: dict, lang: str) -> html.Section:
    return html.Section(className="obs-rec-case", id=f"case-{c['id']}", children=[
        html.H2(c["title"]),
        html.P(c["map_uses"], className="obs-rec-mapuses"),
        *[html.Div(n, className="obs-note-box") for n in c["tie_notes"]],
        html.Div(className="obs-rec-grid", children=[
            dcc.Graph(figure=c["figure"], config={"displayModeBar": False, "staticPlot": False},
                      style={"height": f"{70 + 44 * max(1, len(c['figure']['data'][0]['y']))}px"}),
            _source_table(c["rows"], lang, c.get("computed_note", "")),
        ]),
    ])


def _source_table(rows: list[dict], lang: str, computed_note: str) -> html.Div:
    head = [t("reconcile_publisher", lang), t("reconcile_count", lang), t("reconcile_rate", lang),
            t("reconcile_gap_count", lang), t("reconcile_gap_rate", lang), t("reconcile_priority", lang),
            t("reconcile_citation", lang)]
    body = []
    for r in rows:
        badges = []
        if r["map_count"]:
            badges.append(html.Span(t("reconcile_map_mark", lang) + " (" + t("count_short", lang).lower() + ")",
                                    className="obs-rec-badge"))
        if r["map_rate"]:
            badges.append(html.Span(t("reconcile_map_mark", lang) + " (" + t("rate_short", lang).lower() + ")",
                                    className="obs-rec-badge"))
        cite = [r["citation"] or r["title"]]
        if r["address"]:
            cite = [html.A(r["citation"] or r["title"], href=r["address"], target="_blank", rel="noopener noreferrer")]
        body.append(html.Tr(className="obs-rec-map" if (r["map_count"] or r["map_rate"]) else None,
                            **{"data-source": r["source_id"]}, children=[
            html.Td([html.Strong(r["publisher"]), *badges, html.Div(r["title"], className="small text-muted")]),
            html.Td(r["count_text"], className="num"), html.Td(r["rate_text"], className="num"),
            html.Td(r["gap_count_text"], className="num"), html.Td(r["gap_rate_text"], className="num"),
            html.Td(str(r["priority"]), className="num"),
            html.Td([*cite, html.Details([html.Summary(t("reconcile_notes", lang)), html.Div(r["notes"])],
                                         className="small") if r["notes"] else ""]),
        ]))
    return html.Div([html.Table(className="obs-rec-table", children=[html.Thead(html.Tr([html.Th(h) for h in head])),
                                                                     html.Tbody(body)]),
                     html.Div(computed_note, className="obs-small-note") if computed_note else ""])


def _others_table(others: list[dict], lang: str) -> html.Table:
    head = [t("name", lang), t("year_col", lang), t("offense", lang), t("reconcile_publisher", lang),
            t("reconcile_count", lang), t("reconcile_rate", lang), t("reconcile_gap_rate", lang)]
    body = []
    for o in others:
        for i, r in enumerate(o["rows"]):
            body.append(html.Tr(className="obs-rec-map" if (r["map_count"] or r["map_rate"]) else None, children=[
                html.Td(o["name"] if i == 0 else ""), html.Td(str(o["year"]) if i == 0 else ""),
                html.Td(o["offense_label"] if i == 0 else ""),
                html.Td(html.A(r["publisher"], href=r["address"], target="_blank", rel="noopener noreferrer")
                        if r["address"] else r["publisher"]),
                html.Td(r["count_text"], className="num"), html.Td(r["rate_text"], className="num"),
                html.Td(r["gap_rate_text"], className="num")]))
    return html.Table(className="obs-rec-table obs-rec-other", children=[
        html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)])


# ---- embed --------------------------------------------------------------------------------------------
def embed_page(lang: str, *, title: str, subtitle: str, figure: dict, graph_id: str, legend: list,
               sources: list[dict], version: str, full_href: str) -> html.Div:
    return html.Div(className="obs-embed", lang=lang, children=[
        html.H1(title, className="obs-embed-title"),
        html.P(subtitle, className="obs-embed-sub"),
        html.Div(className="obs-embed-graph", children=dcc.Graph(
            id=graph_id, figure=figure, style={"height": "100%", "width": "100%"},
            config={"displayModeBar": False, "scrollZoom": False, "responsive": True, "doubleClick": False})),
        html.Div(legend, className="obs-embed-legend") if legend else "",
        html.Div(className="obs-embed-foot", children=[
            html.Span(sources_line(sources, lang, version), className="obs-embed-src"),
            html.A(t("embed_open", lang), href=full_href, target="_blank", rel="noopener", id="embed-full-link"),
        ]),
    ])
