"""geo.build: a boundary problem (geo.boundaries.BoundaryError) is a PipelineError naming file, row and reason,
so `python -m geo.build` says "BUILD FAILED ..." (exit 2), never a traceback, and writes nothing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import geo.boundaries
import geo.build
from geo.errors import PipelineError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("message,file,row,reason", [
    ("/raw/boundaries/wof/wof_adm0.parquet: file not found", "/raw/boundaries/wof/wof_adm0.parquet", None,
     "file not found"),
    ("geo/crosswalk/level1.csv:12: empty source_name", "geo/crosswalk/level1.csv", 12, "empty source_name"),
    ("/raw/adm1.parquet: feature 'CR-SJ': self-intersection", "/raw/adm1.parquet", None,
     "feature 'CR-SJ': self-intersection"),
    ("leaf coverage is not valid after repair", "boundaries", None, "leaf coverage is not valid after repair"),
])
def test_boundary_error_becomes_pipeline_error(tmp_path, monkeypatch, message, file, row, reason) -> None:
    def broken(_raw_dir, **_kw):
        raise geo.boundaries.BoundaryError(message)
    monkeypatch.setattr(geo.boundaries, "build_units", broken)
    (tmp_path / "raw").mkdir()
    with pytest.raises(PipelineError) as info:
        geo.build.build(tmp_path / "raw", tmp_path / "out")
    assert (info.value.file, info.value.row, info.value.reason) == (file, row, reason)
    assert isinstance(info.value.__cause__, geo.boundaries.BoundaryError)
    assert not (tmp_path / "out").exists()


def test_cli_says_build_failed_for_missing_boundaries(tmp_path) -> None:
    """The real path: a raw folder without boundary files, through `python -m geo.build`."""
    (tmp_path / "raw").mkdir()
    r = subprocess.run([sys.executable, "-m", "geo.build", "--raw", str(tmp_path / "raw"), "--out",
                        str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr[-2000:]
    assert "BUILD FAILED (nothing written):" in r.stderr and "wof_adm0.parquet" in r.stderr
    assert "file not found" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not (tmp_path / "out").exists()
