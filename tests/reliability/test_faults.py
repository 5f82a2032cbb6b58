"""Faults while serving, against gunicorn on 127.0.0.1 (bounded in time and count):

* a worker killed with SIGKILL under a stream of concurrent requests: the master replaces it, /healthz answers
  200 afterwards, and the only failures are requests in flight at the kill (at most one per client);
* Redis (REDIS_URL, a real redis-server started here) stopped while serving: the page, a filter-change callback
  and the CSV keep answering 200 from the local fallback cache (core/cache.py).
"""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import requests

from scripts.local_services import free_port, start_gunicorn, stop
from tests.reliability.figures import record
from tests.test_cache_redis import redis_server  # noqa: F401  (fixture: a real redis-server on loopback)

CLIENTS = 8
STREAM_S = 10.0
GETS = ["/healthz", "/?country=region&level=1&lang=es", "/download/view.csv?country=region&level=1",
        "/geo/level-1.json?country=region", "/api/v1/facts?limit=20", "/metodologia"]


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _deps(base: str) -> dict:
    return {d["output"]: d for d in requests.get(base + "/_dash-dependencies", timeout=30).json()}


def sync_body(deps: dict, search: str, changed: str = "url.search", values: dict | None = None) -> dict:
    """The body the renderer POSTs for the view callback (URL + controls + map click, map meta as State ->
    URL, controls, view store and every panel of the page)."""
    dep = next(d for k, d in deps.items() if "view-store.data" in k and "url.search" in k)
    names = dep["output"][2:-2].split("...")
    inputs = []
    for i in dep["inputs"]:
        v = search if (i["id"], i["property"]) == ("url", "search") else (values or {}).get(i["id"])
        inputs.append(dict(i, value=v))
    return {"output": dep["output"], "outputs": [dict(zip(("id", "property"), n.rsplit(".", 1))) for n in names],
            "inputs": inputs, "state": [dict(s, value=None) for s in dep["state"]], "changedPropIds": [changed]}


def filter_change(base: str, deps: dict, search: str, session=requests) -> list[int]:
    """A filter change as the browser does it: one POST of the view callback, which returns the map too."""
    r = session.post(base + "/_dash-update-component", json=sync_body(deps, search), timeout=60)
    if r.status_code == 200:
        resp = r.json()["response"]
        assert resp["view-store"]["data"]["state"] and resp["map"]["figure"]
    return [r.status_code]


def test_worker_killed_under_load(fixture_dir) -> None:
    port = free_port()
    proc = start_gunicorn(fixture_dir, port, workers=2, threads=2)
    base = f"http://127.0.0.1:{port}"
    try:
        # /healthz may answer from the first worker before the master has forked the second: wait for both
        deadline = time.time() + 30
        before = children(proc.pid)
        while len(before) < 2 and time.time() < deadline:
            time.sleep(0.2)
            before = children(proc.pid)
        assert len(before) == 2, before
        ok, failed, lock = [0], [], threading.Lock()
        stop_at = time.time() + STREAM_S

        def client(n: int) -> None:
            i = n
            s = requests.Session()
            while time.time() < stop_at:
                path = GETS[i % len(GETS)]
                i += 1
                try:
                    r = s.get(base + path, timeout=30)
                    good = r.status_code == 200
                except requests.RequestException as exc:
                    good, r = False, exc
                with lock:
                    if good:
                        ok[0] += 1
                    else:
                        failed.append((path, getattr(r, "status_code", repr(r)[:120])))

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(STREAM_S / 3)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        for t in threads:
            t.join(timeout=STREAM_S + 60)
        assert not any(t.is_alive() for t in threads)

        deadline = time.time() + 30
        while time.time() < deadline:
            now = children(proc.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.2)
        now = children(proc.pid)
        assert len(now) == 2 and victim not in now, f"the master did not replace worker {victim}: {now}"
        assert proc.poll() is None
        assert requests.get(base + "/healthz", timeout=10).status_code == 200
        total = ok[0] + len(failed)
        assert ok[0] > 50, f"too few requests served: {ok[0]}"
        # only requests in flight on the killed worker may fail: at most one per client
        assert len(failed) <= CLIENTS, failed
        assert not [f for f in failed if isinstance(f[1], int) and f[1] >= 500], failed
        record("faults", worker_kill={"requests": total, "failed": len(failed), "in_flight_bound": CLIENTS,
                                      "clients": CLIENTS, "seconds": STREAM_S})
    finally:
        stop(proc)


def test_redis_stopped_while_serving(fixture_dir, redis_server) -> None:  # noqa: F811
    port = free_port()
    proc = start_gunicorn(fixture_dir, port, workers=2, threads=2, extra_env={"REDIS_URL": redis_server["url"]})
    base = f"http://127.0.0.1:{port}"
    try:
        deps = _deps(base)
        searches = ["?country=region&level=1&lang=es", "?country=region&level=0&lang=en",
                    "?country=region&level=1&sex=female&lang=es", "?country=region&level=1&lang=en"]

        def round_of(search: str) -> list[tuple[str, int]]:
            out = [("page", requests.get(base + "/" + search, timeout=60).status_code)]
            out += [("callback", s) for s in filter_change(base, deps, search)]
            r = requests.get(base + "/download/view.csv" + search, timeout=60)
            out.append(("csv", r.status_code))
            assert r.status_code != 200 or r.text.strip(), "empty CSV"
            out.append(("healthz", requests.get(base + "/healthz", timeout=10).status_code))
            return out

        for s in searches[:2]:
            assert all(code == 200 for _, code in round_of(s))
        assert redis_server["client"].keys("obs:*"), "the app did not use Redis"

        redis_server["proc"].terminate()
        redis_server["proc"].wait(timeout=10)

        after = []
        t0 = time.time()
        for _ in range(3):
            for s in searches:   # values cached in Redis before the stop, and new ones
                after += round_of(s)
        errors = [a for a in after if a[1] != 200]
        assert not errors, errors
        assert proc.poll() is None
        record("faults", redis_stop={"requests_after_stop": len(after), "errors": len(errors),
                                     "seconds_after_stop": round(time.time() - t0, 1)})
    finally:
        stop(proc)


def test_cache_falls_back_to_local_when_shared_cache_fails(monkeypatch) -> None:
    """Unit view of the Redis fallback: a failing shared backend -> values kept in the local cache, and the shared
    one is not retried on every lookup."""
    from flask_caching.backends import SimpleCache

    from core import cache

    class Down:
        calls = 0

        def get(self, _k):
            Down.calls += 1
            raise ConnectionError("redis down")

        set = get

    monkeypatch.setattr(cache, "_cache", Down())
    monkeypatch.setattr(cache, "_local", SimpleCache())
    monkeypatch.setattr(cache, "_down_until", 0.0)
    computed = []
    for _ in range(5):
        assert cache.memo("t", ("k",), lambda: computed.append(1) or {"v": 1}) == {"v": 1}
    assert len(computed) == 1 and Down.calls == 1
