"""Every user-facing text in Spanish (default) and English.

`t(key, lang, **params)` formats a label; unknown keys return the key itself (visible, never a crash).
Offence and age-group labels come from the pipeline's vocabularies when present (read by core.query);
the fallbacks below cover the common codes.
"""
from __future__ import annotations

LANGS = ("es", "en")
DEFAULT_LANG = "es"

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"es": "Observatorio de Seguridad Ciudadana", "en": "Citizen Security Observatory"},
    "splash_loading": {"es": "Cargando el mapa interactivo, las cifras y los filtros…",
                       "en": "Loading the interactive map, the figures and the filters…"},
    "app_subtitle": {"es": "Centroamérica y República Dominicana", "en": "Central America and the Dominican Republic"},
    "filters": {"es": "Filtros", "en": "Filters"},
    "country": {"es": "País", "en": "Country"},
    "level": {"es": "Nivel", "en": "Level"},
    "offense": {"es": "Delito", "en": "Offence"},
    "year": {"es": "Año", "en": "Year"},
    "sex": {"es": "Sexo", "en": "Sex"},
    "age": {"es": "Edad", "en": "Age"},
    "measure": {"es": "Medida", "en": "Measure"},
    "unit": {"es": "Lugar", "en": "Place"},
    "lang": {"es": "Idioma", "en": "Language"},
    "region": {"es": "Región", "en": "Region"},
    "region_all": {"es": "Región (todos los países)", "en": "Region (all countries)"},
    "level_0": {"es": "Países", "en": "Countries"},
    "level_1": {"es": "Departamentos / provincias", "en": "Departments / provinces"},
    "level_2": {"es": "Municipios / cantones", "en": "Municipalities / cantons"},
    "rate": {"es": "Tasa por 100,000 hab.", "en": "Rate per 100,000"},
    "count": {"es": "Número de casos", "en": "Number of cases"},
    "rate_short": {"es": "Tasa", "en": "Rate"},
    "count_short": {"es": "Casos", "en": "Cases"},
    "per_100k": {"es": "por 100,000 hab.", "en": "per 100,000 people"},
    "cases": {"es": "casos", "en": "cases"},
    "sex_total": {"es": "Total", "en": "Total"},
    "sex_female": {"es": "Mujeres", "en": "Women"},
    "sex_male": {"es": "Hombres", "en": "Men"},
    "sex_unknown": {"es": "Sin dato de sexo", "en": "Sex unknown"},
    "age_total": {"es": "Todas las edades", "en": "All ages"},
    "no_data": {"es": "Sin datos", "en": "No data"},
    "no_data_country": {"es": "sin datos", "en": "no data"},
    "no_data_level_detail": {"es": "{place}: sin datos publicados a este nivel para esta selección. "
                                   "Pruebe otro nivel, delito o año.",
                             "en": "{place}: no data published at this level for this selection. "
                                   "Try another level, offence or year."},
    "no_data_some": {"es": "Sin datos a este nivel: {places}.", "en": "No data at this level: {places}."},
    "no_data_here": {"es": "Sin datos a este nivel", "en": "No data at this level"},
    "no_units_level": {"es": "Sin división territorial a este nivel: {places}.",
                       "en": "No subdivision at this level: {places}."},
    "download": {"es": "Descargar CSV", "en": "Download CSV"},
    "download_hint": {"es": "Los números de esta vista, una fila por lugar",
                      "en": "The numbers behind this view, one row per place"},
    "open_filters": {"es": "Filtros", "en": "Filters"},
    "close": {"es": "Cerrar", "en": "Close"},
    "map_title": {"es": "Mapa", "en": "Map"},
    "map_help": {"es": "Toque o haga clic en un lugar para seleccionarlo; en un país o departamento, para ver su interior.",
                 "en": "Tap or click a place to select it; a country or department to look inside it."},
    "series_title": {"es": "Tendencia", "en": "Trend"},
    "ranking_title": {"es": "Clasificación", "en": "Ranking"},
    "rank": {"es": "Puesto", "en": "Rank"},
    "rank_of": {"es": "Puesto {rank} de {n}", "en": "Rank {rank} of {n}"},
    "name": {"es": "Lugar", "en": "Place"},
    "population": {"es": "Población", "en": "Population"},
    "source": {"es": "Fuente", "en": "Source"},
    "sources": {"es": "Fuentes", "en": "Sources"},
    "data_version": {"es": "Datos versión {version}", "en": "Data version {version}"},
    "data_date": {"es": "Datos: {date}", "en": "Data: {date}"},
    "change_vs": {"es": "vs {year}", "en": "vs {year}"},
    "change_label": {"es": "Cambio vs {year}", "en": "Change vs {year}"},
    "computed_rate": {"es": "tasa calculada con población de {source}",
                      "en": "rate computed with population from {source}"},
    "computed_rate_short": {"es": "calculada", "en": "computed"},
    "region_series": {"es": "Región", "en": "Region"},
    "region_missing": {"es": "Sin cifra regional: no todos los países publican este dato para estos años.",
                       "en": "No regional figure: not every country publishes this for these years."},
    "region_partial": {"es": "Cifra regional solo en años con datos de los seis países del observatorio ({years}).",
                       "en": "Regional figure only for years with data from the six observatory countries ({years})."},
    "region_weighted": {"es": "Cifra regional: promedio de las tasas nacionales ponderado por la población ({source}).",
                        "en": "Regional figure: national rates weighted by population ({source})."},
    "region_summed": {"es": "Cifra regional: suma de las cifras nacionales.",
                      "en": "Regional figure: sum of the national figures."},
    "region_without": {"es": "Sin datos de: {countries}.", "en": "No data from: {countries}."},
    "region_value_missing": {"es": "Sin cifra regional para {year}", "en": "No regional figure for {year}"},
    "region_headline_hint": {"es": "Faltan países con datos; elija un país en el mapa.",
                             "en": "Some countries have no data; choose a country on the map."},
    "series_counts_alone": {"es": "En número de casos la tendencia muestra solo {place}: los totales de áreas mayores, "
                                  "mucho más altos, aplastarían su línea. Para comparar, elija la tasa.",
                            "en": "With counts the trend shows {place} alone: the far larger totals of bigger areas "
                                  "would flatten its line. To compare, choose the rate."},
    "series_mixed": {"es": "La serie combina fuentes: {sources}.", "en": "The series combines sources: {sources}."},
    "series_empty": {"es": "Sin serie para este lugar.", "en": "No series for this place."},
    "note_invalid": {"es": "El valor «{value}» no es válido para «{param}»; se muestra {default}.",
                     "en": "The value “{value}” is not valid for “{param}”; showing {default}."},
    "note_repeated": {"es": "El parámetro «{param}» aparece varias veces; se muestra {default}.",
                      "en": "The parameter “{param}” appears more than once; showing {default}."},
    "note_fallback": {"es": "Sin datos de {what} para esta selección; se muestra {default}.",
                      "en": "No data for {what} in this selection; showing {default}."},
    "note_no_units": {"es": "{what}: este país no tiene división territorial a ese nivel; se muestra {default}.",
                      "en": "{what}: this country has no division at that level; showing {default}."},
    "note_unit_country": {"es": "El lugar elegido pertenece a {country}; se muestra ese país.",
                          "en": "The chosen place belongs to {country}; showing that country."},
    "footer_source": {"es": "Fuente", "en": "Source"},
    "footer_about": {"es": "Cifras oficiales publicadas; los vacíos son datos no publicados, no ceros.",
                     "en": "Published official figures; gaps are unpublished data, not zeros."},
    "breadcrumb": {"es": "Ubicación", "en": "Location"},
    "switch_lang": {"es": "English", "en": "Español"},
    "switch_lang_label": {"es": "Read in English", "en": "Ver en español"},
    "selected": {"es": "Seleccionado", "en": "Selected"},
    "legend_title_rate": {"es": "Tasa por 100,000 hab.", "en": "Rate per 100,000"},
    "legend_title_count": {"es": "Número de casos", "en": "Number of cases"},
    "only_value": {"es": "un solo valor", "en": "single value"},
    "same_source_only": {"es": "Cambio solo entre años de la misma fuente.",
                         "en": "Change shown only between years of the same source."},
    "units_no_data": {"es": "{n} lugares sin datos", "en": "{n} places without data"},
    "skip_to_map": {"es": "Ir al mapa", "en": "Skip to map"},
}

