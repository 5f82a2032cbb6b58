"""The performance benchmark: the real app against a deliberately naive baseline, in one run.

    python -m bench.run [--data DIR] [--changes 210] [--baseline-changes 200] [--skip-build] [--skip-scale]
    python -m bench.run --browser-only [--with-baseline] [--browser-per-kind 3]   # the browser phase alone, ~2 min

Prints a table and writes bench/results.json. Everything listens on 127.0.0.1 only; every process it starts it
stops (by pid). A script, not a test: timings are reported, never asserted. See docs/PERFORMANCE.md.

Steps (both apps under identical gunicorn settings: 2 workers, 2 threads, --preload, --no-control-socket):
 1. cold start (spawn -> first 200), then headless Chromium: navigation -> map drawn (cold cache), filter changes
    (year, offence, sex at level 2 and level 1) -> map redrawn, and the bytes of each change as Chromium got them;
    the POST bodies the renderer sent are kept as replay templates;
 2. replay >= 200 filter changes per app over HTTP (requests, keep-alive, Accept-Encoding: gzip), each change =
    every callback the browser fires for it; bytes raw and gzip, latency median/p95;
 3. the same request bodies in-process with the app's cache switched off (cache-miss server time);
 4. throughput: wrk (Debian) replaying the recorded bodies, 2 workers, concurrent connections, error count;
 5. peak RSS per worker; 6. `python -m geo.build --out <tmp>` wall time; 7. the 10-million-row SYNTHETIC table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from bench import browser as br  # noqa: E402
from bench.dashclient import DashClient, chains_for, spreads_of  # noqa: E402
from scripts.local_services import free_port, start_gunicorn, start_redis, stop, stop_redis  # noqa: E402

APP = {"name": "app", "target": "app:server", "health": "/healthz",
       "controls": {"year": ("ctl-year", "dropdown"), "offense": ("ctl-offense", "dropdown"),
                    "sex": ("ctl-sex", "radio")}}
BASE = {"name": "baseline", "target": "bench.baseline_app:server", "health": "/",
        "controls": {"year": ("year", "dropdown"), "offense": ("offense", "dropdown"), "sex": ("sex", "radio")}}
KINDS = ("year", "offense", "sex")
TARGETS = {"kb_gzip_l2": 20.0, "bytes_ratio": 100.0, "p95_ms": 30.0, "speed_ratio": 20.0, "drawn_ms": 1500.0,
           "redrawn_ms": 300.0, "changes_per_s": 300.0, "build_s": 60.0, "scale_ms": 100.0}


# ---------------------------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(xs, q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def stats_ms(secs) -> dict:
    xs = [s * 1e3 for s in secs]
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "median_ms": round(statistics.median(xs), 2), "p95_ms": round(pct(xs, 0.95), 2),
            "max_ms": round(max(xs), 2)}


class Server:
    """gunicorn on 127.0.0.1:<free port>; stopped by its own pid."""

    def __init__(self, spec: dict, data_dir: Path, workers: int = 2, threads: int = 2, redis_url: str | None = None):
        self.spec, self.port = spec, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        t0 = time.perf_counter()
        self.proc = start_gunicorn(data_dir, self.port, workers, threads,
                                   {"REDIS_URL": redis_url} if redis_url else None, target=spec["target"],
                                   health=spec["health"], extra_args=("--timeout", "120"), timeout_s=180,
                                   poll_s=0.05)
        self.cold_start_s = time.perf_counter() - t0

    def workers(self) -> list[int]:
        try:
            txt = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            return [int(x) for x in txt.split()]
        except OSError:
            return []

    def memory(self) -> dict:
        def status(pid: int) -> dict:
            out = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(("VmHWM", "VmRSS")):
                        k, v = line.split(":")
                        out[k] = round(int(v.split()[0]) / 1024, 1)
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        out["Pss"] = round(int(line.split()[1]) / 1024, 1)
            except OSError:
                pass
            return out
        return {"master": status(self.proc.pid), "workers": [status(w) for w in self.workers()]}

    def stop(self) -> None:
        stop(self.proc)


# ---------------------------------------------------------------------------------------------------
def browser_phase(pw_browser, srv: Server, spec: dict, level2_url: str, level1_url: str | None,
                  per_kind: int, prefer: dict | None = None, colds: int = 3, phone_cpu: bool = False) -> dict:
    """Cold navigations (level 2, then level 1, each in a fresh context): `colds` of each (one cold draw varies
    by +-0.15 s on this machine; the summary gives their median); after the last, `per_kind` changes of each
    kind. `prefer`: {(level, kind, i): value} to pick the same options as another run. Then the slowed-down
    colds (`slow_cpu`; `phone` when `phone_cpu`). Also the templates."""
    res: dict = {"changes": {}, "colds": []}
    templates: dict = {}
    props: dict = {}
    for level, url in (("level2", level2_url), ("level1", level1_url)):
        for _ in range(max(colds, 1) - 1):   # the extra cold navigations: their timings only
            ctx, _page, _rec, cold = br.open_view(pw_browser, srv.base + (url or level2_url))
            ctx.close()
            res["colds"].append(cold | {"level": level})
        ctx, page, rec, cold = br.open_view(pw_browser, srv.base + (url or level2_url))
        try:
            res["colds"].append(cold | {"level": level})
            if level == "level2":
                templates, props = br.templates_of(rec)
            if url is None:   # the baseline: level 1 is a dropdown choice
                br.change_and_time(page, rec, "level", "dropdown", 1, 1)
            rows = []
            for i in range(per_kind):
                for kind in KINDS:
                    cid, widget = spec["controls"][kind]
                    want = (prefer or {}).get((level, kind, i))
                    if want is None and prefer:   # the app had no such choice at this level: its choice elsewhere
                        want = next((v for (_, k, j), v in sorted(prefer.items()) if k == kind and j == i), None)
                    rows.append({"kind": kind} | br.change_and_time(page, rec, cid, widget, i, want))
            res["changes"][level] = rows
        finally:
            ctx.close()
    # the same level-2 page and one offence change over a phone's connection (br.SLOW_LINK). A page that draws
    # no map there is a result, not a failure of the run (dcc.Graph gives up on plotly.js after 30 s)
    try:
        ctx, page, rec, cold = br.open_view(pw_browser, srv.base + level2_url, timeout_ms=120000,
                                            network=br.SLOW_LINK)
    except RuntimeError as exc:
        res["slow_link"] = {"link": br.SLOW_LINK, "error": str(exc)[:600]}
    else:
        try:
            cid, widget = spec["controls"]["offense"]
            want = (prefer or {}).get(("level2", "offense", 0))
            res["slow_link"] = {"link": br.SLOW_LINK, "cold": cold,
                                "change": {"kind": "offense"} | br.change_and_time(page, rec, cid, widget, 0, want,
                                                                                    timeout_ms=120000)}
        finally:
            ctx.close()
    # the margin: the same cold level-2 navigation with the page's CPU br.SLOW_CPU times slower (a machine half as
    # fast), and for the app a phone as Lighthouse's mobile profile has it (SLOW_LINK and br.PHONE_CPU)
    res["slow_cpu"] = []
    for _ in range(3):
        ctx, _page, _rec, cold = br.open_view(pw_browser, srv.base + level2_url, cpu_rate=br.SLOW_CPU)
        ctx.close()
        res["slow_cpu"].append(cold)
    if phone_cpu:
        try:
            ctx, _page, _rec, cold = br.open_view(pw_browser, srv.base + level2_url, timeout_ms=120000,
                                                  network=br.SLOW_LINK, cpu_rate=br.PHONE_CPU)
            ctx.close()
            res["phone"] = {"cold": cold}
        except RuntimeError as exc:
            res["phone"] = {"error": str(exc)[:600]}
    return res | {"templates": templates, "props": {f"{k[0]}.{k[1]}": v for k, v in props.items()}}


def preferred(res: dict) -> dict:
    out = {}
    for level, rows in res["changes"].items():
        seen: dict[str, int] = {}
        for r in rows:
            i = seen.get(r["kind"], 0)
            seen[r["kind"]] = i + 1
            if r.get("value") is not None:
                out[(level, r["kind"], i)] = r["value"]
    return out


def seed_props(props: dict) -> dict:
    out = {}
    for k, v in props.items():
        cid, prop = k.rsplit(".", 1)
        out[(cid, prop)] = v
    return out


def enabled(client: DashClient, cid: str) -> list:
    opts = client.props.get((cid, "options")) or []
    vals = []
    for o in opts:
        if isinstance(o, dict):
            if not o.get("disabled"):
                vals.append(o.get("value"))
        else:
            vals.append(o)
    return vals


def replay_app(srv: Server, cap: dict, n_changes: int, level_urls: dict) -> tuple[list[dict], list[dict]]:
    """n_changes filter changes (year/offence/sex in turn) split over level 2 and level 1, all with the values the
    app offers as enabled. Returns per-change rows and the list of request bodies (for wrk / in-process)."""
    rows, bodies = [], []
    for level, n in (("level2", (n_changes + 1) // 2), ("level1", n_changes // 2)):
        client = DashClient(srv.base, cap["templates"], {}, spreads=spreads_of(srv.base))
        client.seed(seed_props(cap["props"]))
        lv = 2 if level == "level2" else 1
        client.props[("url", "search")] = "?" + level_urls[level].split("?", 1)[1]
        triggers = [f"{APP['controls'][k][0]}.value" for k in KINDS] + ["ctl-level.value"]
        client.chains = chains_for(cap["templates"], triggers)
        if client.props.get(("ctl-level", "value")) != lv:
            client.change("ctl-level", lv)
        i = 0
        while sum(1 for r in rows if r["level"] == level) < n:
            kind = KINDS[i % 3]
            cid = APP["controls"][kind][0]
            cur = client.props.get((cid, "value"))
            opts = [v for v in enabled(client, cid) if v != cur]
            i += 1
            if not opts:
                if i > 30 and not any(r["level"] == level for r in rows):
                    log(f"app: no year/offence/sex choice can change at {level}: skipped")
                    break
                continue
            value = opts[(i // 3) % len(opts)]
            posts = client.change(cid, value)
            bodies.extend(json.loads(p.body) for p in posts)
            st = (client.props.get(("view-store", "data")) or {}).get("state", {})
            rows.append({"level": level, "kind": kind, "value": value, "state": st, "posts": posts})
    return rows, bodies


def replay_baseline(srv: Server, cap: dict, app_rows: list[dict], n: int, workers: int = 1) -> list[dict]:
    """The same sequence of views as the app replay (level, offence, year, sex, measure from the app's state)."""
    from concurrent.futures import ThreadPoolExecutor

    sel = app_rows[:n]

    def one(arg):
        i, row = arg
        client = DashClient(srv.base, cap["templates"], {}, keep_raw=i < 12)
        client.seed(seed_props(cap["props"]))
        client.chains = chains_for(cap["templates"], ["year.value", "offense.value", "sex.value"])
        st = row["state"]
        for k, cid in (("level", "level"), ("offense", "offense"), ("year", "year"), ("sex", "sex"),
                       ("measure", "measure")):
            if k in st:
                client.props[(cid, "value")] = st[k]
        cid = BASE["controls"][row["kind"]][0]
        posts = client.change(cid, client.props.get((cid, "value")))
        return {"level": row["level"], "kind": row["kind"], "posts": posts}

    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, enumerate(sel)))


