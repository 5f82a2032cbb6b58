"""Observatorio: the dashboard. `python app.py` runs a local server; gunicorn serves `app:server`.

Routes besides Dash: /geo/level-<n>.json?country=ISO3|region (GeoJSON, once per level, cacheable),
/download/view.csv?<view parameters> (the numbers behind a view), /healthz.
"""
from __future__ import annotations

import logging
from pathlib import Path

import dash
import orjson
from flask import Response, request

import api
import callbacks  # noqa: F401  (registers the callbacks)
from core import query
from core.cache import init_cache
from core.controller import sync
from core.download import filename, view_csv
from layouts.main import shell
from settings import SETTINGS, Settings
from web import methodology

log = logging.getLogger("observatorio")
ASSETS = Path(__file__).resolve().parent / "assets"


def _csp(app: dash.Dash, frame_ancestors: str) -> str:
    try:
        hashes = " ".join(app.csp_hashes())
    except Exception:  # pragma: no cover - older dash
        hashes = "'unsafe-inline'"
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {hashes} 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def create_app(settings: Settings = SETTINGS) -> dash.Dash:
    query.set_default_data_dir(settings.data_dir)
    app = dash.Dash(
        __name__,
        title="Observatorio de Seguridad Ciudadana",
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        serve_locally=True,
        compress=True,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "description", "content": "Estadísticas oficiales de seguridad ciudadana"}],
    )
    app.layout = shell()
    server = app.server
    server.config["COMPRESS_MIMETYPES"] = ["text/html", "text/css", "text/csv", "application/json",
                                           "application/javascript", "text/javascript"]
    server.config["COMPRESS_MIN_SIZE"] = 500
    server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 86400
    init_cache(server, settings.redis_url, settings.cache_timeout)
    api.init_app(server, settings.data_dir)           # /api/v1/ (issue 5)
    methodology.init_app(server, settings.data_dir)   # /metodologia, /methodology
    try:
        query.get_dataset(settings.data_dir)   # load once (shared by workers with --preload)
    except query.DataError as exc:
        log.error("OBSERVATORIO: processed data not available: %s", exc)

    csp_holder: dict[str, str] = {}

    @server.after_request
    def security_headers(resp: Response) -> Response:
        if "csp" not in csp_holder:
            csp_holder["csp"] = _csp(app, settings.frame_ancestors)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        resp.headers["Content-Security-Policy"] = csp_holder["csp"]
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN") if settings.frame_ancestors == "'self'" else None
        return resp

    @server.route("/healthz")
    def healthz():
        try:
            ds = query.get_dataset(settings.data_dir)
            body, status = {"status": "ok", "data_version": ds.version}, 200
        except query.DataError as exc:
            body, status = {"status": "error", "error": str(exc)}, 503
        return Response(orjson.dumps(body), status=status, mimetype="application/json",
                        headers={"Cache-Control": "no-store"})

    @server.route("/geo/level-<int:level>.json")
    def geo(level: int):
        scope = request.args.get("country", query.REGION, type=str)
        scope = scope.upper() if scope.lower() != query.REGION else query.REGION
        try:
            blob = query.geojson(query.get_dataset(settings.data_dir), level, scope)
        except query.DataError:
            blob = None
        if blob is None:
            return Response(orjson.dumps({"error": "unknown level or country"}), status=404,
                            mimetype="application/json")
        headers = {"Cache-Control": "public, max-age=86400", "ETag": f'"{blob.etag}"', "Vary": "Accept-Encoding"}
        if request.if_none_match and blob.etag in request.if_none_match:
            return Response(status=304, headers=headers)
        if "gzip" in (request.headers.get("Accept-Encoding") or ""):
            headers["Content-Encoding"] = "gzip"
            return Response(blob.gz, mimetype="application/geo+json", headers=headers)
        return Response(blob.body, mimetype="application/geo+json", headers=headers)

    @server.route("/download/view.csv")
    def download_csv():
        try:
            ds = query.get_dataset(settings.data_dir)
        except query.DataError as exc:
            return Response(f"data not available: {exc}", status=503, mimetype="text/plain")
        qs = request.query_string.decode("utf-8", errors="replace")
        res = sync(ds, None, qs)
        body = view_csv(ds, res.state)
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{filename(res.state)}"',
            "Cache-Control": "public, max-age=3600"})

    @server.errorhandler(500)
    def server_error(_exc):  # never a traceback page
        return Response(orjson.dumps({"error": "internal error"}), status=500, mimetype="application/json")

    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=SETTINGS.host, port=SETTINGS.port, debug=SETTINGS.debug)