SEX_KEYS = {"total": "sex_total", "female": "sex_female", "male": "sex_male", "unknown": "sex_unknown"}

OFFENSE_FALLBACK: dict[str, dict[str, str]] = {
    "homicide": {"es": "Homicidios", "en": "Homicides"},
    "femicide": {"es": "Femicidios", "en": "Femicides"},
    "robbery": {"es": "Robos", "en": "Robberies"},
    "theft": {"es": "Hurtos", "en": "Thefts"},
    "assault": {"es": "Asaltos", "en": "Assaults (robbery with violence)"},
    "vehicle_theft": {"es": "Robo de vehículos", "en": "Vehicle theft"},
    "theft_from_vehicle": {"es": "Tacha de vehículos", "en": "Theft from vehicles"},
    "extortion": {"es": "Extorsión", "en": "Extortion"},
    "injuries": {"es": "Lesiones", "en": "Injuries"},
    "sexual_violence": {"es": "Violencia sexual", "en": "Sexual violence"},
    "domestic_violence": {"es": "Violencia intrafamiliar", "en": "Domestic violence"},
    "violence_against_women": {"es": "Violencia contra la mujer", "en": "Violence against women"},
    "violent_death_women": {"es": "Muertes violentas de mujeres", "en": "Violent deaths of women"},
}


