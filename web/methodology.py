"""Sources and methodology page (/metodologia, alias /methodology; ?lang=es|en like the dashboard).

A Flask-rendered HTML page with the app's Bootstrap CSS and no script: every source (publisher, title, licence,
citation, address, priority, what it covers, known problems), how rates are computed and with which population, and
the build report's coverage as a grid (country x level x offence -> years). Every text from the data is escaped.
"""
from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, request

from core import query
from core.i18n import t

blueprint = Blueprint("methodology", __name__)

TEXT = {
    "title": {"es": "Fuentes y metodología", "en": "Sources and methodology"},
    "back": {"es": "Volver al tablero", "en": "Back to the dashboard"},
    "api": {"es": "API pública de datos", "en": "Public data API"},
    "other_lang": {"es": "English", "en": "Español"},
    "version": {"es": "Versión de los datos", "en": "Data version"},
    "how": {"es": "Cómo se calculan las cifras", "en": "How the figures are computed"},
    "sources": {"es": "Fuentes", "en": "Sources"},
    "fact_sources": {"es": "Fuentes de cifras delictivas", "en": "Crime figure sources"},
    "pop_sources": {"es": "Fuentes de población", "en": "Population sources"},
    "coverage": {"es": "Cobertura: años con datos por país, nivel y delito",
                 "en": "Coverage: years with data by country, level and offence"},
    "coverage_help": {"es": "Cada celda da los años con al menos una cifra publicada (de cualquier fuente; los "
                            "números remiten a la lista de fuentes). Una celda vacía significa que no se publicó "
                            "nada a ese nivel: no es un cero.",
                      "en": "Each cell gives the years with at least one published figure (from any source; the "
                            "numbers refer to the list of sources). An empty cell means nothing was published at "
                            "that level: it is not a zero."},
    "publisher": {"es": "Institución", "en": "Publisher"},
    "licence": {"es": "Licencia", "en": "Licence"},
    "citation": {"es": "Cita", "en": "Citation"},
    "address": {"es": "Dirección", "en": "Address"},
    "priority": {"es": "Prioridad", "en": "Priority"},
    "priority_help": {"es": "menor = preferida en el mapa", "en": "lower = preferred on the map"},
    "covers": {"es": "Qué cubre", "en": "What it covers"},
    "notes": {"es": "Definición y problemas conocidos", "en": "Definition and known problems"},
    "no_coverage": {"es": "Sin cifras en esta versión de los datos.", "en": "No figures in this data version."},
    "offense": {"es": "Delito", "en": "Offence"},
    "source_id": {"es": "Identificador", "en": "Identifier"},
}

HOW = {
    "es": [
        "Solo se muestran cifras oficiales publicadas. Un dato no publicado es un vacío (gris «Sin datos» en el "
        "mapa), nunca un cero.",
        "Cuando varias instituciones publican una cifra para el mismo lugar, año, delito, sexo y edad, todas se "
        "conservan (la API las devuelve lado a lado). El mapa usa, para cada medida por separado, la fuente con el "
        "menor número de prioridad que tiene un valor; la prioridad de cada fuente figura en la lista de abajo.",
        "Tasas: donde la fuente publica una tasa, se muestra tal como fue publicada. Donde solo publica un conteo, "
        "la tasa se calcula como conteo ÷ población × 100,000, con la población del mismo lugar, año, sexo y "
        "grupo de edad tomada de la fuente de población de menor número de prioridad. El tablero marca esas tasas "
        "como «calculadas» y nombra la fuente de población. Sin población no hay tasa calculada.",
        "Cifra regional: solo para los años en que los seis países del observatorio (Belice, Costa Rica, El "
        "Salvador, Guatemala, Honduras y República Dominicana) tienen el dato; conteos sumados, tasas como media "
        "ponderada por población. Los países vecinos sin el dato quedan fuera y se nombran. Si falta uno de los "
        "seis, no se muestra cifra regional.",
        "El cambio respecto al año anterior solo se calcula entre dos años de la misma fuente.",
        "Las fuentes con un registro por hecho o víctima (OIJ Costa Rica 2023, víctimas de Panamá) se cuentan en "
        "cada nivel; un registro sin cantón conocido cuenta en su provincia y en el país, por lo que una provincia "
        "puede superar la suma de sus cantones.",
        "Cada versión de los datos lleva fecha y huella del contenido. Un enlace puede fijarla con «&v=<versión>»; "
        "si los datos cambiaron desde entonces, el tablero indica de qué valor a qué valor cambió la cifra.",
    ],
    "en": [
        "Only published official figures are shown. An unpublished figure is a gap (grey “No data” on the map), "
        "never a zero.",
        "When several institutions publish a figure for the same place, year, offence, sex and age, all are kept "
        "(the API returns them side by side). The map uses, for each measure separately, the source with the lowest "
        "priority number that has a value; each source's priority is in the list below.",
        "Rates: where the source publishes a rate, it is shown as published. Where it publishes only a count, the "
        "rate is computed as count ÷ population × 100,000, with the population of the same place, year, sex and age "
        "group from the population source with the lowest priority number. The dashboard marks such rates as "
        "“computed” and names the population source. Without a population there is no computed rate.",
        "Regional figure: only for years in which the observatory's six countries (Belize, Costa Rica, the "
        "Dominican Republic, El Salvador, Guatemala and Honduras) have the figure; counts are summed, rates are a "
        "population-weighted mean. Neighbouring countries without the figure are left out and named. If one of "
        "the six is missing, no regional figure is shown.",
        "The change on the previous year is computed only between two years of the same source.",
        "Sources with one record per incident or victim (Costa Rica OIJ 2023, Panama victims) are counted at every "
        "level; a record without a known canton counts in its province and the country, so a province may exceed "
        "the sum of its cantons.",
        "Every data version carries a date and a content hash. A link can pin it with “&v=<version>”; if the data "
        "changed since, the dashboard says from which value to which value the figure changed.",
    ],
}


