"""Shared pieces of the reliability suite: an app on a given data folder, a figures recorder, and the hook that
writes the figures into docs/reliability.json and renders the README "Reliability" section (never typed by hand).
"""
from __future__ import annotations

import sys
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
