"""Security headers on every response, debug off by default, no path read from the request, /healthz; and a
processed file missing or corrupt at start-up: a readable page and a 503 on /healthz, never a traceback."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from settings import load_settings
from tests.reliability.conftest import make_app
from tests.reliability.figures import record

PATHS = ["/", "/?country=<script>", "/healthz", "/download/view.csv?country=CRI", "/geo/level-1.json?country=CRI",
         "/geo/level-9.json", "/_dash-layout", "/_dash-dependencies", "/nope/../../etc/passwd",
         "/assets/../app.py", "/assets/%2e%2e/settings.py", "/_dash-component-suites/dash/../../../app.py",
         "/download/..%2f..%2fapp.py", "/geo/..%2f..%2fdata/processed/units.parquet", "/static/../../app.py"]
TRAVERSAL = [p for p in PATHS if ".." in p]


def test_debug_off_outside_local_runs() -> None:
    assert load_settings({}).debug is False
    assert load_settings({"OBS_DEBUG": "0"}).debug is False and load_settings({"OBS_DEBUG": "yes"}).debug is True


def test_headers_on_every_response_and_no_traversal(fixture_dir) -> None:
    app = make_app(fixture_dir, frame_ancestors="'self' https://embed.example.org")
    c = app.server.test_client()
    checked = 0
    for path in PATHS:
        for method in ("GET", "POST"):
            r = c.open(path, method=method)
            assert r.status_code < 500, (path, method, r.status_code)
            h = r.headers
            assert h["X-Content-Type-Options"] == "nosniff", path
            assert h["Referrer-Policy"] == "strict-origin-when-cross-origin", path
            csp = h["Content-Security-Policy"]
            assert "frame-ancestors 'self' https://embed.example.org" in csp and "object-src 'none'" in csp
            assert "default-src 'self'" in csp
            checked += 1
            if ".." in path:
                assert b"def create_app" not in r.data and b"load_settings" not in r.data and r.data[:4] != b"PAR1"
    r = c.post("/_dash-update-component", data=b"{}", content_type="application/json")
    assert r.status_code == 400 and "Content-Security-Policy" in r.headers
    record("security", responses_checked=checked + 1, traversal_attempts=len(TRAVERSAL) * 2)
    # csp_violations: counted in headless Chromium by test_csp_browser.py


@pytest.mark.parametrize("frame_ancestors,expected", [("https://a.example.org", "https://a.example.org"),
                                                      ("'self'; script-src *", "'self'"), ("", "*")])
def test_frame_ancestors_from_environment(fixture_dir, frame_ancestors, expected) -> None:
    s = load_settings({"OBS_FRAME_ANCESTORS": frame_ancestors})
    app = make_app(fixture_dir, frame_ancestors=s.frame_ancestors)
    csp = app.server.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert f"frame-ancestors {expected}" in csp


def _broken(tmp_path: Path, fixture_dir: Path, how: str) -> Path:
    d = tmp_path / how
    shutil.copytree(fixture_dir, d)
    name = how.split(":")[1]
    if how.startswith("missing"):
        (d / name).unlink()
    elif how.startswith("corrupt"):
        (d / name).write_bytes(b"PAR1 this is not parquet" * 10)
    elif how.startswith("truncated"):
        data = (d / name).read_bytes()
        (d / name).write_bytes(data[: len(data) // 2])
    return d


CASES = ["missing:units.parquet", "missing:facts.parquet", "missing:population.parquet", "missing:sources.parquet",
         "corrupt:units.parquet", "corrupt:facts.parquet", "truncated:facts.parquet", "truncated:units.parquet"]


@pytest.mark.parametrize("how", CASES)
def test_bad_processed_file_at_startup(tmp_path, fixture_dir, how) -> None:
    d = _broken(tmp_path, fixture_dir, how)
    app = make_app(d)   # must not raise
    c = app.server.test_client()
    r = c.get("/healthz")
    assert r.status_code == 503 and r.json["status"] == "error"
    assert how.split(":")[1] in r.json["error"]
    assert "Traceback" not in r.data.decode()
    assert c.get("/").status_code == 200
    # the page callback (called as the function: Dash binds the callbacks to the first app of a process)
    from callbacks.main import render_page
    text = json.dumps(render_page("/", ""), default=lambda o: o.to_plotly_json())
    assert "Traceback" not in text and how.split(":")[1] in text     # a readable page naming the file
    csv = c.get("/download/view.csv")
    assert csv.status_code == 503 and b"Traceback" not in csv.data
    record("faults", startup={"cases": len(CASES)})