def summarise_replay(rows: list[dict], gzip_raw: bool = False) -> dict:
    out: dict = {}
    for level in ("level2", "level1"):
        lr = [r for r in rows if r["level"] == level]
        if not lr:
            continue
        d: dict = {}
        for kind in KINDS + ("all",):
            kr = [r for r in lr if kind == "all" or r["kind"] == kind]
            if not kr:
                continue
            wire = [sum(p.wire_bytes for p in r["posts"]) for r in kr]
            raw = [sum(p.raw_bytes for p in r["posts"]) for r in kr]
            up = [sum(p.up_bytes for p in r["posts"]) for r in kr]
            mp = [p for r in kr for p in r["posts"] if _has_map(p.output)]
            e = {"n": len(kr), "wire_kb_median": round(statistics.median(wire) / 1024, 2),
                 "raw_kb_median": round(statistics.median(raw) / 1024, 2),
                 "up_kb_median": round(statistics.median(up) / 1024, 2),
                 "map_wire_kb_median": round(statistics.median([p.wire_bytes for p in mp]) / 1024, 2) if mp else None,
                 "map_raw_kb_median": round(statistics.median([p.raw_bytes for p in mp]) / 1024, 2) if mp else None,
                 "map_part_gzip_kb_median": (round(statistics.median(mg) / 1024, 2) if
                                             (mg := [p.map_gzip_bytes for p in mp if p.map_gzip_bytes]) else None),
                 "encodings": sorted({p.encoding for r in kr for p in r["posts"]}),
                 "change_time": stats_ms([sum(p.seconds for p in r["posts"]) for r in kr]),
                 "map_post_time": stats_ms([p.seconds for p in mp]),
                 "posts_per_change": round(statistics.mean(len(r["posts"]) for r in kr), 2),
                 "errors": sum(1 for r in kr for p in r["posts"] if p.status not in (200, 204)),
                 "response_cache_hits": sum(1 for r in kr for p in r["posts"] if p.cache == "hit"),
                 "change_time_response_cache_miss": stats_ms([sum(p.seconds for p in r["posts"]) for r in kr
                                                              if any(p.cache == "miss" for p in r["posts"])]),
                 "change_time_response_cache_hit": stats_ms([sum(p.seconds for p in r["posts"]) for r in kr
                                                             if r["posts"] and all(p.cache == "hit" for p in r["posts"])]),
                 "posts": sum(len(r["posts"]) for r in kr)}
            if gzip_raw:   # the baseline does not compress: what gzip would make of its bodies (a sample)
                sample = [r for r in kr if all(p.raw is not None for p in r["posts"])]
                if sample:
                    gz = [sum(len(gzip.compress(p.raw, 6)) for p in r["posts"]) for r in sample]
                    e["gzip_kb_median_if_compressed"] = round(statistics.median(gz) / 1024, 2)
                    e["gzip_sample_n"] = len(sample)
            d[kind] = e
        out[level] = d
    allp = [p for r in rows for p in r["posts"]]
    by_out: dict[str, list[float]] = {}
    for p in allp:
        by_out.setdefault(_short(p.output), []).append(p.seconds)
    out["per_callback"] = {k: stats_ms(v) for k, v in by_out.items()}
    out["all_changes"] = stats_ms([sum(p.seconds for p in r["posts"]) for r in rows])
    return out


