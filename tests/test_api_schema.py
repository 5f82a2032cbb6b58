"""Schemathesis against the hand-written OpenAPI document, in-process on the WSGI app (no server): generated
requests for every operation (valid and invalid parameters), bounded; no 5xx, and every answer conforms to the
document (status code, content type, JSON schema)."""
from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from core import query

DATA = Path(__file__).resolve().parent.parent / "data" / "processed"


@pytest.fixture(scope="module")
def api_schema():
    import app as app_module
    from settings import Settings

    saved = list(query._DEFAULT_DIR)
    s = Settings(data_dir=DATA, debug=False, redis_url=None, frame_ancestors="*", cache_timeout=60,
                 host="127.0.0.1", port=0)
    server = app_module.create_app(s).server
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", server)
    query._DEFAULT_DIR[:] = saved


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_openapi(case):
    # identity: the in-process WSGI transport does not undo flask-compress (gzip/brotli) as a browser would
    case.call_and_validate(headers={"Accept-Encoding": "identity"},
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
