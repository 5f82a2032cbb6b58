"""Headless Chromium (Playwright, Debian's /usr/bin/chromium) for the benchmark.

* `capture`: load a view in a real browser and record every POST body the Dash renderer sends to
  /_dash-update-component, and the values its responses set (the replay templates of bench/dashclient.py).
* `timings`: the browser's own clock (performance.now(), whose origin is the navigation start):
  - map drawn (cold): a fresh context (empty HTTP cache), navigation -> the first `plotly_afterplot` of the map
    (or the resolved `Plotly.react` on it, whichever comes first) with areas in it, then the end of the rendering
    of the frame that shows it (`painted`, see FRAME_JS); see INIT_JS for why the hook is re-attached and arrays
    are read decoded;
  - redrawn: the click on the new option (capture-phase listener) -> the first `plotly_afterplot` whose data
    differ from before, then the end of the frame that shows it;
  - `static_map`: the server's image of the map (core/static_map.py) painted, from the page's Largest Contentful
    Paint entry for it (its renderTime: the frame that showed it); `splash`: the first screen in the HTML
    (web/splash.py) on view with its map (its fade-in ended and its image loaded; on a fast link the page replaces
    it before); `shown`: the map on screen, the earliest of the three (round 6). `painted` stays plotly's
    interactive map;
  - `next_frame`: the start of the frame after that one (two requestAnimationFrame), the measure of rounds 1-4.
    It also counts whatever the page runs between the two frames: on a cold level-2 page the trend, ranking and
    texts (~0.5 s, applied after the map) came between, so it put the map ~0.5 s later than the frame that
    showed it (Long Animation Frame entries: that frame's rendering ended 35 ms after afterplot);
  - bytes per change: every /_dash-update-component exchange the change caused, as Chromium counts them
    (`request.sizes()`: encoded response body as transferred, request body).
"""
from __future__ import annotations

import json
import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}
# a phone's connection as Lighthouse throttles it ("slow 4G"): 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up
SLOW_LINK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
# Chromium's CPU throttling (DevTools' "CPU slowdown"): the page's main thread runs this many times slower. 2: a
# machine half as fast as this one (this machine's own speed was seen to vary by 2-2.5x from one day to the next);
# 4: Lighthouse's mobile profile (a mid-range phone), used with SLOW_LINK
SLOW_CPU = 2
PHONE_CPU = 4