def _has_map(output: str) -> bool:
    """The POST that carries the map figure: the app's view callback (one per change), the baseline's map."""
    return output == "map.figure" or output.startswith("..map.figure") or "...map.figure..." in output


def _short(output: str) -> str:
    first = output.strip(".").split("...")[0]
    return first.split(".")[0] if first else output


def browser_summary(res: dict) -> dict:
    """Per level, the median of its cold navigations (all of them under cold_all)."""
    levels = list(dict.fromkeys(c["level"] for c in res["colds"]))
    by = {lv: [c for c in res["colds"] if c["level"] == lv] for lv in levels}

    def med(lv: str, key: str):
        xs = [c[key] for c in by[lv] if c.get(key) is not None]
        return round(statistics.median(xs), 1) if xs else None

    out = {"cold_painted_ms": [med(lv, "painted_ms") for lv in levels],
           # the server's image of the map painted, and the map on screen (the image or plotly's, the earlier)
           "cold_static_map_ms": [med(lv, "static_map_ms") for lv in levels],
           "cold_shown_ms": [med(lv, "shown_ms") for lv in levels],
           "cold_splash_ms": [med(lv, "splash_ms") for lv in levels],
           "cold_all_shown_ms": {lv: [round(c["shown_ms"], 1) for c in by[lv] if c.get("shown_ms")] for lv in levels},
           "cold_afterplot_ms": [med(lv, "afterplot_ms") for lv in levels],
           # the previous measure (the start of the frame after the one that shows the map): bench/browser.py
           "cold_next_frame_ms": [med(lv, "next_frame_ms") for lv in levels],
           "cold_dom_content_loaded_ms": [med(lv, "dom_content_loaded_ms") for lv in levels],
           "cold_levels": levels, "cold_areas": [min(c["areas"] for c in by[lv]) for lv in levels],
           "cold_n": [len(by[lv]) for lv in levels],
           "cold_all_painted_ms": {lv: [round(c["painted_ms"], 1) for c in by[lv]] for lv in levels},
           "cold_event": [by[lv][-1].get("event") for lv in levels],
           "cold_kb_transferred": [by[lv][-1].get("kb_transferred_to_map") for lv in levels],
           "page_errors": [e for c in res["colds"] for e in c["errors"]]}
    if res.get("slow_link"):
        sl = res["slow_link"]
        ch = sl.get("change") or {}
        if "error" in sl:
            out["slow_link"] = {"link": sl["link"], "error": sl["error"]}
        else:
            out["slow_link"] = {
                "link": sl["link"], "cold_painted_ms": round(sl["cold"]["painted_ms"], 1),
                "cold_static_map_ms": round(sl["cold"]["static_map_ms"], 1) if sl["cold"].get("static_map_ms")
                else None,
                "cold_splash_ms": round(sl["cold"]["splash_ms"], 1) if sl["cold"].get("splash_ms") else None,
                "cold_next_frame_ms": round(sl["cold"].get("next_frame_ms") or 0, 1),
                "cold_kb_transferred": sl["cold"].get("kb_transferred_to_map"),
                "cold_areas": sl["cold"]["areas"],
                "change_painted_ms": round(ch["redraw_painted_ms"], 1) if "redraw_painted_ms" in ch else None,
                "change_down_kb": round(sum(p["down"] or 0 for p in ch.get("posts", [])) / 1024, 2),
                "change_note": ch.get("error") or ch.get("skipped")}
    if res.get("slow_cpu"):
        sc = res["slow_cpu"]
        out["slow_cpu"] = {"rate": br.SLOW_CPU, "level": "level2", "n": len(sc),
                           "cold_painted_ms": round(statistics.median(c["painted_ms"] for c in sc), 1),
                           "cold_shown_ms": round(statistics.median(c["shown_ms"] for c in sc), 1),
                           "cold_all_painted_ms": [round(c["painted_ms"], 1) for c in sc]}
    if res.get("phone"):
        ph = res["phone"]
        out["phone"] = ({"link": br.SLOW_LINK, "cpu_rate": br.PHONE_CPU, "error": ph["error"]} if "error" in ph else
                        {"link": br.SLOW_LINK, "cpu_rate": br.PHONE_CPU,
                         "cold_painted_ms": round(ph["cold"]["painted_ms"], 1),
                         "cold_shown_ms": round(ph["cold"]["shown_ms"], 1),
                         "cold_splash_ms": round(ph["cold"]["splash_ms"], 1) if ph["cold"].get("splash_ms") else None})
    for level, rows in res["changes"].items():
        d = {}
        for kind in KINDS:
            kr = [r for r in rows if r["kind"] == kind and "redraw_painted_ms" in r]
            if not kr:
                d[kind] = {"skipped": [r.get("skipped") or r.get("error") for r in rows if r["kind"] == kind]}
                continue
            d[kind] = {"n": len(kr),
                       "redraw_painted_ms_median": round(statistics.median(r["redraw_painted_ms"] for r in kr), 1),
                       "redraw_painted_ms_max": round(max(r["redraw_painted_ms"] for r in kr), 1),
                       "redraw_afterplot_ms_median": round(statistics.median(r["redraw_afterplot_ms"] for r in kr), 1),
                       "redraw_next_frame_ms_median": round(statistics.median(r.get("redraw_next_frame_ms", 0)
                                                                              for r in kr), 1),
                       # the trend, ranking and headline (applied after the map is painted): the last change seen
                       "panels_ms_median": (round(statistics.median(pm), 1)
                                            if (pm := [r["panels_ms"] for r in kr if r.get("panels_ms")]) else None),
                       "down_kb_median": round(statistics.median(sum(p["down"] or 0 for p in r["posts"]) for r in kr)
                                               / 1024, 2),
                       "up_kb_median": round(statistics.median(sum(p["up"] or 0 for p in r["posts"]) for r in kr)
                                             / 1024, 2),
                       "encodings": sorted({p["encoding"] for r in kr for p in r["posts"]}),
                       "posts": round(statistics.mean(len(r["posts"]) for r in kr), 1)}
            errs = [r.get("error") for r in rows if r["kind"] == kind and r.get("error")]
            if errs:
                d[kind]["errors"] = errs
        out[level] = d
    return out


