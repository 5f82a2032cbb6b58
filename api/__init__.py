"""Public read API under /api/v1/ (issue 5): units, offenses, sources, coverage, facts, version.

`init_app(server, data_dir)` registers the Blueprint on the Flask server (app.py calls it once). The routes read the
processed data only through core.query; the OpenAPI document is hand-written in api/openapi.py."""
from api.routes import blueprint, init_app

__all__ = ["blueprint", "init_app"]
