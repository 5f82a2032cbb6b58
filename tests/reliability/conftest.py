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
RELIABILITY_DIR = ROOT / "tests" / "reliability"
_DESELECTED: list[int] = [0]


def pytest_deselected(items):
    _DESELECTED[0] += sum(1 for i in items if RELIABILITY_DIR in Path(str(i.path)).resolve().parents)


def whole_suite(args: list[str], deselected: int, stopped: bool) -> bool:
    """True when this run ran the whole reliability suite: a path given covers tests/reliability/ (the suite's
    folder or one above it, not a file or a test inside it), nothing of it deselected (-k, -m) and the run not
    stopped early (-x). A partial run's figures (a few fuzz targets, one fault) must not replace the suite's."""
    if deselected or stopped:
        return False
    for a in args or ["."]:
        path = Path(a.split("::")[0]).resolve()
        if "::" not in a and (path == RELIABILITY_DIR or path in RELIABILITY_DIR.parents):
            return True
    return False


def pytest_sessionfinish(session, exitstatus):
    if not FIGURES and not FUZZ_CASES:
        return
    stopped = bool(session.shouldstop or session.shouldfail)
    if not whole_suite(list(session.config.args), _DESELECTED[0], stopped):
        print("\nreliability figures not written (a partial run of tests/reliability/): run the whole suite")
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import reliability_report

    fig = {k: dict(v) for k, v in FIGURES.items()}
    if FUZZ_CASES:
        fig["fuzz"] = {"cases": int(sum(FUZZ_CASES.values())),
                       "by_target": dict(sorted((k, int(v)) for k, v in FUZZ_CASES.items()))}
    reliability_report.update(fig, suite_passed=exitstatus == 0)
