"""The Content-Security-Policy lets the app run: the main page, /comparar, /metodologia and ?view=present render
in headless Chromium (gunicorn on 127.0.0.1) with no CSP violation, counted from `securitypolicyviolation` events
and the console ("Refused to ..." messages)."""
from __future__ import annotations

import concurrent.futures

import pytest

from scripts.local_services import free_port, start_gunicorn, stop
from tests.reliability.figures import record

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INIT_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber}));
"""
# path -> a selector that exists once the page has rendered (Dash pages: after the callbacks ran)
PAGES = {"/": "#map .js-plotly-plot", "/comparar": "#page-root *", "/metodologia": "body h1, body h2",
         "/?view=present": "#page-root *"}


@pytest.fixture(scope="module")
def base(fixture_dir):
    port = free_port()
    proc = start_gunicorn(fixture_dir, port, workers=2, threads=2)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def test_pages_render_without_csp_violations(base) -> None:
    # in its own thread: the e2e tests may hold a session-wide Playwright (an asyncio loop) in the main thread,
    # and Playwright's sync API refuses to start inside a running loop
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        found = pool.submit(_visit_pages, base).result(timeout=600)
    violations = sum(len(v) for v in found.values())
    record("security", csp_violations=violations, csp_pages=list(PAGES))
    assert violations == 0, {k: v for k, v in found.items() if v}


def _visit_pages(base: str) -> dict[str, list]:
    from playwright.sync_api import sync_playwright

    found: dict[str, list] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for path, ready in PAGES.items():
                ctx = browser.new_context(viewport={"width": 1366, "height": 768})
                ctx.add_init_script(INIT_JS)
                page = ctx.new_page()
                console: list[str] = []
                page.on("console", lambda m, c=console: c.append(f"{m.type}: {m.text}"))
                page.on("pageerror", lambda e, c=console: c.append(f"pageerror: {e}"))
                page.goto(base + path, wait_until="load", timeout=60000)
                page.wait_for_selector(ready, state="attached", timeout=60000)
                page.wait_for_load_state("networkidle", timeout=60000)
                page.wait_for_timeout(500)
                events = page.evaluate("() => window.__csp")
                refused = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
                found[path] = events + refused
                assert "Error loading" not in page.content(), path
                if path == "/metodologia":   # control: the detector sees a blocked load (nothing is fetched)
                    page.evaluate("() => { const i = document.createElement('img');"
                                  " i.src = 'https://blocked.invalid/x.png'; document.body.appendChild(i); }")
                    page.wait_for_function("() => window.__csp.length > 0", timeout=10000)
                    found[path] = [e for e in page.evaluate("() => window.__csp")
                                   if "blocked.invalid" not in (e.get("blocked") or "")] + refused
                ctx.close()
        finally:
            browser.close()
    return found
