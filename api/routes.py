"""The /api/v1/ routes: validation, filtering, pagination, JSON or CSV.

Every list endpoint answers ``{"version", "total", "limit", "offset", "next", "data": [...]}`` (JSON) or the rows as
UTF-8 CSV (``?format=csv``; ``X-Total-Count`` and a ``Link: <...>; rel="next"`` header). Any unknown parameter,
repeated parameter or unknown value is a 400 with a JSON message naming the parameter; nothing here raises a 500.
"""
from __future__ import annotations

import io
import math
import re
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import orjson
import pandas as pd
from flask import Blueprint, Flask, Response, current_app, request

from core import query

PREFIX = "/api/v1"
blueprint = Blueprint("api_v1", __name__, url_prefix=PREFIX)

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000
MAX_OFFSET = 10**9
MAX_VALUE_CHARS = 400
MAX_ITEMS = 100
SEXES = ("total", "female", "male", "unknown")
LEVELS = ("0", "1", "2")
KINDS = ("facts", "population")
_YEAR = re.compile(r"^[0-9]{4}$")
_INT = re.compile(r"^[0-9]{1,10}$")

PAGING = ("format", "limit", "offset")
# The query parameters of each endpoint (tests check the OpenAPI document declares exactly these).
PARAMS: dict[str, tuple[str, ...]] = {
    "units": ("country", "level", "geometry") + PAGING,
    "offenses": PAGING,
    "sources": ("kind",) + PAGING,
    "coverage": ("country", "level", "offense", "source") + PAGING,
    "facts": ("country", "unit", "level", "offense", "year", "year_from", "year_to", "sex", "age", "source")
    + PAGING,
    "version": ("format",),
}
UNIT_FIELDS = ["unit_id", "level", "country", "parent_id", "name", "name_en"]
FACT_FIELDS = ["unit_id", "unit_name", "country", "level", "year", "month", "offense", "sex", "age_group", "count",
               "rate", "source_id", "source_citation"]
SOURCE_FIELDS = ["source_id", "kind", "priority", "publisher", "title", "address", "licence", "citation", "notes"]
COVERAGE_FIELDS = ["country", "level", "offense", "source_id", "years", "sexes", "age_groups", "measures",
                   "units_with_data"]
OFFENSE_FIELDS = ["code", "label_es", "label_en", "description", "in_data"]
VERSION_FIELDS = ["id", "date", "content_hash", "label", "previous"]


class BadRequest(Exception):
    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


def init_app(server: Flask, data_dir: str | Path) -> None:
    """Register the API (and remember which data folder it serves) on a Flask server."""
    server.config["OBS_API_DATA_DIR"] = str(Path(data_dir).resolve())
    server.register_blueprint(blueprint)


def _ds() -> query.Dataset:
    return query.get_dataset(current_app.config.get("OBS_API_DATA_DIR"))


