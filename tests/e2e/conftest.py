"""Start the real app (gunicorn, 2 workers, as in the Procfile) on a free loopback port, and headless Chromium."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


from scripts.local_services import free_port, start_gunicorn, stop  # noqa: E402,F401  (one way to serve)


@contextmanager
def served_chromium(data_dir: Path):
    """(base URL, browser): gunicorn on a free port and headless Chromium, both stopped on exit (the screenshot
    scripts of this folder)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_gunicorn(data_dir, port)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield f"http://127.0.0.1:{port}", b
            finally:
                b.close()
    finally:
        stop(proc, timeout_s=10)


@pytest.fixture(scope="session")
def server_url(fixture_dir):
    port = free_port()
    proc = start_gunicorn(fixture_dir, port, timeout_s=60)
    yield f"http://127.0.0.1:{port}"
    stop(proc, timeout_s=10)


@pytest.fixture(scope="session")
def real_server():
    """The app on the committed data (data/processed), for what the small fixture cannot show (nine countries'
    lines, names that differ between the languages)."""
    port = free_port()
    proc = start_gunicorn(ROOT / "data" / "processed", port, timeout_s=60)
    yield f"http://127.0.0.1:{port}"
    stop(proc, timeout_s=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    ctx.close()
