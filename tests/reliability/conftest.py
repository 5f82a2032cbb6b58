"""Shared pieces of the reliability suite: an app on a given data folder, a figures recorder, and the hook that
writes the figures into docs/reliability.json and renders the README "Reliability" section (never typed by hand).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.reliability.figures import FIGURES, FUZZ_CASES, fuzz_count, record  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def make_app(data_dir: Path, **overrides):
    """A Dash app (create_app) on `data_dir` with test settings."""
    import app as app_module
    from settings import Settings

    values = dict(data_dir=Path(data_dir), debug=False, redis_url=None, frame_ancestors="'self'",
                  cache_timeout=60, host="127.0.0.1", port=0)
    values.update(overrides)
    return app_module.create_app(Settings(**values))


@pytest.fixture(scope="module")
def client(fixture_dir):
    from core import query
    a = make_app(fixture_dir)
    yield a.server.test_client()
    query.set_default_data_dir(fixture_dir)


@pytest.fixture(autouse=True)
def _default_data_dir(fixture_dir):
    """Apps made in one test set the process-wide default data folder: put the fixture's back afterwards."""
    yield
    from core import query
    query.set_default_data_dir(fixture_dir)


# ---- gunicorn on loopback ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(data_dir: Path, port: int, workers: int = 2, threads: int = 2, extra_env: dict | None = None,
                   wait_healthy: bool = True) -> subprocess.Popen:
    """gunicorn app:server as in the Procfile, bound to 127.0.0.1 only."""
    env = dict(os.environ, OBS_DATA_DIR=str(data_dir), OBS_DEBUG="0", PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "gunicorn", "app:server", "--workers", str(workers), "--threads", str(threads),
           "--preload", "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
           "--graceful-timeout", "5"]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"obs-gunicorn-{port}.log", "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log.name  # type: ignore[attr-defined]
    if not wait_healthy:
        return proc
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited: " + Path(log.name).read_text(errors="replace")[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError("gunicorn did not become healthy in 90 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# ---- figures -> docs/reliability.json -> README ----------------------------------------------------------
def pytest_sessionfinish(session, exitstatus):
    if not FIGURES and not FUZZ_CASES:
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import reliability_report

    fig = {k: dict(v) for k, v in FIGURES.items()}
    if FUZZ_CASES:
        fig["fuzz"] = {"cases": int(sum(FUZZ_CASES.values())),
                       "by_target": dict(sorted((k, int(v)) for k, v in FUZZ_CASES.items()))}
    reliability_report.update(fig, suite_passed=exitstatus == 0)
