"""The OpenAPI 3.0 document of /api/v1/, written by hand (tests check that every route and parameter is in it and
that the answers conform to it). `x-summary-es` / `x-description-es` carry the Spanish text of the human page."""
from __future__ import annotations

import copy

from api.routes import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

_NULL_STR = {"type": "string", "nullable": True}
_NULL_NUM = {"type": "number", "nullable": True}
_NULL_INT = {"type": "integer", "nullable": True}
_CSV = {"text/csv": {"schema": {"type": "string"}}}

PARAMETERS = {
    "format": {"name": "format", "in": "query", "required": False,
               "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
               "description": "Response format: JSON (default) or UTF-8 CSV.",
               "x-description-es": "Formato: JSON (predeterminado) o CSV UTF-8."},
    "limit": {"name": "limit", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
              "description": f"Rows per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
              "x-description-es": f"Filas por página (predeterminado {DEFAULT_LIMIT}, máximo {MAX_LIMIT})."},
    "offset": {"name": "offset", "in": "query", "required": False,
               "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
               "description": "Rows to skip (the `next` link gives the following page).",
               "x-description-es": "Filas que se omiten (el enlace `next` da la página siguiente)."},
    "country": {"name": "country", "in": "query", "required": False,
                "schema": {"type": "string", "pattern": "^[A-Za-z]{3}(,[A-Za-z]{3})*$"}, "example": "CRI",
                "description": "ISO 3166-1 alpha-3 code(s), comma-separated (BLZ, CRI, DOM, GTM, HND, NIC, PAN, SLV).",
                "x-description-es": "Código(s) ISO 3166-1 alfa-3 separados por comas."},
    "level": {"name": "level", "in": "query", "required": False,
              "schema": {"type": "string", "pattern": "^[0-2](,[0-2])*$"}, "example": "1",
              "description": "0 country, 1 department/province, 2 municipality/canton (comma-separated).",
              "x-description-es": "0 país, 1 departamento/provincia, 2 municipio/cantón (separados por comas)."},
    "geometry": {"name": "geometry", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["0", "1", "true", "false"], "default": "0"},
                 "description": "1 adds each unit's GeoJSON geometry (EPSG:4326, 4 decimals).",
                 "x-description-es": "1 añade la geometría GeoJSON de cada unidad (EPSG:4326, 4 decimales)."},
    "kind": {"name": "kind", "in": "query", "required": False,
             "schema": {"type": "string", "pattern": "^(facts|population)(,(facts|population))*$"},
             "description": "facts or population sources.", "x-description-es": "Fuentes de hechos o de población."},
    "offense": {"name": "offense", "in": "query", "required": False,
                "schema": {"type": "string"}, "example": "homicide",
                "description": "Offence code(s) of /api/v1/offenses, comma-separated.",
                "x-description-es": "Código(s) de delito de /api/v1/offenses, separados por comas."},
    "source": {"name": "source", "in": "query", "required": False, "schema": {"type": "string"},
               "example": "unodc_homicide_rate",
               "description": "source_id(s) of /api/v1/sources, comma-separated.",
               "x-description-es": "source_id de /api/v1/sources, separados por comas."},
    "unit": {"name": "unit", "in": "query", "required": False, "schema": {"type": "string"}, "example": "CR-SJ",
             "description": "unit_id(s) of /api/v1/units, comma-separated.",
             "x-description-es": "unit_id de /api/v1/units, separados por comas."},
    "year": {"name": "year", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1900, "maximum": 2100}, "example": 2023,
             "description": "One calendar year (not together with year_from/year_to).",
             "x-description-es": "Un año (no junto con year_from/year_to)."},
    "year_from": {"name": "year_from", "in": "query", "required": False,
                  "schema": {"type": "integer", "minimum": 1900, "maximum": 2100},
                  "description": "First year (inclusive).", "x-description-es": "Primer año (incluido)."},
    "year_to": {"name": "year_to", "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 1900, "maximum": 2100},
                "description": "Last year (inclusive).", "x-description-es": "Último año (incluido)."},
    "sex": {"name": "sex", "in": "query", "required": False,
            "schema": {"type": "string", "pattern": "^(total|female|male|unknown)(,(total|female|male|unknown))*$"},
            "description": "total, female, male, unknown (comma-separated).",
            "x-description-es": "total, female (mujeres), male (hombres), unknown (sin dato)."},
    "age": {"name": "age", "in": "query", "required": False, "schema": {"type": "string"}, "example": "total",
            "description": "total or age-group code(s) (e.g. 15-19), comma-separated.",
            "x-description-es": "total o código(s) de grupo de edad (p. ej. 15-19), separados por comas."},
}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error", "status"], "properties": {
        "error": {"type": "string"}, "status": {"type": "integer"}, "parameter": {"type": "string"}}},
    "Unit": {"type": "object", "required": ["unit_id", "level", "country", "parent_id", "name", "name_en"],
             "properties": {"unit_id": {"type": "string"}, "level": {"type": "integer", "enum": [0, 1, 2]},
                            "country": {"type": "string"}, "parent_id": _NULL_STR, "name": {"type": "string"},
                            "name_en": _NULL_STR,
                            "geometry": {"type": "object", "nullable": True,
                                         "description": "GeoJSON (Multi)Polygon, only with geometry=1"}}},
    "Offense": {"type": "object", "required": ["code", "label_es", "label_en", "description", "in_data"],
                "properties": {"code": {"type": "string"}, "label_es": _NULL_STR, "label_en": _NULL_STR,
                               "description": _NULL_STR, "in_data": {"type": "boolean"}}},
    "Source": {"type": "object", "required": ["source_id", "kind", "priority", "publisher", "title", "address",
                                              "licence", "citation", "notes"],
               "properties": {"source_id": {"type": "string"}, "kind": {"type": "string",
                                                                        "enum": ["facts", "population"]},
                              "priority": {"type": "integer"}, "publisher": _NULL_STR, "title": _NULL_STR,
                              "address": _NULL_STR, "licence": _NULL_STR, "citation": _NULL_STR,
                              "notes": _NULL_STR}},
    "Coverage": {"type": "object", "required": ["country", "level", "offense", "source_id", "years"],
                 "properties": {"country": {"type": "string"}, "level": {"type": "integer"},
                                "offense": {"type": "string"}, "source_id": {"type": "string"},
                                "years": {"type": "array", "items": {"type": "integer"}},
                                "sexes": {"type": "array", "nullable": True, "items": {"type": "string"}},
                                "age_groups": {"type": "array", "nullable": True, "items": {"type": "string"}},
                                "measures": {"type": "array", "nullable": True, "items": {"type": "string"}},
                                "units_with_data": _NULL_INT}},
    "Fact": {"type": "object",
             "required": ["unit_id", "unit_name", "country", "level", "year", "month", "offense", "sex", "age_group",
                          "count", "rate", "source_id", "source_citation"],
             "properties": {"unit_id": {"type": "string"}, "unit_name": _NULL_STR, "country": _NULL_STR,
                            "level": _NULL_INT, "year": {"type": "integer"},
                            "month": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 12},
                            "offense": {"type": "string"}, "sex": {"type": "string"},
                            "age_group": {"type": "string"},
                            "count": {**_NULL_NUM, "description": "as the source counts them; null = not published"},
                            "rate": {**_NULL_NUM, "description": "per 100,000, only where the source publishes it"},
                            "source_id": {"type": "string"}, "source_citation": _NULL_STR}},
    "Version": {"type": "object", "required": ["id", "date", "content_hash", "label", "previous"],
                "properties": {"id": {"type": "string"}, "date": {"type": "string"},
                               "content_hash": {"type": "string"}, "label": {"type": "string"},
                               "previous": {"type": "array", "items": {"type": "string"}}}},
}


