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


@pytest.fixture(scope="module")
def app_client(fixture_dir):
    """The app on the fixture data (no Redis, debug off, framed by itself only), through Flask's test client."""
    import app as app_module
    from settings import Settings

    s = Settings(data_dir=fixture_dir, debug=False, redis_url=None, frame_ancestors="'self'",
                 cache_timeout=60, host="127.0.0.1", port=0)
    return app_module.create_app(s).server.test_client()
