"""Headless Chromium (Playwright, Debian's /usr/bin/chromium) for the benchmark.

* `capture`: load a view in a real browser and record every POST body the Dash renderer sends to
  /_dash-update-component, and the values its responses set (the replay templates of bench/dashclient.py).
* `timings`: the browser's own clock (performance.now(), whose origin is the navigation start):
  - map drawn (cold): a fresh context (empty HTTP cache), navigation -> the first `plotly_afterplot` of the map
    with areas in it, then the next painted frame (two requestAnimationFrame);
  - redrawn: the click on the new option (capture-phase listener) -> the first `plotly_afterplot` whose data
    differ from before, then the next painted frame;
  - bytes per change: every /_dash-update-component exchange the change caused, as Chromium counts them
    (`request.sizes()`: encoded response body as transferred, request body).
"""
from __future__ import annotations

import json
import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}

INIT_JS = r"""
(() => {
  const obs = window.__obs = {events: [], t0: null, armed: false};
  document.addEventListener('click', () => { if (obs.armed) { obs.t0 = performance.now(); obs.armed = false; } }, true);
  function sig(gd) {
    const parts = [];
    // plotly 7 may carry numeric arrays as {dtype, bdata} (base64): compare those strings
    const head = (a, n) => (a && a.bdata) ? String(a.bdata).slice(0, 400) : Array.from(a || []).slice(0, n);
    for (const tr of (gd.data || [])) {
      parts.push([(tr.locations || []).length, head(tr.z, 60), head(tr.hovertext || tr.customdata, 3)]);
    }
    return JSON.stringify(parts);
  }
  function hook() {
    const gd = document.querySelector('#map .js-plotly-plot');
    if (!gd || gd.__obsHooked || !gd.on) return;
    gd.__obsHooked = true;
    gd.on('plotly_afterplot', () => {
      const t = performance.now();
      let n = 0;
      for (const tr of (gd.data || [])) n += (tr.locations || []).length;
      const ev = {t: t, n: n, sig: sig(gd), painted: null};
      obs.events.push(ev);
      requestAnimationFrame(() => requestAnimationFrame(() => { ev.painted = performance.now(); }));
    });
  }
  new MutationObserver(hook).observe(document, {childList: true, subtree: true});
})();
"""