INIT_JS = r"""
(() => {
  // Why this is more than `gd.on('plotly_afterplot')` from a MutationObserver (the old hook, which on a quiet
  // machine saw no map in 240 s while the e2e tests, which poll gd.data, did):
  //  * a hook marked on the DOM node survives `Plotly.newPlot`/`Plots.purge`/dcc.Graph's unmount, which call
  //    gd.removeAllListeners() and delete gd.on/_ev: the listener was gone for good and never re-attached. The
  //    mark now lives on the event emitter (gd._ev), so a new emitter is hooked again;
  //  * a MutationObserver fires only on DOM mutations: if none follows the moment gd.on exists, nothing hooks.
  //    A 50 ms poll and a wrapper on Plotly.react (resolved promise = drawn) hook independently of mutations;
  //  * plotly 7 may carry arrays as typed-array specs {dtype, bdata}: `.length` is undefined there (areas = NaN,
  //    never > 0). Areas and signatures are read from gd._fullData (decoded) with a bdata-aware fallback;
  //  * an exception in the handler lost the event silently: now caught and recorded.
  const obs = window.__obs = {events: [], t0: null, armed: false, hooks: 0, errors: [], reacts: 0, loaf: []};
  // the browser's own account of long frames (Long Animation Frames API): when each one's rendering ended
  try {
    new PerformanceObserver(l => { for (const e of l.getEntries()) obs.loaf.push({start: e.startTime,
      render: e.renderStart, end: e.startTime + e.duration}); }).observe({type: 'long-animation-frame', buffered: true});
  } catch (e) { obs.loafError = String(e); }
  // the largest paint of the page (Largest Contentful Paint): on the main page, the server's image of the map
  // (img.obs-map-static, core/static_map.py) when it is painted, before plotly.js draws the interactive map
  obs.lcp = [];
  try {
    new PerformanceObserver(l => { for (const e of l.getEntries()) obs.lcp.push({t: e.renderTime || e.startTime,
      el: e.element ? e.element.tagName + '.' + e.element.className : null, size: e.size}); })
      .observe({type: 'largest-contentful-paint', buffered: true});
  } catch (e) { obs.lcpError = String(e); }
  // the page's first screen (web/splash.py): when its fade-in ended and when its map image loaded; the screen is
  // on view with its map from the later of the two (Largest Contentful Paint skips elements that start at opacity 0)
  document.addEventListener('animationend', e => {
    if (e.target && e.target.classList && e.target.classList.contains('obs-splash')) obs.splashShown = performance.now();
  }, true);
  document.addEventListener('load', e => {
    if (e.target && e.target.classList && e.target.classList.contains('obs-splash-map')) obs.splashImage = performance.now();
  }, true);
  document.addEventListener('click', () => { if (obs.armed) { obs.t0 = performance.now(); obs.armed = false; } }, true);
  const SIZES = {f8: 8, f4: 4, i4: 4, u4: 4, i2: 2, u2: 2, i1: 1, u1: 1, u1c: 1, i8: 8, u8: 8};
  function len(a) {
    if (!a) return 0;
    if (typeof a.length === 'number') return a.length;
    if (a.bdata !== undefined) {
      if (a.shape) return String(a.shape).split(',').reduce((x, y) => x * (+y || 1), 1);
      const b = String(a.bdata).replace(/=+$/, '');
      return Math.floor(b.length * 3 / 4 / (SIZES[a.dtype] || 8));
    }
    return 0;
  }
  function head(a, n) {
    if (!a) return [];
    if (a.bdata !== undefined) return String(a.bdata).slice(0, 4000);
    const out = [];
    const m = Math.min(len(a), 100000);
    let h = 0;
    for (let i = 0; i < m; i++) { const v = a[i]; h = (h * 31 + (typeof v === 'number' ? Math.round(v * 1000) : String(v).length + String(v).charCodeAt(0))) | 0; }
    for (let i = 0; i < Math.min(n, m); i++) out.push(String(a[i]));
    return [m, h, out];
  }
  function traces(gd) {
    const fd = gd._fullData;
    return (fd && fd.length) ? fd : (gd.data || []);
  }
  function isMap(gd) {
    return (gd.data || []).some(t => /^choropleth/.test(t.type || ''));
  }
  function summary(gd) {
    let n = 0;
    const parts = [];
    for (const tr of traces(gd)) {
      if (tr.visible === false) continue;
      n += len(tr.locations);
      parts.push([len(tr.locations), head(tr.locations, 2), head(tr.z, 3), head(tr.hovertext || tr.customdata, 2)]);
    }
    return {n: n, sig: JSON.stringify(parts)};
  }
  function findGd() {
    const m = document.getElementById('map');
    if (m && m.classList.contains('js-plotly-plot')) return m;
    const g = document.querySelector('#map .js-plotly-plot');
    if (g) return g;
    for (const el of document.querySelectorAll('.js-plotly-plot')) if (isMap(el)) return el;
    return null;
  }
  function record(gd, src) {
    const t = performance.now();
    const ev = {t: t, src: src, n: 0, sig: null, painted: null};
    try { Object.assign(ev, summary(gd)); } catch (e) { ev.err = String(e); obs.errors.push(String(e)); }
    obs.events.push(ev);
    // r1: the frame that will show what was just drawn starts rendering (its rAF callbacks run first);
    // painted: the start of the next frame (kept as `next_frame`; FRAME_JS gives the frame's own end)
    requestAnimationFrame(() => { ev.r1 = performance.now(); requestAnimationFrame(() => { ev.painted = performance.now(); }); });
  }
  function hook() {
    const gd = findGd();
    if (!gd || typeof gd.on !== 'function' || !gd._ev) return;
    if (gd._ev.__obsHooked) return;
    gd._ev.__obsHooked = true;
    obs.hooks++;
    gd.on('plotly_afterplot', () => record(gd, 'afterplot'));
  }
  function wrapPlotly(P) {
    if (!P || P.__obsWrapped || typeof P.react !== 'function') return;
    P.__obsWrapped = true;
    const react = P.react;
    P.react = function (gd) {
      const r = react.apply(this, arguments);
      obs.reacts++;
      Promise.resolve(r).then(() => { hook(); const g = findGd(); if (g && g === gd) record(g, 'react'); },
                              e => obs.errors.push('react: ' + e));
      return r;
    };
  }
  let P0 = window.Plotly;
  try {
    Object.defineProperty(window, 'Plotly', {configurable: true, enumerable: true,
      get() { return P0; }, set(v) { P0 = v; try { wrapPlotly(v); } catch (e) { obs.errors.push(String(e)); } }});
  } catch (e) { obs.errors.push('defineProperty: ' + e); }
  new MutationObserver(hook).observe(document, {childList: true, subtree: true});
  // the panels beside the map (trend, ranking, headline), applied after the map: the last time one changed.
  // One observer on each panel once it exists (an observer on the whole document ran for every one of the
  // map's 1,366 new paths too: ~6 % of the first draw was the harness's own work)
  const PANELS = ['series', 'ranking', 'headline-place', 'headline-value', 'headline-meta'];
  const panelSeen = new WeakSet();
  const panelObserver = new MutationObserver(() => { obs.panelsAt = performance.now(); });
  function watchPanels() {
    for (const id of PANELS) {
      const p = document.getElementById(id);
      if (p && !panelSeen.has(p)) {
        panelSeen.add(p);
        panelObserver.observe(p, {childList: true, subtree: true, characterData: true, attributes: true});
      }
    }
  }
  setInterval(() => { hook(); watchPanels(); if (window.Plotly) wrapPlotly(window.Plotly); }, 50);
})();
"""