# ---------------------------------------------------------------------------------------------------
def run_wrk(base: str, bodies: list[dict], seconds: int, conns: int) -> dict:
    if not shutil.which("wrk"):
        return {"error": "wrk not installed (apt-get install wrk)"}
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for b in bodies:
            f.write(json.dumps(b, separators=(",", ":")) + "\n")
        path = f.name
    try:
        cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "--latency",
               "-s", str(BENCH / "wrk_replay.lua"), base]
        p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, BENCH_BODIES=path),
                           timeout=seconds + 60)
    finally:
        os.unlink(path)
    txt = p.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", txt).group(1)) if "Requests/sec" in txt else 0.0
    total = int(re.search(r"(\d+) requests in", txt).group(1)) if "requests in" in txt else 0
    non2xx = int(re.search(r"Non-2xx or 3xx responses: (\d+)", txt).group(1)) if "Non-2xx" in txt else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", txt)
    sock_err = sum(int(x) for x in sock.groups()) if sock else 0
    lat = {m.group(1): m.group(2) for m in re.finditer(r"\s+(50|90|99)%\s+([\d.]+\w+)", txt)}
    return {"requests_per_s": rps, "requests": total, "non_2xx": non2xx, "socket_errors": sock_err,
            "latency": lat, "connections": conns, "seconds": seconds, "stdout": txt[-1500:]}


