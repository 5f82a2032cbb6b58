from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fixtures import write_fixture_dataset  # noqa: E402


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> Path:
    return write_fixture_dataset(tmp_path_factory.mktemp("processed"))


@pytest.fixture(scope="session")
def ds(fixture_dir):
    from core import query
    return query.get_dataset(fixture_dir)