# When the frame that shows an event's drawing (`r1`: its first requestAnimationFrame) finished rendering:
#  * that frame was long (a Long Animation Frame entry whose rendering covers r1): the entry's end;
#  * else it rendered in under 50 ms, before whatever task came next: the start of the next long frame after r1,
#    or the next frame (`painted`, two requestAnimationFrame), whichever is first (an upper bound either way).
FRAME_JS = r"""(ev) => {
  const L = (window.__obs && window.__obs.loaf) || [];
  if (ev.r1 === undefined || ev.r1 === null) return ev.painted;
  const cover = L.find(e => e.render > 0 && e.render <= ev.r1 + 0.5 && ev.r1 <= e.end + 0.5);
  if (cover) return cover.end;
  return Math.min(ev.painted, ...L.filter(e => e.start >= ev.r1).map(e => e.start));
}"""

# the map drawn: the first event (afterplot or the resolved Plotly.react on the map) with areas, then painted
DRAWN_JS = "(o) => o.events.find(e => e.n > 0 && e.painted)"
DIAG_JS = r"""() => {
  const o = window.__obs || {};
  const gd = document.querySelector('#map .js-plotly-plot') || document.getElementById('map');
  const d = {visibility: document.visibilityState, hooks: o.hooks, reacts: o.reacts, errors: (o.errors || []).slice(-5),
             events: (o.events || []).slice(-6).map(e => ({t: Math.round(e.t), src: e.src, n: e.n, painted: e.painted, err: e.err})),
             plotly: typeof window.Plotly, now: Math.round(performance.now())};
  if (gd) {
    d.gd = {cls: gd.className, on: typeof gd.on, ev: !!gd._ev, hooked: !!(gd._ev && gd._ev.__obsHooked),
            traces: (gd.data || []).map(t => [t.type, t.name, Array.isArray(t.locations) ? t.locations.length : JSON.stringify(t.locations || null).slice(0, 80)]),
            paths: gd.querySelectorAll('path.choroplethlocation').length};
  }
  return d;
}"""


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


