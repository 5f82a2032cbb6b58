"""Load test: a realistic mix of simulated users against gunicorn (2 workers) on 127.0.0.1. Bounded: it stops by
itself after --seconds (plus the requests still in flight, each with a 60 s client timeout).

    python scripts/load_test.py                       # 50 users x 60 s, writes "load_full" in docs/reliability.json
    python scripts/load_test.py --users 10 --seconds 15 --record none

Each user (a thread with its own keep-alive session, like a browser tab) loops over actions with a think time:
* page load: GET the page, /_dash-layout, /_dash-dependencies, then the callbacks the Dash renderer fires for a
  first render (render_page, then the view callback, which returns every panel of the page);
* filter change: the view callback with one control changed to an enabled option the server offered (year,
  offence, sex, level or measure), with the map-meta state the browser holds: one POST (any callback that
  still listened to the view store would be replayed after it);
* CSV download of the current view, the GeoJSON of a level, /api/v1/facts (filtered, paginated), /healthz.
The callback bodies are built like bench/ and tests/reliability/ build them: from /_dash-dependencies (the same
ids/properties/order the browser sends), with the values the responses set, kept per user as the renderer does.
An error is a transport error or any status other than 200/204/304. Timings are reported, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.local_services import free_port, start_gunicorn, stop  # noqa: E402
UPDATE = "/_dash-update-component"
CONTROLS = ["ctl-year", "ctl-offense", "ctl-sex", "ctl-level", "ctl-measure"]
START_SEARCHES = ["", "?country=region&level=1&lang=es", "?country=region&level=0&lang=en",
                  "?country=region&level=1&offense=homicide&lang=es"]
# gunicorn closes an idle keep-alive connection after --keep-alive s (default 2): with users thinking 1-3 s, a
# request sent just as the server closes the connection is reset (a client-side race, not a server failure). The
# Procfile sets 5 s, longer than a think gap; the load test serves with the same setting.
KEEP_ALIVE = "5"
ACTIONS = [("page", 2), ("filter", 6), ("csv", 1), ("geojson", 1), ("api", 1), ("healthz", 1)]


def start_server(data_dir: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    """The app as in the Procfile (keep-alive included), with a deeper backlog for 50 users."""
    return start_gunicorn(data_dir, port, workers, threads, timeout_s=120,
                          extra_args=("--timeout", "120", "--backlog", "256", "--keep-alive", KEEP_ALIVE))


def _names(output: str) -> list[tuple[str, str]]:
    names = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(n.rsplit(".", 1)) for n in names]   # "prop@hash" as the renderer sends it


def walk_tree(node, props: dict) -> None:
    """(id, prop) -> value for every component of a layout tree (what the renderer holds after a render)."""
    if isinstance(node, list):
        for n in node:
            walk_tree(n, props)
    elif isinstance(node, dict):
        p = node.get("props")
        if isinstance(p, dict) and "type" in node:
            cid = p.get("id")
            if isinstance(cid, str):
                for k, v in p.items():
                    if k not in ("children", "id"):
                        props[(cid, k)] = v
            for v in p.values():
                walk_tree(v, props)


class App:
    """The callback graph, read once from /_dash-dependencies."""

    def __init__(self, base: str):
        deps = requests.get(base + "/_dash-dependencies", timeout=60).json()
        self.deps = [d for d in deps if not d.get("clientside_function")]
        self.page = next(d for d in self.deps if d["output"] == "page-root.children")
        self.sync = next(d for d in self.deps if "view-store.data" in d["output"] and
                         any(i["id"] == "url" for i in d["inputs"]))
        self.consumers = [d for d in self.deps if any((i["id"], i["property"]) == ("view-store", "data")
                                                      for i in d["inputs"])]

    @staticmethod
    def body(dep: dict, props: dict, changed: list[str]) -> dict:
        outputs = [{"id": i, "property": p} for i, p in _names(dep["output"])]
        return {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": [dict(i, value=props.get((i["id"], i["property"]))) for i in dep["inputs"]],
                "state": [dict(s, value=props.get((s["id"], s["property"]))) for s in dep["state"]],
                "changedPropIds": changed}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat: list[float] = []
        self.kinds: Counter = Counter()
        self.errors: list[str] = []
        self.actions: Counter = Counter()   # user actions (a page load or a filter change is several requests)

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.lat.append(seconds)
            self.kinds[kind] += 1
            if error:
                self.errors.append(f"{kind}: {error}")


class User:
    def __init__(self, base: str, app: App, stats: Stats, rng: random.Random, stop_at: float, think: tuple):
        self.base, self.app, self.stats, self.rng = base, app, stats, rng
        self.stop_at, self.think = stop_at, think
        self.s = requests.Session()
        self.s.headers["Accept-Encoding"] = "gzip"
        self.props: dict = {}
        self.search = rng.choice(START_SEARCHES)
        self.completed = False

    def req(self, kind: str, method: str, path: str, **kw):
        t0 = time.perf_counter()
        try:
            r = self.s.request(method, self.base + path, timeout=60, **kw)
            _ = r.content
            err = None if r.status_code in (200, 204, 304) else f"{r.status_code} {path[:80]}"
        except requests.RequestException as exc:
            r, err = None, f"{type(exc).__name__} {path[:80]}: {str(exc)[:160]}"
        self.stats.add(kind, time.perf_counter() - t0, err)
        return r if err is None else None

    def callback(self, dep: dict, changed: list[str]) -> dict | None:
        r = self.req("callback", "POST", UPDATE, json=App.body(dep, self.props, changed))
        if r is None or r.status_code != 200:
            return None
        resp = r.json().get("response") or {}
        for cid, pr in resp.items():
            for prop, value in pr.items():
                if not (isinstance(value, dict) and "__dash_patch_update" in value):
                    self.props[(cid, prop)] = value
                if prop == "children" and cid == "page-root":
                    walk_tree(value, self.props)
        return resp

    def consumers(self) -> None:
        for dep in self.app.consumers:
            self.callback(dep, ["view-store.data"])

    def page_load(self) -> None:
        self.props = {}
        with self.stats.lock:
            self.stats.actions["page load"] += 1
        if self.req("page", "GET", "/" + self.search) is None:
            return
        self.req("page", "GET", "/_dash-layout")
        self.req("page", "GET", "/_dash-dependencies")
        self.props[("url-shell", "pathname")] = "/"
        self.props[("url-shell", "search")] = self.search
        self.props[("url", "search")] = self.search
        if self.callback(self.app.page, ["url-shell.pathname"]) is None:
            return
        if self.callback(self.app.sync, []) is not None:
            self.consumers()

    def filter_change(self) -> None:
        if ("view-store", "data") not in self.props:
            return self.page_load()
        order = CONTROLS[:]
        self.rng.shuffle(order)
        for cid in order:
            cur = self.props.get((cid, "value"))
            opts = [o.get("value") if isinstance(o, dict) else o for o in self.props.get((cid, "options")) or []
                    if not (isinstance(o, dict) and o.get("disabled"))]
            opts = [o for o in opts if o != cur]
            if opts:
                self.props[(cid, "value")] = self.rng.choice(opts)
                with self.stats.lock:
                    self.stats.actions["filter change " + cid.removeprefix("ctl-")] += 1
                resp = self.callback(self.app.sync, [f"{cid}.value"])
                if resp and isinstance(resp.get("url", {}).get("search"), str):
                    self.search = resp["url"]["search"]
                if resp is not None:
                    self.consumers()
                return
        self.search = self.rng.choice(START_SEARCHES)   # nothing to change: start over
        self.page_load()

    def run(self) -> None:
        kinds, weights = zip(*ACTIONS)
        self.page_load()
        while time.time() < self.stop_at:
            time.sleep(min(self.rng.uniform(*self.think), max(0.0, self.stop_at - time.time())))
            if time.time() >= self.stop_at:
                break
            action = self.rng.choices(kinds, weights)[0]
            if action == "page":
                self.search = self.rng.choice(START_SEARCHES)
                self.page_load()
            elif action == "filter":
                self.filter_change()
            elif action == "csv":
                self.req("csv", "GET", "/download/view.csv" + (self.search or "?country=region&level=1"))
            elif action == "geojson":
                self.req("geojson", "GET", f"/geo/level-{self.rng.choice([0, 1])}.json?country=region")
            elif action == "api":
                year = self.rng.randint(2015, 2023)
                self.req("api", "GET", f"/api/v1/facts?year={year}&level={self.rng.choice([0, 1])}"
                                       f"&limit={self.rng.choice([20, 100])}&offset={self.rng.choice([0, 100])}")
            else:
                self.req("healthz", "GET", "/healthz")
        self.completed = True


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def run(users: int = 50, seconds: float = 60, workers: int = 2, threads: int = 2, data_dir: Path | None = None,
        ramp: float = 5.0, think: tuple = (1.0, 3.0), seed: int = 7, base: str | None = None) -> dict:
    """Start gunicorn (unless `base` is given), run the users, stop; return the figures."""
    data_dir = Path(data_dir or ROOT / "data" / "processed")
    proc = None
    if base is None:
        port = free_port()
        proc = start_server(data_dir, port, workers, threads)
        base = f"http://127.0.0.1:{port}"
    assert base.startswith(("http://127.0.0.1:", "http://localhost:")), "loopback only"
    try:
        app = App(base)
        stats = Stats()
        t_start = time.time()
        stop_at = t_start + ramp + seconds
        rng = random.Random(seed)
        pool = [User(base, app, stats, random.Random(rng.random()), stop_at, think) for _ in range(users)]
        threads_ = [threading.Thread(target=u.run, daemon=True) for u in pool]
        for i, t in enumerate(threads_):   # ramp up: every user is active for the whole measured window
            t.start()
            time.sleep(ramp / max(1, users))
        for t in threads_:
            t.join(timeout=max(1.0, stop_at - time.time()) + 90)
        elapsed = time.time() - t_start
        held = sum(1 for u, t in zip(pool, threads_) if u.completed and not t.is_alive())
        lat = stats.lat
        fig = {"users": users, "users_held": held, "seconds": float(seconds), "ramp_s": ramp,
               "think_s": list(think), "workers": workers, "threads": threads,
               "data": os.path.relpath(data_dir, ROOT) if str(data_dir).startswith(str(ROOT)) else data_dir.name,
               "requests": len(lat), "errors": len(stats.errors), "error_samples": stats.errors[:10],
               "rps": round(len(lat) / elapsed, 1) if elapsed else 0.0,
               "p50_ms": round(pct(lat, 0.50) * 1000, 1) if lat else None,
               "p95_ms": round(pct(lat, 0.95) * 1000, 1) if lat else None,
               "p99_ms": round(pct(lat, 0.99) * 1000, 1) if lat else None,
               "max_ms": round(max(lat) * 1000, 1) if lat else None,
               "by_kind": dict(sorted(stats.kinds.items())), "actions": dict(sorted(stats.actions.items())),
               "cpus": os.cpu_count()}
        if proc is not None and proc.poll() is not None:
            fig["errors"] += 1
            fig["error_samples"].append("gunicorn exited during the run")
        return fig
    finally:
        if proc is not None:
            stop(proc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "processed")
    ap.add_argument("--ramp", type=float, default=5.0)
    ap.add_argument("--record", default="load_full", help="section of docs/reliability.json, or 'none'")
    a = ap.parse_args(argv)
    if not 1 <= a.users <= 500 or not 1 <= a.seconds <= 600:
        ap.error("bounded: 1-500 users, 1-600 s")
    fig = run(a.users, a.seconds, a.workers, a.threads, a.data, a.ramp)
    print(json.dumps(fig, indent=1))
    print(f"{fig['users_held']}/{fig['users']} users held for {fig['seconds']:.0f} s: {fig['requests']} requests "
          f"({fig['rps']}/s), {fig['errors']} errors, p50 {fig['p50_ms']} ms, p95 {fig['p95_ms']} ms, "
          f"p99 {fig['p99_ms']} ms")
    if a.record != "none":
        sys.path.insert(0, str(ROOT / "scripts"))
        import reliability_report
        reliability_report.update({a.record: fig}, suite_passed=fig["errors"] == 0)
    return 0 if fig["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
