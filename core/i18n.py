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
    "rate": {"es": "Tasa por 100 000 hab.", "en": "Rate per 100,000"},
    "count": {"es": "Número de casos", "en": "Number of cases"},
    "rate_short": {"es": "Tasa", "en": "Rate"},
    "count_short": {"es": "Casos", "en": "Cases"},
    "per_100k": {"es": "por 100 000 hab.", "en": "per 100,000 people"},
    "cases": {"es": "casos", "en": "cases"},
    "sex_total": {"es": "Total", "en": "Total"},
    "sex_female": {"es": "Mujeres", "en": "Women"},
    "sex_male": {"es": "Hombres", "en": "Men"},
    "sex_unknown": {"es": "Sin dato de sexo", "en": "Sex unknown"},
    "age_total": {"es": "Todas las edades", "en": "All ages"},
    "no_data": {"es": "Sin datos", "en": "No data"},
    "no_data_country": {"es": "sin datos", "en": "no data"},
    "no_data_level": {"es": "Sin datos publicados a este nivel", "en": "No data published at this level"},
    "no_data_level_detail": {"es": "{place}: sin datos publicados a este nivel para esta selección. "
                                   "Pruebe otro nivel, delito o año.",
                             "en": "{place}: no data published at this level for this selection. "
                                   "Try another level, offence or year."},
    "no_data_some": {"es": "Sin datos a este nivel: {places}.", "en": "No data at this level: {places}."},
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
    "region_partial": {"es": "Cifra regional solo en años con datos de todos los países ({years}).",
                       "en": "Regional figure only for years with data from every country ({years})."},
    "region_value_missing": {"es": "Sin cifra regional para {year}", "en": "No regional figure for {year}"},
    "region_headline_hint": {"es": "Faltan países con datos; elija un país en el mapa.",
                             "en": "Some countries have no data; choose a country on the map."},
    "series_mixed": {"es": "La serie combina fuentes: {sources}.", "en": "The series combines sources: {sources}."},
    "series_empty": {"es": "Sin serie para este lugar.", "en": "No series for this place."},
    "note_invalid": {"es": "El valor «{value}» no es válido para «{param}»; se muestra {default}.",
                     "en": "The value “{value}” is not valid for “{param}”; showing {default}."},
    "note_repeated": {"es": "El parámetro «{param}» aparece varias veces; se muestra {default}.",
                      "en": "The parameter “{param}” appears more than once; showing {default}."},
    "note_fallback": {"es": "Sin datos de {what} para esta selección; se muestra {default}.",
                      "en": "No data for {what} in this selection; showing {default}."},
    "note_unit_country": {"es": "El lugar elegido pertenece a {country}; se muestra ese país.",
                          "en": "The chosen place belongs to {country}; showing that country."},
    "footer_source": {"es": "Fuente", "en": "Source"},
    "footer_about": {"es": "Cifras oficiales publicadas; los vacíos son datos no publicados, no ceros.",
                     "en": "Published official figures; gaps are unpublished data, not zeros."},
    "breadcrumb": {"es": "Ubicación", "en": "Location"},
    "switch_lang": {"es": "English", "en": "Español"},
    "switch_lang_label": {"es": "Read in English", "en": "Ver en español"},
    "selected": {"es": "Seleccionado", "en": "Selected"},
    "legend_title_rate": {"es": "Tasa por 100 000 hab.", "en": "Rate per 100,000"},
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