def open_view(browser, url: str, timeout_ms: int = 240000, network: dict | None = None,
              cpu_rate: float | None = None):
    """Fresh context (cold HTTP cache), navigate, wait for the map with areas drawn. Returns (ctx, page, rec,
    cold_ms dict). `network`: Chromium's network emulation for the page (e.g. SLOW_LINK); `cpu_rate`: its CPU
    slowdown (e.g. SLOW_CPU, PHONE_CPU)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(INIT_JS)
    page = ctx.new_page()
    if network or cpu_rate:
        cdp = ctx.new_cdp_session(page)
        if network:
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", network)
        if cpu_rate:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_rate})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    rec = Recorder(page)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text[:300]) if m.type == "error" else None)
    page.goto(url, wait_until="commit")
    # the map with areas; a map that stays empty (no data for the default view) counts after 60 s (areas = 0)
    try:
        _wait_events(page, "() => window.__obs && (window.__obs.events.some(e => e.n > 0 && e.painted) ||"
                           " (performance.now() > 60000 && window.__obs.events.some(e => e.painted)))", timeout_ms)
    except Exception as exc:   # say what the page looked like, not just "timeout"
        try:
            diag = page.evaluate(DIAG_JS)
        except Exception as e2:
            diag = {"diag_error": repr(e2)}
        ctx.close()
        raise RuntimeError(f"map not drawn within {timeout_ms} ms at {url}: {type(exc).__name__}; page: "
                           f"{json.dumps(diag)[:1500]}; page errors: {errors[-3:]}; console: {console[-3:]}")
    ev = page.evaluate("() => window.__obs.events.find(e => e.n > 0 && e.painted) ||"
                       " window.__obs.events.find(e => e.painted)")
    nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                        " const all = [n].concat(performance.getEntriesByType('resource')).filter(Boolean);"
                        " return n ? {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,"
                        " kb: all.reduce((s, e) => s + (e.transferSize || 0), 0) / 1024} : {}; }")
    page.wait_for_timeout(300)   # let the remaining callbacks of the first render finish
    frame = page.evaluate(FRAME_JS, ev)   # after the wait: the long-frame entries have been delivered
    static = page.evaluate("() => { const e = (window.__obs.lcp || []).find(x => x.el === 'IMG.obs-map-static');"
                           " return e ? e.t : null; }")
    splash = page.evaluate("() => (window.__obs.splashShown && window.__obs.splashImage) ?"
                           " Math.max(window.__obs.splashShown, window.__obs.splashImage) : null")
    cold = {"afterplot_ms": ev["t"], "painted_ms": frame, "next_frame_ms": ev["painted"],
            # the first screen's map on view (None: the page was rendered before it faded in)
            "splash_ms": splash,
            # the server's image of the map painted (None: the page has none); `shown`: the map on screen,
            # whichever came first
            "static_map_ms": static, "shown_ms": min(x for x in (frame, static, splash) if x),
            "dom_content_loaded_ms": nav.get("dcl"),
            "kb_transferred_to_map": round(nav.get("kb") or 0, 1),
            "areas": ev["n"], "event": ev.get("src"), "errors": errors,
            "hooks": page.evaluate("() => window.__obs.hooks")}
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
        try:
            diag = page.evaluate(DIAG_JS)
        except Exception as e2:
            diag = {"diag_error": repr(e2)}
        return out | {"error": f"no redraw within {timeout_ms} ms: {type(exc).__name__}",
                      "page": json.dumps(diag)[:1500]}
    page.wait_for_timeout(100)   # the long-frame entries of the redraw are delivered after it
    res = page.evaluate("([n, s]) => { const o = window.__obs; const e = o.events.slice(n).find(e => e.t >= o.t0 &&"
                        " e.sig !== s && e.painted); return {t0: o.t0, t: e.t, painted: e.painted, r1: e.r1,"
                        " src: e.src, n: e.n}; }", [n_before, before_sig])
    frame = page.evaluate(FRAME_JS, res)
    # wait for the rest of the chain (ranking, text...) to finish before counting bytes
    deadline = time.time() + 10
    last = -1
    while time.time() < deadline:
        page.wait_for_timeout(200)
        if len(rec.posts) == last:
            break
        last = len(rec.posts)
    posts = rec.posts[k:]
    panels_at = page.evaluate("() => window.__obs.panelsAt || null")
    return out | {"redraw_afterplot_ms": res["t"] - res["t0"], "redraw_painted_ms": frame - res["t0"],
                  "redraw_next_frame_ms": res["painted"] - res["t0"],
                  "panels_ms": (panels_at - res["t0"]) if panels_at and panels_at > res["t0"] else None,
                  "event": res.get("src"), "areas": res.get("n"),
                  "posts": [{"output": p.get("output"), "down": p.get("down"), "up": p.get("up"),
                             "raw": p.get("raw"), "encoding": p.get("encoding"), "status": p.get("status")}
                            for p in posts]}


def _component_props(value, props: dict) -> None:
    """The props of every component with an id inside a rendered layout (the page callback's answer): the
    controls' options and values and the stores' data arrive there, and a view then sends only what changed."""
    if isinstance(value, list):
        for v in value:
            _component_props(v, props)
    elif isinstance(value, dict) and isinstance(value.get("props"), dict) and "type" in value:
        pr = value["props"]
        if isinstance(pr.get("id"), str):
            for prop, v in pr.items():
                if prop not in ("id", "children"):
                    props[(pr["id"], prop)] = v
        _component_props(pr.get("children"), props)


def templates_of(rec: Recorder) -> tuple[dict, dict]:
    """Templates (output -> last captured body) and the props the responses set (including those of the
    components a response renders), from a recorded session."""
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
                    if prop == "children":
                        _component_props(value, props)
    return templates, props