def init_app(server: Flask, data_dir: str | Path) -> None:
    server.config["OBS_METHODOLOGY_DATA_DIR"] = str(Path(data_dir).resolve())
    server.register_blueprint(blueprint)


def tr(key: str, lang: str) -> str:
    return TEXT[key][lang]


def year_ranges(years) -> str:
    """[2015, 2016, 2017, 2020] -> '2015–2017, 2020'."""
    ys = sorted({int(y) for y in years})
    out: list[str] = []
    i = 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        out.append(str(ys[i]) if i == j else f"{ys[i]}–{ys[j]}")
        i = j + 1
    return ", ".join(out)


def _link(address: object) -> str:
    a = str(address or "")
    if a.startswith(("https://", "http://")):
        return f'<a href="{escape(a)}" rel="noopener noreferrer">{escape(a)}</a>'
    return escape(a) if a else "—"


def _source_order(ds: query.Dataset) -> list[str]:
    return sorted(ds.sources, key=lambda s: (ds.sources[s].get("kind") != "facts",
                                             int(ds.sources[s].get("priority") or 999), s))


def _covers(ds: query.Dataset, sid: str, lang: str, cov: list[dict], pop_cov: list[dict]) -> str:
    items = []
    entries = [c for c in cov if c.get("source_id") == sid]
    for c in sorted(entries, key=lambda c: (ds.name(c["country"], lang), c["level"], c["offense"])):
        measures = ", ".join(t("rate_short" if m == "rate" else "count_short", lang) for m in c.get("measures", []))
        place = f"{escape(ds.name(c['country'], lang))} · {escape(t('level_' + str(c['level']), lang))}"
        items.append(f"<li>{place}"
                     f" · {escape(ds.offense_label(c['offense'], lang))} · {escape(year_ranges(c.get('years', [])))}"
                     f"{' · ' + escape(measures) if measures else ''}</li>")
    for c in sorted((p for p in pop_cov if p["source_id"] == sid),
                    key=lambda c: (ds.name(c["country"], lang), c["level"])):
        place = f"{escape(ds.name(c['country'], lang))} · {escape(t('level_' + str(c['level']), lang))}"
        items.append(f"<li>{place}"
                     f" · {escape(t('population', lang))} · {escape(year_ranges(c['years']))}</li>")
    if not items:
        return f"<p class='text-muted'>{escape(tr('no_coverage', lang))}</p>"
    return "<ul class='small mb-0'>" + "".join(items) + "</ul>"


def _source_block(ds, sid: str, num: int, lang: str, cov, pop_cov) -> str:
    s = ds.sources[sid]
    title = s.get("title") or sid

    def row(key: str, value_html: str) -> str:
        return (f"<tr><th scope='row' class='text-nowrap' style='width: 14rem'>{escape(tr(key, lang))}</th>"
                f"<td>{value_html}</td></tr>")

    prio = f"{escape(str(s.get('priority')))} <small class='text-muted'>({escape(tr('priority_help', lang))})</small>"
    return f"""
<article class="card mb-3" id="source-{escape(sid)}"><div class="card-body">
<h4 class="h6 card-title">[{num}] {escape(str(s.get('publisher') or sid))} — {escape(str(title))}</h4>
<table class="table table-sm mb-2"><tbody>
{row('source_id', f'<code>{escape(sid)}</code>')}
{row('licence', escape(str(s.get('licence') or '—')))}
{row('citation', escape(str(s.get('citation') or '—')))}
{row('address', _link(s.get('address')))}
{row('priority', prio)}
{row('notes', escape(str(s.get('notes') or '—')))}
</tbody></table>
<p class="mb-1"><strong>{escape(tr('covers', lang))}</strong></p>
{_covers(ds, sid, lang, cov, pop_cov)}
</div></article>"""


