"""CI-sized load test: scripts/load_test.py with 50 users for 15 s against gunicorn (2 workers) on 127.0.0.1.
0 errors is asserted; timings are recorded ("load_ci" in docs/reliability.json), never asserted. The full run
(50 users x 60 s) is `python scripts/load_test.py`."""
from __future__ import annotations

import sys
from pathlib import Path

from tests.reliability.figures import record

ROOT = Path(__file__).resolve().parents[2]


def test_load_50_users_15_s() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import load_test

    fig = load_test.run(users=50, seconds=15, workers=2, threads=2, ramp=3.0)
    record("load_ci", **fig)
    assert fig["errors"] == 0, fig["error_samples"]
    assert fig["users_held"] == 50
    assert fig["by_kind"].get("callback", 0) > 100 and fig["actions"].get("page load", 0) >= 50
    assert all(fig["by_kind"].get(k, 0) > 0 for k in ("page", "csv", "geojson", "api", "healthz"))