def t(key: str, lang: str, **params: object) -> str:
    """Label `key` in `lang` (es/en), formatted with `params`. Unknown key -> the key."""
    entry = TEXT.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["es"]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def prettify_code(code: str) -> str:
    """Readable fallback for a code without a label: 'vehicle_theft' -> 'Vehicle theft'."""
    s = str(code).replace("_", " ").strip()
    return s[:1].upper() + s[1:] if s else "—"


# ---- issue 5 part B: compare, reconciliation, small numbers, embeds ---------------------------------
TEXT.update({
    "small_n": {"es": "* Menos de 20 casos: tasa inestable", "en": "* Fewer than 20 cases: unstable rate"},
    "small_n_legend": {"es": "Borde azul: tasa con menos de 20 casos (inestable)",
                       "en": "Blue outline: rate based on fewer than 20 cases (unstable)"},
    "flag_small": {"es": "* <20 casos", "en": "* <20 cases"},
    "flag_tie": {"es": "empate", "en": "tie"},
    "flag_pooled": {"es": "agrupada {years}", "en": "pooled {years}"},
    "flag_col": {"es": "Nota", "en": "Note"},
    "pooled_line": {"es": "Tasa agrupada {years}: {count} casos en 3 años",
                    "en": "Pooled rate {years}: {count} cases in 3 years"},
    "tie_suffix": {"es": " (empate)", "en": " (tie)"},
    "pool_on": {"es": "Agrupar 3 años en lugares con menos de 20 casos",
                "en": "Pool 3 years for places with fewer than 20 cases"},
    "pool_off": {"es": "Ver tasas anuales (sin agrupar)", "en": "Show yearly rates (not pooled)"},
    "pool_active": {"es": "Lugares con menos de 20 casos: tasa de 3 años ({years}) donde hay datos de los 3 años.",
                    "en": "Places with fewer than 20 cases: 3-year rate ({years}) where all 3 years have data."},
    "pool_none": {"es": "Ningún lugar pequeño tiene los 3 años ({years}) con casos y población: no se agrupa.",
                  "en": "No small place has all 3 years ({years}) with cases and population: nothing pooled."},
    "nav_compare": {"es": "Comparar lugares", "en": "Compare places"},
    "nav_reconcile": {"es": "Cifras por fuente", "en": "Figures by source"},
    "nav_embed": {"es": "Insertar", "en": "Embed"},
    "nav_back": {"es": "← Volver al mapa", "en": "← Back to the map"},
    "compare_title": {"es": "Comparar lugares", "en": "Compare places"},
    "compare_places": {"es": "Lugares (escriba para buscar)", "en": "Places (type to search)"},
    "compare_base": {"es": "Índice (año base = 100)", "en": "Index (base year = 100)"},
    "compare_base_none": {"es": "Sin índice (valores)", "en": "No index (values)"},
    "compare_index_axis": {"es": "Índice, {year} = 100", "en": "Index, {year} = 100"},
    "compare_empty": {"es": "Elija uno o más lugares para comparar.", "en": "Choose one or more places to compare."},
    "compare_csv": {"es": "Descargar CSV", "en": "Download CSV"},
    "compare_csv_title": {"es": "Las cifras de estos lugares, año por año, con su fuente",
                          "en": "These places' figures, year by year, with their source"},
    # dcc.Dropdown's own words (its `labels`; English by default): the compare page's searchable list of places
    "dd_select_all": {"es": "Seleccionar todo", "en": "Select all"},
    "dd_deselect_all": {"es": "Quitar todo", "en": "Deselect all"},
    "dd_selected_count": {"es": "{num_selected} seleccionados", "en": "{num_selected} selected"},
    "dd_search": {"es": "Buscar", "en": "Search"},
    "dd_clear_search": {"es": "Borrar la búsqueda", "en": "Clear search"},
    "dd_clear_selection": {"es": "Quitar la selección", "en": "Clear selection"},
    "dd_no_options_found": {"es": "Ningún lugar coincide", "en": "No place matches"},
    "compare_dropped": {"es": "Se omitieron identificadores desconocidos o sin datos: {ids}.",
                        "en": "Unknown identifiers or places without data were left out: {ids}."},
    "compare_too_many": {"es": "Se muestran como máximo {n} lugares.", "en": "At most {n} places are shown."},
    "compare_no_base": {"es": "{place}: sin dato en {year}; no se puede indexar y no se muestra.",
                        "en": "{place}: no value in {year}; cannot be indexed and is not shown."},
    "compare_mixed": {"es": "{place} combina fuentes: {sources}.", "en": "{place} combines sources: {sources}."},
    "compare_base_bad": {"es": "Año base «{value}» no válido; se muestran los valores.",
                         "en": "Base year “{value}” is not valid; showing values."},
    "level_name_0": {"es": "país", "en": "country"},
    "level_name_1": {"es": "depto./provincia", "en": "dept./province"},
    "level_name_2": {"es": "municipio/cantón", "en": "municipality/canton"},
    "year_col": {"es": "Año", "en": "Year"},
    "reconcile_title": {"es": "Cifras por fuente: cuando las instituciones no coinciden",
                        "en": "Figures by source: when institutions disagree"},
    "reconcile_intro": {"es": "Varias instituciones publican cifras distintas para el mismo lugar y año. "
                              "Aquí se muestran lado a lado, con la diferencia respecto a la fuente que usa el mapa.",
                        "en": "Several institutions publish different figures for the same place and year. "
                              "They are shown side by side, with the gap to the source the map uses."},
    "reconcile_case": {"es": "Caso", "en": "Case"},
    "reconcile_map_uses": {"es": "El mapa usa", "en": "The map uses"},
    "reconcile_rule": {"es": "Regla declarada en geo/sources.yaml: gana la fuente de menor «priority», por medida "
                             "(tasa y conteo por separado).",
                       "en": "Rule declared in geo/sources.yaml: the source with the lowest “priority” wins, per "
                             "measure (rate and count separately)."},
    "reconcile_tie": {"es": "Empate de prioridad ({prio}) entre {n} fuentes: el mapa toma la primera por "
                            "identificador; no es una elección editorial.",
                      "en": "Priority tie ({prio}) among {n} sources: the map takes the first by identifier; "
                            "this is not an editorial choice."},
    "reconcile_count": {"es": "Casos", "en": "Cases"},
    "reconcile_rate": {"es": "Tasa por 100,000", "en": "Rate per 100,000"},
    "reconcile_gap_count": {"es": "Diferencia en casos vs mapa", "en": "Gap in cases vs map"},
    "reconcile_gap_rate": {"es": "Diferencia en tasa vs mapa", "en": "Gap in rate vs map"},
    "reconcile_publisher": {"es": "Institución", "en": "Publisher"},
    "reconcile_citation": {"es": "Cita y enlace", "en": "Citation and link"},
    "reconcile_priority": {"es": "Prioridad", "en": "Priority"},
    "reconcile_map_mark": {"es": "usada en el mapa", "en": "used on the map"},
    "reconcile_computed": {"es": "calculada: casos ÷ población ({source}) × 100,000",
                           "en": "computed: cases ÷ population ({source}) × 100,000"},
    "reconcile_notes": {"es": "Notas de la fuente", "en": "Source notes"},
    "reconcile_other": {"es": "Otros casos con más de una fuente (p. ej. tasa UNODC y conteo nacional)",
                        "en": "Other cases with more than one source (e.g. UNODC rate and national count)"},
    "reconcile_none": {"es": "Sin cifras de varias fuentes para esta selección.",
                       "en": "No figures from several sources for this selection."},
    "reconcile_chart": {"es": "Casos según cada fuente", "en": "Cases according to each source"},
    "reconcile_rate_chart": {"es": "Tasa según cada fuente", "en": "Rate according to each source"},
    "embed_title": {"es": "Insertar esta vista", "en": "Embed this view"},
    "embed_help": {"es": "Copie este código en su artículo. Muestra la vista actual sin filtros, con la fuente y un "
                         "enlace a la vista completa.",
                   "en": "Copy this code into your article. It shows the current view without filters, with its "
                         "source and a link to the full view."},
    "embed_chart": {"es": "Gráfico", "en": "Chart"},
    "embed_map": {"es": "Mapa", "en": "Map"},
    "embed_trend": {"es": "Tendencia", "en": "Trend"},
    "embed_open": {"es": "Ver completo en el Observatorio ↗", "en": "Open in the Observatory ↗"},
    "embed_preview": {"es": "Vista previa", "en": "Preview"},
})


