"""The README's reliability figures are written only by a run of the whole reliability suite: a partial run (one
file, one test, -k, -x) once replaced the suite's 10,600 fuzzed cases with its own 7,200."""
from __future__ import annotations

from tests.reliability.conftest import RELIABILITY_DIR, ROOT, whole_suite


def test_whole_suite_runs_write_the_figures():
    assert whole_suite([], 0, False)                                   # `pytest` (the README's command: testpaths)
    assert whole_suite(["tests"], 0, False)
    assert whole_suite([str(ROOT)], 0, False)
    assert whole_suite(["tests/reliability"], 0, False) and whole_suite([str(RELIABILITY_DIR) + "/"], 0, False)
    assert whole_suite(["tests/test_app.py", "tests/reliability/"], 0, False)


def test_partial_runs_do_not():
    assert not whole_suite(["tests/reliability/test_fuzz_http.py"], 0, False)
    assert not whole_suite(["tests/reliability::test_x"], 0, False)
    assert not whole_suite(["tests/test_app.py"], 0, False)
    assert not whole_suite(["tests"], 3, False)                       # -k or -m deselected some of the suite
    assert not whole_suite(["tests"], 0, True)                        # -x stopped the run early