def launch(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Recorder:
    """Records every Dash POST: body, response sizes (as Chromium counts them), encoding."""

    def __init__(self, page):
        self.posts: list[dict] = []
        page.on("requestfinished", self._done)

    def _done(self, req):
        if "_dash-update-component" not in req.url:
            return
        try:
            body = json.loads(req.post_data or "{}")
            resp = req.response()
            sizes = req.sizes()
            text = resp.body() if resp is not None else b""
            self.posts.append({
                "output": body.get("output"), "body": body, "status": resp.status if resp else 0,
                "down": sizes.get("responseBodySize", 0), "up": sizes.get("requestBodySize", 0),
                "encoding": (resp.headers.get("content-encoding") if resp else None) or "identity",
                "raw": len(text), "json": json.loads(text) if text else None,
            })
        except Exception as exc:   # a closed page: record the failure, never hide it
            self.posts.append({"output": None, "error": repr(exc)})


def _wait_events(page, cond_js: str, timeout_ms: int) -> None:
    page.wait_for_function(cond_js, timeout=timeout_ms, polling=20)


def select(page, control_id: str, kind: str, index: int = 0, value=None):
    """Set a control the way a user does: the option `value` if given and offered, else the index-th option
    that is neither selected nor disabled (cyclic). Arms the click timer right before the final click.
    Returns the value chosen, or None."""
    if kind == "dropdown":
        page.click(f"#{control_id}")
        page.locator(".dash-dropdown-content [role=option]").first.wait_for(state="visible", timeout=5000)
        opts = page.locator(".dash-dropdown-content [role=option][aria-selected=false]:not(:has(input[disabled]))")
    else:
        opts = page.locator(f"#{control_id} label[role=option][aria-selected=false]:not(:has(input[disabled]))")
    n = opts.count()
    if n == 0:
        page.keyboard.press("Escape")
        return None
    opt = opts.nth(index % n)
    if value is not None:
        want = opts.filter(has=page.locator(f"input[value={json.dumps(str(value))}]"))
        if want.count():
            opt = want.first
    value = opt.locator("input").get_attribute("value")
    page.evaluate("() => { window.__obs.armed = true; }")
    opt.click()
    return value


def open_view(browser, url: str, timeout_ms: int = 240000):
    """Fresh context (cold HTTP cache), navigate, wait for the map with areas drawn. Returns (ctx, page, rec,
    cold_ms dict)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(INIT_JS)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    rec = Recorder(page)
    page.goto(url, wait_until="commit")
    # the map with areas; a map that stays empty (no data for the default view) counts after 60 s (areas = 0)
    _wait_events(page, "() => window.__obs && (window.__obs.events.some(e => e.n > 0 && e.painted) ||"
                       " (performance.now() > 60000 && window.__obs.events.some(e => e.painted)))", timeout_ms)
    ev = page.evaluate("() => window.__obs.events.find(e => e.n > 0 && e.painted) ||"
                       " window.__obs.events.find(e => e.painted)")
    nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return n ? {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd} : {}; }")
    page.wait_for_timeout(300)   # let the remaining callbacks of the first render finish
    cold = {"afterplot_ms": ev["t"], "painted_ms": ev["painted"], "dom_content_loaded_ms": nav.get("dcl"),
            "areas": ev["n"], "errors": errors}
    return ctx, page, rec, cold


def change_and_time(page, rec: Recorder, control_id: str, kind: str, index: int = 0, value=None,
                    timeout_ms: int = 30000) -> dict:
    """One filter change: ms from the click to the map redrawn (afterplot and painted), and the Dash traffic."""
    before_sig = page.evaluate("() => { const e = window.__obs.events; return e.length ? e[e.length-1].sig : null; }")
    n_before = page.evaluate("() => window.__obs.events.length")
    k = len(rec.posts)
    page.evaluate("() => { window.__obs.t0 = null; }")
    value = select(page, control_id, kind, index, value)
    out = {"control": control_id, "value": value}
    if value is None:
        return out | {"skipped": "no other enabled option"}
    cond = ("([n, s]) => { const o = window.__obs; if (o.t0 === null) return false;"
            " return o.events.slice(n).some(e => e.t >= o.t0 && e.sig !== s && e.painted); }")
    try:
        page.wait_for_function(cond, arg=[n_before, before_sig], timeout=timeout_ms, polling=20)
    except Exception as exc:   # the map did not change (or did not redraw): say so
        return out | {"error": f"no redraw within {timeout_ms} ms: {type(exc).__name__}"}
    res = page.evaluate("([n, s]) => { const o = window.__obs; const e = o.events.slice(n).find(e => e.t >= o.t0 &&"
                        " e.sig !== s && e.painted); return {t0: o.t0, t: e.t, painted: e.painted}; }",
                        [n_before, before_sig])
    # wait for the rest of the chain (ranking, text...) to finish before counting bytes
    deadline = time.time() + 10
    last = -1
    while time.time() < deadline:
        page.wait_for_timeout(200)
        if len(rec.posts) == last:
            break
        last = len(rec.posts)
    posts = rec.posts[k:]
    return out | {"redraw_afterplot_ms": res["t"] - res["t0"], "redraw_painted_ms": res["painted"] - res["t0"],
                  "posts": [{"output": p.get("output"), "down": p.get("down"), "up": p.get("up"),
                             "raw": p.get("raw"), "encoding": p.get("encoding"), "status": p.get("status")}
                            for p in posts]}


def templates_of(rec: Recorder) -> tuple[dict, dict]:
    """Templates (output -> last captured body) and the props the responses set, from a recorded session."""
    templates: dict[str, dict] = {}
    props: dict[tuple[str, str], object] = {}
    for p in rec.posts:
        if not p.get("output"):
            continue
        templates[p["output"]] = p["body"]
        for part in ("inputs", "state"):
            for item in p["body"].get(part, []) or []:
                if isinstance(item, dict) and "value" in item:
                    props[(item["id"], item["property"])] = item["value"]
        for cid, pr in ((p.get("json") or {}).get("response") or {}).items():
            for prop, value in pr.items():
                if not (isinstance(value, dict) and "__dash_patch_update" in value):
                    props[(cid, prop)] = value
    return templates, props