# ---- responses ---------------------------------------------------------------------------------------
def _json(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json", headers=headers or {})


def _error(status: int, message: str, param: str | None = None) -> Response:
    body = {"error": message, "status": status}
    if param is not None:
        body["parameter"] = param
    return _json(body, status, {"Cache-Control": "no-store"})


@blueprint.after_request
def _cors(resp: Response) -> Response:
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    resp.headers["Access-Control-Expose-Headers"] = "Link, X-Total-Count, X-Data-Version"
    resp.headers.setdefault("Cache-Control", "public, max-age=300")
    return resp


@blueprint.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> Response:
    return _error(400, exc.message, exc.param)


@blueprint.errorhandler(query.DataError)
def _no_data(exc: query.DataError) -> Response:
    return _error(503, f"data not available: {exc}")


def _clean(v: object) -> object:
    """A JSON-safe scalar: NaN/NA -> None, numpy -> Python, integral counts stay floats only when fractional."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def _records(df: pd.DataFrame, int_cols: tuple[str, ...] = ()) -> list[dict]:
    """Rows as JSON-safe dicts, column by column (NaN/NA -> None; whole numbers in `int_cols` -> int)."""
    columns: dict[str, list] = {}
    for c in df.columns:
        s = df[c]
        if c in int_cols or s.dtype.kind == "f":
            arr = s.to_numpy(dtype="float64", na_value=np.nan).tolist()
            if c in int_cols:
                columns[c] = [None if x != x else (int(x) if x.is_integer() else x) for x in arr]
            else:
                columns[c] = [None if x != x else x for x in arr]
        else:
            columns[c] = [_clean(x) for x in s.tolist()]
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())]


def _csv(df: pd.DataFrame, name: str, int_cols: tuple[str, ...] = (), headers: dict | None = None) -> Response:
    out = df.copy()
    for c in out.columns:
        if c in int_cols:
            out[c] = pd.array(out[c].to_numpy(dtype="float64", na_value=np.nan), dtype="Float64").round().astype(
                "Int64") if len(out) else out[c]
        elif out[c].map(lambda x: isinstance(x, (list, tuple))).any():
            out[c] = out[c].map(lambda x: " ".join(str(i) for i in x) if isinstance(x, (list, tuple)) else x)
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    h = {"Content-Disposition": f'inline; filename="observatorio-{name}.csv"'}
    h.update(headers or {})
    return Response(buf.getvalue().encode("utf-8"), mimetype="text/csv", headers=h)


def _page(df: pd.DataFrame, endpoint: str, args: dict, int_cols: tuple[str, ...] = ()) -> Response:
    """One page of `df` (limit/offset) as JSON (with total and next link) or CSV."""
    ds = _ds()
    version = query.version_info(ds)["id"]
    limit, offset = args["limit"], args["offset"]
    total = int(len(df))
    part = df.iloc[offset: offset + limit]
    nxt = None
    if offset + limit < total:
        q = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "limit")]
        q += [("limit", str(limit)), ("offset", str(offset + limit))]
        nxt = f"{PREFIX}/{endpoint}?{urlencode(q)}"
    headers = {"X-Total-Count": str(total), "X-Data-Version": version}
    if nxt:
        headers["Link"] = f'<{nxt}>; rel="next"'
    if args["format"] == "csv":
        return _csv(part, endpoint, int_cols, headers)
    return _json({"version": version, "total": total, "limit": limit, "offset": offset, "next": nxt,
                  "data": _records(part, int_cols)}, headers=headers)


# ---- validation --------------------------------------------------------------------------------------
def _args(endpoint: str) -> dict[str, str]:
    """The request's parameters as single strings; unknown or repeated parameters are a 400."""
    allowed = PARAMS[endpoint]
    out: dict[str, str] = {}
    for key in request.args.keys():
        if key not in allowed:
            raise BadRequest(key[:60], f"unknown parameter '{key[:60]}'; this endpoint accepts: {', '.join(allowed)}")
        values = request.args.getlist(key)
        if len(values) != 1:
            raise BadRequest(key, f"parameter '{key}' given more than once; separate several values with commas")
        value = values[0].strip()
        if len(value) > MAX_VALUE_CHARS:
            raise BadRequest(key, f"parameter '{key}' is longer than {MAX_VALUE_CHARS} characters")
        if value == "":
            raise BadRequest(key, f"parameter '{key}' is empty")
        out[key] = value
    return out


def _show(value: str) -> str:
    s = value if len(value) <= 40 else value[:39] + "…"
    return s.encode("unicode_escape").decode("ascii") if not s.isprintable() else s


def _list(raw: dict, param: str, known, transform=lambda s: s) -> list[str] | None:
    """A comma-separated list of known values (None when the parameter is absent)."""
    if param not in raw:
        return None
    items = [transform(x.strip()) for x in raw[param].split(",")]
    if len(items) > MAX_ITEMS:
        raise BadRequest(param, f"parameter '{param}' has more than {MAX_ITEMS} values")
    for item in items:
        if item == "" or item not in known:
            raise BadRequest(param, f"unknown value '{_show(item)}' for parameter '{param}'")
    return list(dict.fromkeys(items))


def _int(raw: dict, param: str, default: int, lo: int, hi: int) -> int:
    if param not in raw:
        return default
    v = raw[param]
    if not _INT.match(v) or not lo <= int(v) <= hi:
        raise BadRequest(param, f"parameter '{param}' must be a whole number from {lo} to {hi}")
    return int(v)


def _paging(raw: dict) -> dict:
    fmt = raw.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("format", "parameter 'format' must be 'json' or 'csv'")
    return {"format": fmt, "limit": _int(raw, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
            "offset": _int(raw, "offset", 0, 0, MAX_OFFSET)}


def _year(raw: dict, param: str) -> int | None:
    if param not in raw:
        return None
    v = raw[param]
    if not _YEAR.match(v) or not 1900 <= int(v) <= 2100:
        raise BadRequest(param, f"parameter '{param}' must be a year (four digits, 1900–2100)")
    return int(v)


def _offense_codes(ds: query.Dataset) -> set[str]:
    return {o["code"] for o in query.offense_vocabulary() if o.get("code")} | set(ds.offenses) | set(
        query.facts_table(ds)["offense"].unique())


def _age_codes(ds: query.Dataset) -> set[str]:
    return set(ds.age_labels) | set(query.facts_table(ds)["age_group"].unique()) | {"total"}


# ---- endpoints ---------------------------------------------------------------------------------------
@blueprint.get("/units")
def units():
    raw = _args("units")
    paging = _paging(raw)
    ds = _ds()
    countries = _list(raw, "country", set(ds.countries), str.upper)
    levels = _list(raw, "level", LEVELS)
    geometry = raw.get("geometry", "0")
    if geometry not in ("0", "1", "true", "false"):
        raise BadRequest("geometry", "parameter 'geometry' must be 0 or 1")
    with_geo = geometry in ("1", "true")
    df = query.units_table(ds, geometry=with_geo)
    mask = np.ones(len(df), dtype=bool)
    if countries is not None:
        mask &= df["country"].isin(countries).to_numpy()
    if levels is not None:
        mask &= df["level"].isin([int(x) for x in levels]).to_numpy()
    df = df[mask]
    if with_geo and paging["format"] == "json":
        df = df.assign(geometry=[orjson.Fragment(g) if isinstance(g, str) else None for g in df["geometry"]])
    return _page(df, "units", paging)


@blueprint.get("/offenses")
def offenses():
    raw = _args("offenses")
    paging = _paging(raw)
    ds = _ds()
    vocab = query.offense_vocabulary()
    in_data = set(ds.offenses)
    rows = [{**{k: o.get(k) for k in OFFENSE_FIELDS[:-1]}, "in_data": o.get("code") in in_data} for o in vocab]
    known = {r["code"] for r in rows}
    rows += [{"code": c, "label_es": ds.offense_label(c, "es"), "label_en": ds.offense_label(c, "en"),
              "description": None, "in_data": True} for c in ds.offenses if c not in known]
    return _page(pd.DataFrame(rows, columns=OFFENSE_FIELDS), "offenses", paging)


@blueprint.get("/sources")
def sources():
    raw = _args("sources")
    paging = _paging(raw)
    ds = _ds()
    kinds = _list(raw, "kind", KINDS)
    rows = [{k: ds.sources[s].get(k) for k in SOURCE_FIELDS} for s in sorted(ds.sources)]
    df = pd.DataFrame(rows, columns=SOURCE_FIELDS)
    if kinds is not None:
        df = df[df["kind"].isin(kinds)]
    return _page(df, "sources", paging, int_cols=("priority",))


@blueprint.get("/coverage")
def coverage():
    raw = _args("coverage")
    paging = _paging(raw)
    ds = _ds()
    countries = _list(raw, "country", set(ds.countries), str.upper)
    levels = _list(raw, "level", LEVELS)
    offs = _list(raw, "offense", _offense_codes(ds))
    srcs = _list(raw, "source", set(ds.sources))
    rows = []
    for c in query.coverage_table(ds):
        if countries is not None and c.get("country") not in countries:
            continue
        if levels is not None and str(c.get("level")) not in levels:
            continue
        if offs is not None and c.get("offense") not in offs:
            continue
        if srcs is not None and c.get("source_id") not in srcs:
            continue
        rows.append({k: c.get(k) for k in COVERAGE_FIELDS})
    return _page(pd.DataFrame(rows, columns=COVERAGE_FIELDS), "coverage", paging,
                 int_cols=("level", "units_with_data"))


@blueprint.get("/facts")
def facts():
    raw = _args("facts")
    paging = _paging(raw)
    ds = _ds()
    df = query.facts_table(ds)
    countries = _list(raw, "country", set(ds.countries), str.upper)
    unit_ids = _list(raw, "unit", set(ds.units.index))
    levels = _list(raw, "level", LEVELS)
    offs = _list(raw, "offense", _offense_codes(ds))
    sexes = _list(raw, "sex", SEXES)
    ages = _list(raw, "age", _age_codes(ds))
    srcs = _list(raw, "source", set(ds.sources))
    year, y0, y1 = _year(raw, "year"), _year(raw, "year_from"), _year(raw, "year_to")
    if year is not None and (y0 is not None or y1 is not None):
        raise BadRequest("year", "use either 'year' or 'year_from'/'year_to', not both")
    if y0 is not None and y1 is not None and y0 > y1:
        raise BadRequest("year_from", "'year_from' is after 'year_to'")
    mask = np.ones(len(df), dtype=bool)
    for col, values in (("country", countries), ("unit_id", unit_ids), ("offense", offs), ("sex", sexes),
                        ("age_group", ages), ("source_id", srcs)):
        if values is not None:
            mask &= df[col].isin(values).to_numpy()
    if levels is not None:
        mask &= df["level"].isin([float(x) for x in levels]).to_numpy()
    if year is not None:
        mask &= (df["year"] == year).to_numpy()
    if y0 is not None:
        mask &= (df["year"] >= y0).to_numpy()
    if y1 is not None:
        mask &= (df["year"] <= y1).to_numpy()
    return _page(df[mask][FACT_FIELDS], "facts", paging, int_cols=("level", "month", "count"))


@blueprint.get("/version")
def version():
    raw = _args("version")
    fmt = raw.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("format", "parameter 'format' must be 'json' or 'csv'")
    ds = _ds()
    info = {**query.version_info(ds), "previous": sorted(query.previous_versions(ds))}
    if fmt == "csv":
        return _csv(pd.DataFrame([{**info, "previous": " ".join(info["previous"])}], columns=VERSION_FIELDS),
                    "version")
    return _json(info, headers={"X-Data-Version": info["id"], "Cache-Control": "public, max-age=60"})


@blueprint.get("/openapi.json")
def openapi():
    from api.openapi import document
    return _json(document(), headers={"Cache-Control": "public, max-age=3600"})


@blueprint.get("/")
def index():
    from api.page import render
    return Response(render(), mimetype="text/html", headers={"Cache-Control": "public, max-age=3600"})


@blueprint.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str):
    return _error(404, "no such endpoint; see /api/v1/openapi.json")