def _grid(ds: query.Dataset, lang: str, cov: list[dict], numbers: dict[str, int]) -> str:
    cells: dict[tuple[str, str, int], dict[str, list[int]]] = {}
    for c in cov:
        key = (c.get("country"), c.get("offense"), int(c.get("level", 0)))
        cells.setdefault(key, {}).setdefault(c.get("source_id"), []).extend(c.get("years", []))
    out = []
    countries = sorted({k[0] for k in cells}, key=lambda c: ds.name(c, lang))
    for ctry in countries:
        offs = sorted({k[1] for k in cells if k[0] == ctry},
                      key=lambda o: (o != "homicide", ds.offense_label(o, lang)))
        rows = []
        for off in offs:
            tds = []
            for lvl in (0, 1, 2):
                by_src = cells.get((ctry, off, lvl))
                if not by_src:
                    tds.append("<td class='text-muted'>—</td>")
                    continue
                years = [y for ys in by_src.values() for y in ys]
                refs = " ".join(f"<a href='#source-{escape(s)}' title='{escape(str(s))}'>[{numbers.get(s, '?')}]</a>"
                                for s in sorted(by_src, key=lambda s: numbers.get(s, 999)))
                tds.append(f"<td>{escape(year_ranges(years))} <small>{refs}</small></td>")
            rows.append(f"<tr><th scope='row'>{escape(ds.offense_label(off, lang))}</th>{''.join(tds)}</tr>")
        out.append(f"""
<h3 class="h5 mt-4">{escape(ds.name(ctry, lang))}</h3>
<div class="table-responsive"><table class="table table-sm table-bordered obs-coverage">
<thead><tr><th scope="col">{escape(tr('offense', lang))}</th>
<th scope="col">{escape(t('level_0', lang))}</th><th scope="col">{escape(t('level_1', lang))}</th>
<th scope="col">{escape(t('level_2', lang))}</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></div>""")
    return "".join(out) or f"<p>{escape(tr('no_coverage', lang))}</p>"


def render(ds: query.Dataset, lang: str) -> str:
    cov = query.coverage_table(ds)
    pop_cov = query.population_coverage(ds)
    order = _source_order(ds)
    numbers = {s: i + 1 for i, s in enumerate(order)}
    facts_src = [s for s in order if ds.sources[s].get("kind") != "population"]
    pop_src = [s for s in order if ds.sources[s].get("kind") == "population"]
    version = query.version_info(ds)
    other = "en" if lang == "es" else "es"
    other_path = "/methodology" if other == "en" else "/metodologia"
    how = "".join(f"<li>{escape(p)}</li>" for p in HOW[lang])
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(tr('title', lang))} — {escape(t('app_title', lang))}</title>
<link rel="stylesheet" href="/assets/01_bootstrap.min.css">
</head><body><main class="container py-4" style="max-width: 1100px">
<nav class="mb-3"><a href="/?lang={lang}">← {escape(tr('back', lang))}</a> ·
<a href="/api/v1/">{escape(tr('api', lang))}</a> ·
<a href="{other_path}?lang={other}" hreflang="{other}" lang="{other}">{escape(tr('other_lang', lang))}</a></nav>
<h1>{escape(tr('title', lang))}</h1>
<p class="lead">{escape(t('app_title', lang))} · {escape(t('app_subtitle', lang))}</p>
<p>{escape(tr('version', lang))}: <code>{escape(version['id'])}</code>
(<a href="/api/v1/version">/api/v1/version</a>)</p>
<section id="how"><h2>{escape(tr('how', lang))}</h2><ul>{how}</ul></section>
<section id="sources"><h2>{escape(tr('sources', lang))}</h2>
<h3 class="h4">{escape(tr('fact_sources', lang))}</h3>
{''.join(_source_block(ds, s, numbers[s], lang, cov, pop_cov) for s in facts_src)}
<h3 class="h4">{escape(tr('pop_sources', lang))}</h3>
{''.join(_source_block(ds, s, numbers[s], lang, cov, pop_cov) for s in pop_src)}
</section>
<section id="coverage"><h2>{escape(tr('coverage', lang))}</h2>
<p>{escape(tr('coverage_help', lang))}</p>
{_grid(ds, lang, cov, numbers)}
</section>
</main></body></html>
"""


def _page(default_lang: str):
    lang = request.args.get("lang", default_lang)
    lang = lang if lang in ("es", "en") else default_lang
    try:
        ds = query.get_dataset(current_app.config.get("OBS_METHODOLOGY_DATA_DIR"))
    except query.DataError as exc:
        return Response("Los datos no están disponibles / The data is not available: " + escape(str(exc)),
                        status=503, mimetype="text/plain")
    return Response(render(ds, lang), mimetype="text/html", headers={"Cache-Control": "public, max-age=300",
                                                                     "Content-Language": lang})


@blueprint.get("/metodologia")
def metodologia():
    return _page("es")


@blueprint.get("/methodology")
def methodology():
    return _page("en")


def href(lang: str) -> str:
    """The page's address for a language (the dashboard footer links here)."""
    return "/metodologia?lang=es" if lang != "en" else "/methodology?lang=" + quote("en")
