"""Observatorio: the dashboard. `python app.py` runs a local server; gunicorn serves `app:server`.

Routes besides Dash: /geo/level-<n>.json?country=ISO3|region|detail (GeoJSON, once per level, cacheable),
/download/view.csv?<view parameters> (the numbers behind a view), /healthz.
"""
from __future__ import annotations

import logging
from pathlib import Path

import dash
import orjson
from flask import Response, g, request

import api
import callbacks  # noqa: F401  (registers the callbacks)
from core import figures, query, view
from core.cache import cache_get, cache_set, init_cache, write_pending, writes_after_answer
from core.controller import sync
from core.i18n import t
from core.compare import parse as compare_parse
from core.download import compare_csv, compare_filename, filename, trend_csv, view_csv
from layouts.main import shell
from settings import SETTINGS, Settings
from web import fast_json, methodology, page_scripts, splash
from web.preload import PageHints, link_header, page_hints
from web.response_cache import ResponseCache, StaticCache

log = logging.getLogger("observatorio")
ASSETS = Path(__file__).resolve().parent / "assets"


def plotly_bundle_address() -> str:
    """The app's plotly.js, as assets/00_plotly.js names it (relative to /assets/; the one place it is written)."""
    import re

    m = re.search(r"var BUNDLE = '([^']+)'", (ASSETS / "00_plotly.js").read_text(encoding="utf-8"))
    return m.group(1) if m else "vendor/plotly-obs.min.js"


def _csp(app: dash.Dash, frame_ancestors: str) -> str:
    try:
        hashes = " ".join(app.csp_hashes() + [splash.csp_hash()])   # the first screen's script (web/splash.py)
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


def _deps(items: object) -> list[tuple[str, str]] | None:
    """(id, property) of each declared input/state item of a callback body, or None if malformed."""
    if not isinstance(items, list):
        return None
    out = []
    for it in items:
        if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not isinstance(it.get("property"), str):
            return None
        out.append((it["id"], it["property"]))
    return out


def malformed_callback(app: dash.Dash, body: object) -> str | None:
    """Why a /_dash-update-component body cannot be dispatched (fixed texts, never the input), else None.

    The ids and properties must be those the callback declares; the values are free (the callbacks validate)."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    output = body.get("output")
    cb = app.callback_map.get(output) if isinstance(output, str) else None
    if cb is None:
        return "unknown output"
    for key in ("inputs", "state"):
        declared = [(d["id"], d["property"]) for d in cb.get(key, [])]
        if _deps(body.get(key, [])) != declared:
            return f"{key} do not match the callback"
    names = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    if _deps(outputs) != [tuple(n.rsplit(".", 1)) for n in names]:
        return "outputs do not match the callback"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    return None


_REGISTERED: list = []   # what `dash.callback` registered at import: (callback map, callback list, inline scripts)


def _hand_over_callbacks() -> None:
    """Dash moves the callbacks registered with `dash.callback` into the first app that sets up its server and
    empties the global registry. Give every app this process creates the same callbacks (the tests create
    several; import-time registration data, never request state)."""
    from dash import _callback

    if not _REGISTERED:
        _REGISTERED.append((dict(_callback.GLOBAL_CALLBACK_MAP), list(_callback.GLOBAL_CALLBACK_LIST),
                            list(_callback.GLOBAL_INLINE_SCRIPTS)))
    cmap, clist, scripts = _REGISTERED[0]
    _callback.GLOBAL_CALLBACK_MAP.clear()
    _callback.GLOBAL_CALLBACK_MAP.update(cmap)
    _callback.GLOBAL_CALLBACK_LIST[:] = clist
    _callback.GLOBAL_INLINE_SCRIPTS[:] = scripts


def accepts(coding: str) -> bool:
    """Whether the request's Accept-Encoding names `coding` (a token, not a substring: "brotli-ish" is not br)."""
    header = request.headers.get("Accept-Encoding") or ""
    return coding in [a.split(";")[0].strip().lower() for a in header.split(",")]


