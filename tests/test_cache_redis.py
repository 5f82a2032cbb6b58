"""The query cache shared through a real Redis (REDIS_URL), and the app still answering when Redis goes away.

A real `redis-server` (Debian package, installed by scripts/test.sh) is started on a free loopback port with
persistence off. What the issue requires: several gunicorn instances (several machines) share memoised query
results through one Redis; a Redis failure never takes the dashboard down (the value is computed instead).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.local_services import start_redis, stop_redis

ROOT = Path(__file__).resolve().parent.parent



def cache_code() -> str:
    """The code version the app's Redis keys carry (core.cache.code_version)."""
    from core.cache import code_version
    return code_version()

@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on loopback (scripts/local_services.py), with a client to look inside it."""
    import redis

    server = start_redis(tmp_path)
    assert server, "redis-server is not installed (scripts/test.sh installs the Debian package)"
    client = redis.Redis.from_url(server["url"], socket_timeout=1)
    yield server | {"client": client}
    stop_redis(server)


@pytest.fixture
def restore_cache():
    """The cache backend is a module global (core.cache._cache): put back whatever other tests had."""
    from core import cache
    saved = cache._cache
    yield cache
    cache._cache = saved


def _map_keys(client) -> list[bytes]:
    return sorted(client.keys(f"obs:{cache_code()}:map:*"))


# A real app process (a fresh interpreter: Dash hands its callbacks to the first app a process creates), driven
# through stdin: one JSON command a line -> one JSON answer a line. It counts the calls of view.map_view, i.e. the
# map payloads it had to compute rather than take from the cache.
DRIVER = r"""
import json, sys
import app
from core import cache, view
calls = []
_orig = view.map_view
def _counted(*a, **k):
    calls.append(1)
    return _orig(*a, **k)
view.map_view = _counted
client = app.server.test_client()
deps = client.get("/_dash-dependencies").get_json()
view_dep = next(d for d in deps if d["output"].startswith("..url.search..."))

def view_body(search):
    # the body the Dash renderer POSTs for the main view callback (one per filter change)
    names = view_dep["output"][2:-2].split("...")
    return {"output": view_dep["output"],
            "outputs": [dict(zip(("id", "property"), n.rsplit(".", 1))) for n in names],
            "inputs": [dict(i, value=search if i["id"] == "url" else None) for i in view_dep["inputs"]],
            "state": [dict(s, value=None) for s in view_dep["state"]], "changedPropIds": ["url.search"]}