def _page_of(item: str) -> dict:
    return {"type": "object", "required": ["version", "total", "limit", "offset", "next", "data"],
            "properties": {"version": {"type": "string"}, "total": {"type": "integer", "minimum": 0},
                           "limit": {"type": "integer"}, "offset": {"type": "integer"},
                           "next": {"type": "string", "nullable": True},
                           "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}}}


def _op(summary: str, summary_es: str, description: str, params: tuple[str, ...], item: str | None,
        examples: list[str], paged: bool = True) -> dict:
    ok_schema = _page_of(item) if paged else {"$ref": f"#/components/schemas/{item}"}
    return {"get": {
        "summary": summary, "x-summary-es": summary_es, "description": description,
        "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
        "x-examples": examples,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok_schema}, **_CSV}},
            "400": {"description": "Invalid parameter (the message names it)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "503": {"description": "Processed data not available",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        }}}


PAGING = ("format", "limit", "offset")

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Observatorio de Seguridad Ciudadana — API pública / public API",
        "version": "1.0.0",
        "description": ("Read-only access to the published citizen-security figures of Central America and the "
                        "Dominican Republic behind the dashboard. Every fact carries its source; missing figures are "
                        "absent rows or nulls, never zeros. CORS is open for GET. Lists are paginated (`limit`, "
                        "`offset`, `next`). Errors are JSON with the parameter named."),
        "license": {"name": "Each source's own licence (see /api/v1/sources)"},
    },
    "servers": [{"url": "/"}],
    "paths": {
        "/api/v1/units": _op("Territorial units", "Unidades territoriales",
                             "Countries, departments/provinces and municipalities/cantons (no geometry unless "
                             "geometry=1).", ("country", "level", "geometry") + PAGING, "Unit",
                             ["/api/v1/units?country=CRI&level=1", "/api/v1/units?country=SLV&level=1&geometry=1"]),
        "/api/v1/offenses": _op("Offences", "Delitos", "Offence codes with Spanish and English labels and the "
                                "definition used.", PAGING, "Offense", ["/api/v1/offenses"]),
        "/api/v1/sources": _op("Sources", "Fuentes", "Every source: publisher, title, address, licence, citation, "
                               "notes (definition and known problems) and priority (lower wins on the map).",
                               ("kind",) + PAGING, "Source", ["/api/v1/sources", "/api/v1/sources?kind=population"]),
        "/api/v1/coverage": _op("Coverage", "Cobertura", "Country × level × offence × source: years, sexes, age "
                                "groups and measures with data (from the build report).",
                                ("country", "level", "offense", "source") + PAGING, "Coverage",
                                ["/api/v1/coverage?country=HND", "/api/v1/coverage?offense=femicide&format=csv"]),
        "/api/v1/facts": _op("Facts", "Cifras", "The published figures (one row per unit, year, month, offence, sex, "
                             "age group and source) with the unit's name and the source's citation. Where several "
                             "sources publish the same figure, all are returned side by side.",
                             ("country", "unit", "level", "offense", "year", "year_from", "year_to", "sex", "age",
                              "source") + PAGING, "Fact",
                             ["/api/v1/facts?country=CRI&level=1&offense=homicide&year=2023&sex=total&age=total",
                              "/api/v1/facts?unit=GTM&year_from=2015&year_to=2023&format=csv"]),
        "/api/v1/version": _op("Data version", "Versión de los datos", "The processed build's version (date and "
                               "content hash) and the previous version kept for comparison.", ("format",), "Version",
                               ["/api/v1/version"], paged=False),
    },
    "components": {"parameters": PARAMETERS, "schemas": SCHEMAS},
}


def document() -> dict:
    """A copy of the OpenAPI document (callers may not change the module's dict)."""
    return copy.deepcopy(DOCUMENT)