def create_app(settings: Settings = SETTINGS) -> dash.Dash:
    query.set_default_data_dir(settings.data_dir)
    app = dash.Dash(
        __name__,
        title="Observatorio de Seguridad Ciudadana",
        assets_folder=str(ASSETS),
        assets_path_ignore=["vendor"],   # served, not put in the page: assets/00_plotly.js loads plotly.js from it
        suppress_callback_exceptions=True,
        serve_locally=True,
        compress=True,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "description", "content": "Estadísticas oficiales de seguridad ciudadana"}],
    )
    app.layout = shell()
    # the no-data hatching's pattern, which the maps' grey areas are filled with (assets/02_app.css)
    app.index_string = app.index_string.replace("{%app_entry%}", figures.nodata_page_defs() + "{%app_entry%}", 1)
    server = app.server
    server.config["COMPRESS_MIMETYPES"] = ["text/html", "text/css", "text/csv", "application/json", "image/svg+xml",
                                           "application/javascript", "text/javascript"]
    server.config["COMPRESS_MIN_SIZE"] = 500
    server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 86400
    init_cache(server, settings.redis_url, settings.cache_timeout)
    page_scripts.install(app)   # the page without @babel/polyfill, only its regenerator runtime (web/page_scripts.py)

    def hints() -> PageHints:
        """The first view of the main page being served, read from its URL once per request (web/preload.py):
        its first screen and its preload hints both ask."""
        if "obs_page_hints" not in g:
            g.obs_page_hints = page_hints(query.get_dataset(settings.data_dir),
                                          request.query_string.decode("latin-1"))
        return g.obs_page_hints

    def first_screen() -> str | None:
        """The main page's first screen while its scripts arrive: the title and the view's map (web/splash.py)."""
        if request.path != "/":
            return None
        h = hints()
        if h.image is None:   # the presenter page, an embed
            return None
        return splash.splash_html(t("app_title", h.lang), h.image, t("splash_loading", h.lang), h.lang)

    splash.install(app, first_screen)
    fast_json.install()   # callback answers encoded without plotly's walk over every element (same bytes)
    api.init_app(server, settings.data_dir)           # /api/v1/ (issue 5)
    methodology.init_app(server, settings.data_dir)   # /metodologia, /methodology
    try:
        query.get_dataset(settings.data_dir)   # load once (shared by workers with --preload)
    except query.DataError as exc:
        log.error("OBSERVATORIO: processed data not available: %s", exc)

    # Dash registers the files it may serve in `_setup_server`, which the first request of a process runs; it
    # marks itself done before registering, so a concurrent request (the page's scripts, asked in parallel)
    # found nothing registered and got a 404. Run it here, before any request (and before the fork).
    _hand_over_callbacks()
    try:
        with server.test_request_context("/"):
            app._setup_server()
    except Exception as exc:  # pragma: no cover - then the first request runs it, as Dash does
        log.warning("could not set up the Dash server before serving: %s", exc)

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

    bundle = plotly_bundle_address()

    @server.after_request
    def preload_hints(resp: Response) -> Response:
        """Dash's page (the endpoints '/' and '/<path:path>'): plotly.js, and on the main view its map's static
        image and GeoJSON, start downloading with the HTML (web/preload.py)."""
        if request.method != "GET" or resp.status_code != 200 or resp.mimetype != "text/html" \
                or request.endpoint not in ("/", "/<path:path>"):
            return resp
        geo: list[str] = []
        image = None
        if request.path == "/":
            try:
                geo, image = hints().geo, hints().image
            except Exception as exc:   # a hint is never worth an error page
                log.warning("no GeoJSON preload for %r: %s", request.query_string[:200], exc)
        resp.headers["Link"] = link_header(app.config.requests_pathname_prefix, bundle, geo, image)
        return resp

    @server.before_request
    def refuse_malformed_callback():
        """A callback request Dash cannot dispatch gets a 400 with a message (Dash itself would raise: a 500)."""
        if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
            return None
        problem = malformed_callback(app, request.get_json(silent=True))
        if problem:
            return Response(orjson.dumps({"error": f"malformed callback request: {problem}"}), status=400,
                            mimetype="application/json")
        return None

    # Whole answers of the pure callbacks (a repeated filter change: a hash and a lookup), shared through
    # Redis when REDIS_URL is set. Outermost WSGI layer: it keeps the bytes as compressed and headed. The
    # writes of a view never seen (its answer, its pieces) are done once the answer has been sent.
    server.wsgi_app = ResponseCache(server.wsgi_app, cache_get, cache_set,
                                    lambda: query.get_dataset(settings.data_dir).version, callbacks.is_pure,
                                    defer=writes_after_answer, flush=write_pending)
    # static files (plotly.js, 1.4 MB): compressed once per process, not on every first visit
    server.wsgi_app = StaticCache(server.wsgi_app)

    @server.route("/assets/vendor/plotly-obs.min.js")   # more specific than Dash's /assets/<path:path>
    def plotly_bundle():
        """The app's plotly.js, as brotli made it at build time (tools/plotly_bundle/build.sh) for browsers that
        accept it, else as a file (compressed by flask-compress). Its address carries its digest: cached a year."""
        path = ASSETS / "vendor" / "plotly-obs.min.js"
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
        br = path.with_name(path.name + ".br")
        if accepts("br") and br.is_file():
            return Response(br.read_bytes(), mimetype="text/javascript",
                            headers=headers | {"Content-Encoding": "br"})
        return Response(path.read_bytes(), mimetype="text/javascript", headers=headers)

    @server.route("/healthz")
    def healthz():
        try:
            ds = query.get_dataset(settings.data_dir)
            body, status = {"status": "ok", "data_version": ds.version}, 200
        except query.DataError as exc:
            body, status = {"status": "error", "error": str(exc)}, 503
        return Response(orjson.dumps(body), status=status, mimetype="application/json",
                        headers={"Cache-Control": "no-store"})

    @server.route("/geo/level-<level>.json")   # not <int:...>: a 5,000-digit level made int() raise (a 500)
    def geo(level: str):
        scope = request.args.get("country", query.REGION, type=str)
        scope = scope.upper() if scope.lower() != query.REGION else query.REGION
        try:
            if len(level) != 1 or level not in "0123456789":   # not isdigit(): "²" is a digit to it
                raise query.DataError("no such level")
            blob = query.geojson(query.get_dataset(settings.data_dir), int(level), scope)
        except query.DataError:
            blob = None
        if blob is None:
            return Response(orjson.dumps({"error": "unknown level or country"}), status=404,
                            mimetype="application/json")
        headers = {"Cache-Control": "public, max-age=86400", "ETag": f'"{blob.etag}"', "Vary": "Accept-Encoding"}
        if request.if_none_match and blob.etag in request.if_none_match:
            return Response(status=304, headers=headers)
        if accepts("br"):
            headers["Content-Encoding"] = "br"
            return Response(blob.br, mimetype="application/geo+json", headers=headers)
        if accepts("gzip"):
            headers["Content-Encoding"] = "gzip"
            return Response(blob.gz, mimetype="application/geo+json", headers=headers)
        return Response(blob.body, mimetype="application/geo+json", headers=headers)

    @server.route("/map.svg")
    def static_map_image():
        """The view's map as a static SVG (core/static_map.py): the page shows it until plotly.js has drawn the
        interactive map over it. Any query string gives the map of the view the page would show for it (unknown
        or hostile values fall back as in the URL); the page's address carries the data and code versions
        (view.image_token): cached a day."""
        try:
            ds = query.get_dataset(settings.data_dir)
        except query.DataError as exc:
            return Response(f"data not available: {exc}", status=503, mimetype="text/plain")
        state = sync(ds, None, request.query_string.decode("utf-8", errors="replace")).state
        # the page's address names the data's and the code's versions: kept a day; any other address may change
        versioned = request.args.get("v") == view.image_token(ds)
        return Response(view.static_map_svg(ds, state, view.map_piece(ds, state)), mimetype="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400" if versioned else "no-cache"})

    @server.route("/download/<any('view', 'trend', 'compare'):what>.csv")
    def download_csv(what: str):
        """The numbers behind a view's map and ranking (view.csv), its trend (trend.csv), or the compare page's
        places (compare.csv, with the compare page's parameters)."""
        try:
            ds = query.get_dataset(settings.data_dir)
        except query.DataError as exc:
            return Response(f"data not available: {exc}", status=503, mimetype="text/plain")
        qs = request.query_string.decode("utf-8", errors="replace")
        if what == "compare":
            cstate = compare_parse(ds, qs)
            body, name = compare_csv(ds, cstate), compare_filename(cstate)
        else:
            state = sync(ds, None, qs).state
            body, name = (view_csv(ds, state), filename(state)) if what == "view" else \
                (trend_csv(ds, state), filename(state, "tendencia"))
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "public, max-age=3600"})

    @server.errorhandler(dash.exceptions.DependencyException)
    def unknown_component_file(_exc):  # /_dash-component-suites/<pkg>/<not a file of the package>: a 404, not a 500
        return Response(orjson.dumps({"error": "not found"}), status=404, mimetype="application/json")

    @server.errorhandler(500)
    def server_error(_exc):  # never a traceback page
        return Response(orjson.dumps({"error": "internal error"}), status=500, mimetype="application/json")

    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=SETTINGS.host, port=SETTINGS.port, debug=SETTINGS.debug)