print(json.dumps({"ready": True, "backend": type(cache._cache).__name__}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    n0 = len(calls)
    if cmd["op"] == "view":
        # buffered: the body read and closed, as a WSGI server does once it is sent (the cache's writes of a
        # new view happen then: web/response_cache.AfterSend)
        r = client.post("/_dash-update-component", json=view_body(cmd["search"]), buffered=True)
        fig = r.get_json(silent=True) or {}
        out = {"status": r.status_code, "computed": len(calls) - n0, "cache": r.headers.get("X-Obs-Cache"),
               "map": (fig.get("response") or {}).get("map")}
    else:
        r = client.get(cmd["path"])
        out = {"status": r.status_code}
    print(json.dumps(out), flush=True)
"""


class AppProcess:
    def __init__(self, data_dir: Path, redis_url: str):
        env = dict(os.environ, REDIS_URL=redis_url, OBS_DATA_DIR=str(data_dir), OBS_DEBUG="0")
        self.proc = subprocess.Popen([sys.executable, "-c", DRIVER], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.hello = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("app process died: " + self.proc.stderr.read()[-3000:])
        return json.loads(line)

    def view(self, search: str) -> dict:
        self.proc.stdin.write(json.dumps({"op": "view", "search": search}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def get(self, path: str) -> dict:
        self.proc.stdin.write(json.dumps({"op": "get", "path": path}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def app_processes(fixture_dir, redis_server):
    made: list[AppProcess] = []

    def make() -> AppProcess:
        p = AppProcess(fixture_dir, redis_server["url"])
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()


def test_two_cache_objects_share_one_entry(redis_server, restore_cache):
    """Two flask-caching backends made by core.cache.init_cache on one REDIS_URL: what one stored, the other
    reads (no recomputation)."""
    from flask import Flask

    cache = restore_cache
    cache.init_cache(Flask("a"), redis_server["url"], 600)
    backend_a = cache._cache
    cache.init_cache(Flask("b"), redis_server["url"], 600)
    backend_b = cache._cache
    assert backend_a is not backend_b
    assert type(backend_a).__name__ == type(backend_b).__name__ == "RedisCache"

    value = {"ids": ["CR-SJ", "CR-A"], "z": [1, 0], "hovertext": ["Tasa: 18,8", "Tasa: 15,0"]}
    cache._cache = backend_a
    assert cache.memo("map", ("test", 1), lambda: value) == value
    assert redis_server["client"].keys(f"obs:{cache_code()}:map:*"), "nothing stored under obs:<code version>:"

    def must_not_compute():
        raise AssertionError("recomputed although the entry is in Redis")

    cache._cache = backend_b
    assert cache.memo("map", ("test", 1), must_not_compute) == value


def test_a_request_reads_its_pieces_in_one_round_trip_and_writes_them_in_one(redis_server, restore_cache):
    """Inside request_scope, prefetch reads every piece of a view with one MGET, memo then asks Redis nothing
    more, and what was computed is written with one pipeline when the scope ends (commands counted by Redis)."""
    from flask import Flask

    cache = restore_cache
    cache.init_cache(Flask("a"), redis_server["url"], 600)
    r = redis_server["client"]
    cache.memo("series", ("v", 1), lambda: {"old": 1})            # one piece is in Redis already
    r.config_resetstat()
    backend, writes = cache._cache, []
    set_one, set_many = backend.set, backend.set_many
    backend.set = lambda *a, **k: writes.append(("set", a[0])) or set_one(*a, **k)
    backend.set_many = lambda mapping, *a, **k: writes.append(("set_many", sorted(mapping))) or set_many(mapping, *a, **k)
    names = ["map", "series", "ranking"]
    with cache.request_scope():
        cache.prefetch(names, ("v", 1))
        got = [cache.memo(n, ("v", 1), lambda n=n: {"new": n}) for n in names]
        got.append(cache.memo("map", ("v", 1), lambda: {"again": 1}))   # asked twice: the first value
        assert not r.keys(f"obs:{cache_code()}:map:*")                            # not written before the scope ends
    assert got == [{"new": "map"}, {"old": 1}, {"new": "ranking"}, {"new": "map"}]
    stats = r.info("commandstats")
    assert stats["cmdstat_mget"]["calls"] == 1 and "cmdstat_get" not in stats
    assert [w[0] for w in writes] == ["set_many"] and len(writes[0][1]) == 2    # map and ranking, together

    def must_not_compute():
        raise AssertionError("recomputed although the entry is in Redis")

    assert cache.memo("ranking", ("v", 1), must_not_compute) == {"new": "ranking"}   # written for others
    assert cache.memo("map", ("v", 1), must_not_compute) == {"new": "map"}


def test_two_app_processes_share_the_query_cache(redis_server, app_processes, fixture_dir):
    """Two app processes (two gunicorn instances, possibly on two machines) with one REDIS_URL: the second
    answers the view callback from what the first stored (the whole response, and the query results)."""
    first, second = app_processes(), app_processes()
    assert first.hello["backend"] == second.hello["backend"] == "RedisCache"
    r1 = first.view("?country=region&level=1&lang=es")
    assert r1["status"] == 200 and r1["computed"] == 1 and r1["cache"] == "miss"
    assert _map_keys(redis_server["client"]), "the map payload was not stored in Redis"
    assert redis_server["client"].keys(f"obs:{cache_code()}:resp:*"), "the response was not stored in Redis"
    r2 = second.view("?country=region&level=1&lang=es")
    assert r2["status"] == 200 and r2["cache"] == "hit"
    assert r2["computed"] == 0, "the second app process recomputed: the cache is not shared through Redis"
    assert r2["map"] == r1["map"]
    # another view the second process has not seen: the query results the first stored are reused
    redis_server["client"].delete(*redis_server["client"].keys(f"obs:{cache_code()}:resp:*"))
    r3 = second.view("?country=region&level=1&lang=es")
    assert r3["cache"] == "miss" and r3["computed"] == 0 and r3["map"] == r1["map"]


def test_app_answers_when_redis_stops(redis_server, app_processes, fixture_dir):
    """Redis goes away mid-way: the callbacks and the routes still answer (values computed, no error)."""
    app = app_processes()
    r1 = app.view("?country=region&level=1&lang=es")
    assert r1["status"] == 200 and r1["computed"] == 1
    again = app.view("?country=region&level=1&lang=es")
    assert again["computed"] == 0 and again["cache"] == "hit"          # served from Redis
    assert _map_keys(redis_server["client"])

    redis_server["proc"].terminate()
    redis_server["proc"].wait(timeout=10)

    r2 = app.view("?country=region&level=1&lang=es")
    assert r2["status"] == 200, r2
    assert r2["computed"] == 1, "with Redis down the value must be computed"
    assert r2["map"] == r1["map"]
    r3 = app.view("?country=region&level=0&lang=en")
    assert r3["status"] == 200 and r3["map"]["figure"]["data"]
    assert app.get("/healthz")["status"] == 200


def test_keys_carry_the_code_version(redis_server, restore_cache, tmp_path):
    """Redis outlives a deployment and the keys otherwise name only the data version: a new version of the code
    must not be served the previous one's pieces and answers. The prefix is obs:<code_version>:, and the version
    changes with any .py/.js file of the app's code and with nothing else."""
    from flask import Flask

    from core.cache import code_version
    cache = restore_cache
    cache.init_cache(Flask("a"), redis_server["url"], 600)
    cache.memo("map", ("code", 1), lambda: {"v": 1})
    keys = [k.decode() for k in redis_server["client"].keys("obs:*:map:*")]
    assert keys and all(k.startswith(f"obs:{code_version()}:map:") for k in keys)

    (tmp_path / "core").mkdir()
    (tmp_path / "assets").mkdir()
    (tmp_path / "core" / "view.py").write_text("A = 1\n")
    (tmp_path / "assets" / "20_panels.js").write_text("var a = 1;\n")
    (tmp_path / "README.md").write_text("notes\n")
    first = code_version.__wrapped__(tmp_path)
    (tmp_path / "README.md").write_text("other notes\n")             # not code
    (tmp_path / "assets" / "20_panels.js.br").write_bytes(b"x")       # a compressed copy, not code
    assert code_version.__wrapped__(tmp_path) == first
    (tmp_path / "assets" / "20_panels.js").write_text("var a = 2;\n")  # the browser's code
    second = code_version.__wrapped__(tmp_path)
    (tmp_path / "core" / "view.py").write_text("A = 2\n")            # the server's
    assert len({first, second, code_version.__wrapped__(tmp_path)}) == 3