# ---- issue 5 part A: data version pinned by a link (&v=), methodology and API links -----------------
TEXT.update({
    "pin_changed": {"es": "Esta cifra cambió de {old} a {new} desde que se creó este enlace "
                          "(datos versión {pinned} → {current}).",
                    "en": "This figure changed from {old} to {new} since this link was made "
                          "(data version {pinned} → {current})."},
    "pin_same": {"es": "Los datos se actualizaron desde que se creó este enlace (versión {pinned} → {current}); "
                       "esta cifra no cambió.",
                 "en": "The data was updated since this link was made (version {pinned} → {current}); "
                       "this figure did not change."},
    "pin_unknown": {"es": "La versión de datos «{pinned}» de este enlace no está disponible; se muestran los datos "
                          "de la versión {current}.",
                    "en": "The data version “{pinned}” of this link is not available; showing data version "
                          "{current}."},
    "pin_link": {"es": "Enlace fijo a esta versión", "en": "Link pinned to this version"},
    "pin_link_title": {"es": "Este enlace dirá si la cifra cambia en una versión futura de los datos",
                       "en": "This link will tell if the figure changes in a future data version"},
    "methodology": {"es": "Metodología", "en": "Methodology"},
    "api": {"es": "API", "en": "API"},
})


DROPDOWN_LABELS = ("select_all", "deselect_all", "selected_count", "search", "clear_search", "clear_selection",
                   "no_options_found")


def dropdown_labels(lang: str) -> dict[str, str]:
    """dcc.Dropdown's `labels` in `lang` (its defaults are English); `{num_selected}` is filled in by the browser."""
    return {k: t("dd_" + k, lang) for k in DROPDOWN_LABELS}