def inproc(data_dir: Path, bodies: list[dict]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for b in bodies:
            f.write(json.dumps(b, separators=(",", ":")) + "\n")
        path = f.name
    try:
        env = dict(os.environ, OBS_DATA_DIR=str(data_dir), OBS_DEBUG="0")
        env.pop("REDIS_URL", None)
        p = subprocess.run([sys.executable, "-m", "bench.inproc", path], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
        if p.returncode:
            return {"error": p.stderr[-2000:]}
        times = json.loads(p.stdout.strip().splitlines()[-1])
        return {_short(k): stats_ms(v) for k, v in times.items()}
    finally:
        os.unlink(path)


def geo_build() -> dict:
    out = Path(tempfile.mkdtemp(prefix="observatorio-build-"))
    try:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "geo.build", "--out", str(out / "processed")], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
        wall = time.perf_counter() - t0
        return {"wall_s": round(wall, 1), "returncode": p.returncode,
                "tail": (p.stderr or p.stdout)[-600:] if p.returncode else ""}
    except subprocess.TimeoutExpired:
        return {"wall_s": None, "error": "timeout after 900 s"}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def scale(units_path: Path) -> dict:
    p = subprocess.run([sys.executable, "-m", "bench.synthetic", "--units", str(units_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    if p.returncode:
        return {"error": p.stderr[-2000:]}
    return json.loads(p.stdout)


# ---------------------------------------------------------------------------------------------------
def verdicts(r: dict) -> list[dict]:
    T = TARGETS
    out = []

    def add(name, value, target, op, unit, note=""):
        if value is None:
            out.append({"target": name, "value": None, "goal": f"{op} {target} {unit}", "met": None, "note": note})
            return
        met = value <= target if op == "<=" else value >= target
        margin = (target / value if op == "<=" else value / target) if value else float("inf")
        out.append({"target": name, "value": round(value, 2), "goal": f"{op} {target} {unit}", "met": met,
                    "factor": round(margin, 2), "note": note})

    a, b = r.get("replay", {}).get("app", {}), r.get("replay", {}).get("baseline", {})
    a2 = a.get("level2", {}).get("all", {})
    b2 = b.get("level2", {}).get("all", {})
    add("KB gzip per change, level 2 region (every POST of the change)", a2.get("wire_kb_median"), T["kb_gzip_l2"], "<=", "KB")
    if a2 and b2:
        bgz = b2.get("gzip_kb_median_if_compressed") or b2.get("wire_kb_median")
        add("bytes ratio baseline/app (gzip, level 2, whole chain)", bgz / a2["wire_kb_median"], T["bytes_ratio"],
            ">=", "x")
        add("bytes ratio baseline raw (as it serves) / app gzip", b2["wire_kb_median"] / a2["wire_kb_median"],
            T["bytes_ratio"], ">=", "x")
        if a2.get("map_part_gzip_kb_median"):   # like with like: the baseline's answer is its map figure alone
            add("bytes ratio baseline/app, the map's outputs alone (both gzip, level 2)",
                bgz / a2["map_part_gzip_kb_median"], T["bytes_ratio"], ">=", "x",
                f"app map part {a2['map_part_gzip_kb_median']} KB of {a2['wire_kb_median']} KB per change")
        add("server p95 per change, all changes of the first pass (HTTP, cache as deployed)",
            a2["change_time"]["p95_ms"], T["p95_ms"], "<=", "ms",
            f"{a2.get('response_cache_hits', 0)} of {a2.get('posts', 0)} POSTs were response-cache hits")
        miss = a2.get("change_time_response_cache_miss") or {}
        if miss.get("n"):
            add("server p95 per change, view not answered before (response-cache miss, HTTP)", miss["p95_ms"],
                T["p95_ms"], "<=", "ms", f"n = {miss['n']}; query memo as deployed")
        r2 = r.get("replay", {}).get("app_repeat", {}).get("level2", {}).get("all", {})
        if r2:
            add("server p95 per change, repeated views (HTTP, response cache as deployed)",
                r2["change_time"]["p95_ms"], T["p95_ms"], "<=", "ms",
                f"{r2.get('response_cache_hits', 0)} of {r2.get('posts', 0)} POSTs were hits")
        add("speed ratio baseline/app (median, whole chain)",
            b2["change_time"]["median_ms"] / a2["change_time"]["median_ms"], T["speed_ratio"], ">=", "x")
    ip = r.get("inproc_uncached", {})
    ipv = ip.get("url") or ip.get("map") if isinstance(ip, dict) else None
    if ipv:
        add("server p95 per change, no cache at all (in-process)", ipv["p95_ms"], T["p95_ms"], "<=", "ms")
    bro = r.get("browser", {}).get("app", {})
    if bro and "cold_painted_ms" not in bro:   # the browser phase failed: say so instead of crashing
        add("map drawn after navigation (cold: median per level, worse level)", None, T["drawn_ms"], "<=", "ms",
            f"browser phase failed: {bro.get('error', 'no timings')}")
    elif bro:
        drawn = [t for t, n in zip(bro["cold_painted_ms"], bro.get("cold_areas", [])) if n]
        undrawn = [lv for lv, n in zip(bro.get("cold_levels", []), bro.get("cold_areas", [])) if not n]
        shown = [t for t, n in zip(bro.get("cold_shown_ms") or [], bro.get("cold_areas", [])) if n and t]
        if shown and (bro.get("cold_static_map_ms") or [None])[0]:
            add("map on screen after navigation (cold; the server's image: median per level, worse level)",
                max(shown), T["drawn_ms"], "<=", "ms", "core/static_map.py, replaced by plotly's map below")
        add("interactive map drawn after navigation (cold; plotly: median per level, worse level)",
            max(drawn) if drawn else None, T["drawn_ms"], "<=", "ms",
            f"no areas drawn in time at: {undrawn}" if undrawn else "")
        reds = [v["redraw_painted_ms_max"] for lv in ("level2", "level1") for v in bro.get(lv, {}).values()
                if isinstance(v, dict) and "redraw_painted_ms_max" in v]
        meds = [v["redraw_painted_ms_median"] for lv in ("level2", "level1") for v in bro.get(lv, {}).values()
                if isinstance(v, dict) and "redraw_painted_ms_median" in v]
        add("map redrawn after a change (median of kinds' medians)", statistics.median(meds) if meds else None,
            T["redrawn_ms"], "<=", "ms")
        add("map redrawn after a change (worst)", max(reds) if reds else None, T["redrawn_ms"], "<=", "ms")
    th = r.get("throughput", {}).get("app", {})
    if th and "changes_per_s" in th:
        add("filter changes/s, 2 workers", th["changes_per_s"], T["changes_per_s"], ">=", "/s",
            f"errors: {th.get('non_2xx', 0) + th.get('socket_errors', 0)}")
    gb = r.get("geo_build", {})
    if gb:
        add("python -m geo.build wall time", gb.get("wall_s") if gb.get("returncode") == 0 else None,
            T["build_s"], "<=", "s", gb.get("tail", "")[-200:])
    sc = r.get("scale", {})
    if isinstance(sc, dict) and "app" in sc:
        add("10M-row query, app code (core.query.map_table)", sc["app"]["p95_ms"], T["scale_ms"], "<=", "ms (p95)")
        add("10M-row query, pre-grouped", sc["pandas_pregrouped"]["p95_ms"], T["scale_ms"], "<=", "ms (p95)")
        if isinstance(sc.get("duckdb_parquet"), dict):
            add("10M-row query, DuckDB over Parquet", sc["duckdb_parquet"]["p95_ms"], T["scale_ms"], "<=", "ms (p95)")
    return out


def print_table(r: dict) -> None:
    print("\n=== Observatorio benchmark", r["meta"]["date"], "data:", r["meta"]["data_dir"],
          f"({r['meta']['data_kind']})", "load average:", [round(x[1][0], 1) for x in r["meta"]["loadavg"]])
    print(f"{'figure':64s} {'value':>10s}  {'goal':>14s}  met   factor")
    for v in r["verdicts"]:
        val = "n/a" if v["value"] is None else f"{v['value']:.2f}"
        met = "—" if v["met"] is None else ("yes" if v["met"] else "NO")
        print(f"{v['target'][:64]:64s} {val:>10s}  {v['goal']:>14s}  {met:4s}  {v.get('factor', '')}")
    print()


def print_browser(r: dict) -> None:
    for name in ("app", "baseline"):
        bro = r.get("browser", {}).get(name)
        if not bro:
            continue
        if "error" in bro:
            print(f"{name}: browser phase failed: {bro['error'][:600]}")
            continue
        nf = bro.get("cold_next_frame_ms") or [None] * len(bro["cold_levels"])
        for lv, ms, n, kb, nx in zip(bro["cold_levels"], bro["cold_painted_ms"], bro["cold_areas"],
                                     bro.get("cold_kb_transferred") or [None] * len(bro["cold_levels"]), nf):
            st = dict(zip(bro["cold_levels"], bro.get("cold_static_map_ms") or [])).get(lv)
            if st:
                print(f"{name} {lv}: the server's image of the map painted (cold, median) {st:,.0f} ms")
            print(f"{name} {lv}: map drawn after navigation (cold, median of {len(bro.get('cold_all_painted_ms', {}).get(lv, [1]))})"
                  f" {ms:,.0f} ms painted, {n} areas"
                  + (f", {kb:,.0f} KB transferred until then" if kb else "")
                  + (f"; next frame at {nx:,.0f} ms" if nx else ""))
        sl = bro.get("slow_link")
        if sl and "error" in sl:
            print(f"{name} level2 over a phone's link (150 ms RTT, 1.6 Mbit/s down): map NOT drawn: {sl['error'][:300]}")
        elif sl:
            print(f"{name} level2 over a phone's link (150 ms RTT, 1.6 Mbit/s down): "
                  + (f"the first screen with the map {sl['cold_splash_ms']:,.0f} ms, " if sl.get("cold_splash_ms") else "")
                  + (f"the server's image {sl['cold_static_map_ms']:,.0f} ms, " if sl.get("cold_static_map_ms") else "")
                  + f"map drawn (cold) {sl['cold_painted_ms']:,.0f} ms; an offence change redrawn "
                  + (f"{sl['change_painted_ms']:,.0f} ms ({sl['change_down_kb']:.1f} KB)" if sl["change_painted_ms"]
                     is not None else f"n/a ({sl['change_note']})"))
        sc = bro.get("slow_cpu")
        if sc:
            print(f"{name} level2 with the CPU {sc['rate']}x slower (median of {sc['n']} cold navigations): map on "
                  f"screen {sc['cold_shown_ms']:,.0f} ms, interactive {sc['cold_painted_ms']:,.0f} ms")
        ph = bro.get("phone")
        if ph and "error" in ph:
            print(f"{name} level2 as a phone (slow 4G, CPU {ph['cpu_rate']}x slower): map NOT drawn: {ph['error'][:300]}")
        elif ph:
            print(f"{name} level2 as a phone (slow 4G, CPU {ph['cpu_rate']}x slower): map on screen "
                  f"{ph['cold_shown_ms']:,.0f} ms, interactive {ph['cold_painted_ms']:,.0f} ms")
        for lv in ("level2", "level1"):
            for kind, v in (bro.get(lv) or {}).items():
                if "redraw_painted_ms_median" in v:
                    print(f"{name} {lv} {kind:8s}: redrawn, median {v['redraw_painted_ms_median']:,.0f} ms painted "
                          f"(max {v['redraw_painted_ms_max']:,.0f}, afterplot {v['redraw_afterplot_ms_median']:,.0f},"
                          f" n={v['n']}); panels beside it updated at "
                          + (f"{v['panels_ms_median']:,.0f} ms" if v.get("panels_ms_median") else "n/a"))
                else:
                    print(f"{name} {lv} {kind:8s}: {v}")


def main() -> None:
    ap = argparse.ArgumentParser(description="Observatorio benchmark: app vs naive baseline")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("OBS_DATA_DIR") or ROOT / "data" / "processed"))
    ap.add_argument("--changes", type=int, default=210, help="replayed filter changes for the app (>= 200)")
    ap.add_argument("--baseline-changes", type=int, default=30,
                    help="replayed changes for the baseline (~4 s each on 2 cores: 200 take ~7 min)")
    ap.add_argument("--baseline-clients", type=int, default=2,
                    help="baseline replay in N parallel clients (one per worker) to fit the time budget")
    ap.add_argument("--browser-per-kind", type=int, default=3)
    # 5: the median of 3 moved by ~0.1 s between runs of the same code (round 10); the baseline keeps 3 (~4 s each)
    ap.add_argument("--colds", type=int, default=5, help="cold navigations per level (their median is reported)")
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--wrk-connections", type=int, default=8)
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--browser-only", action="store_true",
                    help="only the browser phase (cold draw at level 2 and 1, filter changes -> redraw), ~2 min; "
                         "the app only unless --with-baseline; writes bench/results_browser.json unless --out")
    ap.add_argument("--with-baseline", action="store_true", help="with --browser-only: the baseline's page too")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-redis", action="store_true",
                    help="no shared cache: each gunicorn worker keeps its own (the default starts a redis-server "
                         "on loopback and gives the app REDIS_URL, as deployed)")
    args = ap.parse_args()
    if args.browser_only:
        args.skip_build = args.skip_scale = True
        args.skip_baseline = not args.with_baseline
    if args.out is None:
        args.out = BENCH / ("results_browser.json" if args.browser_only else "results.json")

    data_dir = args.data.resolve()
    if not (data_dir / "units.parquet").is_file() or not (data_dir / "facts.parquet").is_file():
        raise SystemExit(f"no processed data in {data_dir} (units.parquet, facts.parquet); pass --data DIR")
    kind = "fixture" if "fixture" in str(data_dir) or "obsfix" in str(data_dir) else "processed"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    r: dict = {"meta": {"date": dt.datetime.now().isoformat(timespec="seconds"), "data_dir": str(data_dir),
                        "data_kind": kind, "commit": commit, "python": platform.python_version(),
                        "cpus": os.cpu_count(), "machine": platform.machine(),
                        "gunicorn": "2 workers x 2 threads, --preload, --no-control-socket, 127.0.0.1",
                        "loadavg": [["start", os.getloadavg()]]}}
    t_start = time.perf_counter()
    from playwright.sync_api import sync_playwright

    app_urls = {"level2": "/?country=region&level=2&lang=es", "level1": "/?country=region&level=1&lang=es"}
    specs = [APP] + ([] if args.skip_baseline else [BASE])
    prefer: dict = {}
    servers: dict[str, Server] = {}
    caps: dict[str, dict] = {}
    # the app's shared cache as deployed (REDIS_URL); a throw-away redis-server on loopback
    redis = None if args.no_redis else start_redis(maxmemory="256mb")
    r["meta"]["app_cache"] = ("Redis on loopback, shared by the workers (REDIS_URL)" if redis else
                              "per-worker SimpleCache (no REDIS_URL)")
    r["cold_start"], r["browser"], r["replay"], r["throughput"], r["memory"] = {}, {}, {}, {}, {}
    try:
        with sync_playwright() as pw:
            b = br.launch(pw)
            for spec in specs:
                log(f"{spec['name']}: starting gunicorn")
                srv = servers[spec["name"]] = Server(spec, data_dir,
                                                     redis_url=redis["url"] if redis and spec is APP else None)
                r["cold_start"][spec["name"]] = {"spawn_to_healthy_s": round(srv.cold_start_s, 2)}
                log(f"{spec['name']}: healthy in {srv.cold_start_s:.2f} s; browser")
                r["meta"]["loadavg"].append([spec["name"] + " browser", os.getloadavg()])
                try:
                    if spec is APP:
                        res = browser_phase(b, srv, spec, app_urls["level2"], app_urls["level1"],
                                            args.browser_per_kind, colds=args.colds, phone_cpu=True)
                        prefer = preferred(res)
                    else:
                        try:
                            res = browser_phase(b, srv, spec, "/", None, 1, prefer, colds=min(args.colds, 3))
                        except Exception as exc:
                            # the naive app's first page can fail on Dash's first-request race (a page script
                            # answered 404/500 while Dash registers its files: docs/DASHBOARD.md); said, and tried
                            # once more on the now-warm server
                            log(f"{spec['name']}: browser phase failed ({exc!r}"[:300] + "); once more")
                            r["meta"].setdefault("retries", []).append([spec["name"] + " browser", repr(exc)[:500]])
                            res = browser_phase(b, srv, spec, "/", None, 1, prefer, colds=min(args.colds, 3))
                except Exception as exc:   # report, and capture templates without timing so the rest can run
                    log(f"{spec['name']}: browser phase failed: {exc!r}"[:400])
                    r["browser"][spec["name"]] = {"error": repr(exc)[:3000]}
                    if args.browser_only:
                        continue
                    ctx, page, rec, _ = br.open_view(b, srv.base + (app_urls["level2"] if spec is APP else "/"),
                                                     timeout_ms=600000)
                    t, p = br.templates_of(rec)
                    ctx.close()
                    res = {"templates": t, "props": {f"{k[0]}.{k[1]}": v for k, v in p.items()}}
                caps[spec["name"]] = {"templates": res["templates"], "props": res["props"]}
                if "changes" in res:
                    r["browser"][spec["name"]] = browser_summary(res)
                    r["browser"][spec["name"] + "_raw"] = {"changes": res["changes"], "colds": res["colds"],
                                                           "slow_link": res.get("slow_link"),
                                                           "slow_cpu": res.get("slow_cpu"),
                                                           "phone": res.get("phone")}
            b.close()

        if not args.browser_only:
            r["meta"]["loadavg"].append(["replay", os.getloadavg()])
            log(f"app: replaying {args.changes} filter changes over HTTP")
            app_rows, bodies = replay_app(servers["app"], caps["app"], args.changes, app_urls)
            r["replay"]["app"] = summarise_replay(app_rows)
            r["replay"]["app"]["sequence"] = [{"level": x["level"], "kind": x["kind"], "value": x["value"]}
                                              for x in app_rows[:30]]
            # the same changes again: views this server has answered before (the response cache as deployed)
            log("app: the same filter changes again (repeated views)")
            again, _ = replay_app(servers["app"], caps["app"], args.changes, app_urls)
            r["replay"]["app_repeat"] = summarise_replay(again)
            if "baseline" in servers:
                n = min(args.baseline_changes, len(app_rows))
                # same views as the app (alternating levels so that both appear in a short run)
                l2 = [x for x in app_rows if x["level"] == "level2"]
                l1 = [x for x in app_rows if x["level"] == "level1"]
                mixed = [x for pair in zip(l2, l1) for x in pair]
                log(f"baseline: replaying {n} filter changes ({args.baseline_clients} clients)")
                t0 = time.perf_counter()
                brows = replay_baseline(servers["baseline"], caps["baseline"], mixed, n, args.baseline_clients)
                r["replay"]["baseline"] = summarise_replay(brows, gzip_raw=True)
                r["replay"]["baseline"]["clients"] = args.baseline_clients
                r["replay"]["baseline"]["wall_s"] = round(time.perf_counter() - t0, 1)

            r["meta"]["loadavg"].append(["inproc", os.getloadavg()])
            log("app: cache-miss server time in-process")
            r["inproc_uncached"] = inproc(data_dir, bodies[:250])   # a sample: ~0.15 s per body uncached

            r["meta"]["loadavg"].append(["wrk", os.getloadavg()])
            log("throughput: wrk")
            th = run_wrk(servers["app"].base, bodies, args.wrk_seconds, args.wrk_connections)
            per_change = len(bodies) / max(1, len(app_rows))
            if "requests_per_s" in th:
                th["posts_per_change"] = round(per_change, 2)
                th["changes_per_s"] = round(th["requests_per_s"] / per_change, 1)
            r["throughput"]["app"] = th
            if "baseline" in servers:
                bb = [json.loads(p.body) for row in brows[:40] for p in row["posts"]]
                thb = run_wrk(servers["baseline"].base, bb, min(args.wrk_seconds, 10), 4)
                if "requests_per_s" in thb:
                    thb["changes_per_s"] = round(thb["requests_per_s"], 2)
                r["throughput"]["baseline"] = thb
        for name, srv in servers.items():
            r["memory"][name] = srv.memory()
    finally:
        for srv in servers.values():
            srv.stop()
        if redis:
            stop_redis(redis)

    if not args.skip_build:
        log("python -m geo.build (into a temporary folder)")
        r["geo_build"] = geo_build()
    if not args.skip_scale:
        log("10-million-row SYNTHETIC table")
        r["scale"] = scale(data_dir / "units.parquet")
    r["meta"]["loadavg"].append(["end", os.getloadavg()])
    r["meta"]["bench_wall_s"] = round(time.perf_counter() - t_start, 1)
    r["verdicts"] = verdicts(r)
    args.out.write_text(json.dumps(r, indent=1, default=str, ensure_ascii=False))
    print_table(r)
    print_browser(r)
    log(f"wrote {args.out} in {r['meta']['bench_wall_s']} s")


if __name__ == "__main__":
    main()
