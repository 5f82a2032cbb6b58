"""web/response_cache.py: whole answers of pure callbacks kept and replayed byte for byte; anything else passes."""
from __future__ import annotations

import io
import json

import pytest

from web.response_cache import MAX_BODY, ResponseCache


class App:
    """A WSGI app that counts its calls and answers with what the test sets."""

    def __init__(self):
        self.calls = 0
        self.status = "200 OK"
        self.seen: list[bytes] = []

    def __call__(self, environ, start_response):
        self.calls += 1
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.seen.append(body)
        start_response(self.status, [("Content-Type", "application/json"), ("Content-Encoding", "gzip"),
                                     ("Set-Cookie", "never=kept"), ("Content-Security-Policy", "default-src 'self'")])
        return [b'{"n": ', str(self.calls).encode(), b"}"]


@pytest.fixture
def stack():
    store: dict = {}
    version = {"v": "2026-11-26 (abc)"}
    app = App()
    mw = ResponseCache(app, store.get, store.__setitem__, lambda: version["v"], lambda out: out.startswith("..url"))
    return mw, app, store, version


def call(mw, body: bytes, path="/_dash-update-component", method="POST", enc="gzip"):
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = status, dict(headers)

    chunks = mw({"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_LENGTH": str(len(body)),
                 "HTTP_ACCEPT_ENCODING": enc, "wsgi.input": io.BytesIO(body)}, start_response)
    sent = b"".join(chunks)
    if hasattr(chunks, "close"):   # as a WSGI server does once the body is sent (PEP 3333)
        chunks.close()
    return out["status"], out["headers"], sent


def body(output="..url.search...map.figure..", search="?year=2022") -> bytes:
    return json.dumps({"output": output, "inputs": [{"id": "url", "property": "search", "value": search}]}).encode()


def test_second_identical_request_is_served_from_the_cache(stack):
    mw, app, store, _ = stack
    s1, h1, b1 = call(mw, body())
    s2, h2, b2 = call(mw, body())
    assert app.calls == 1 and (s1, b1) == (s2, b2) == ("200 OK", b'{"n": 1}')
    assert h1["X-Obs-Cache"] == "miss" and h2["X-Obs-Cache"] == "hit"
    assert h2["Content-Encoding"] == "gzip" and h2["Content-Length"] == str(len(b2))
    assert h2["Content-Security-Policy"] == "default-src 'self'" and "Set-Cookie" not in h2
    assert app.seen == [body()]   # the app read the very bytes the middleware had read


def test_key_has_body_encoding_and_data_version(stack):
    mw, app, store, version = stack
    call(mw, body())
    call(mw, body(search="?year=2021"))            # another view
    call(mw, body(), enc="br")                     # another encoding: other bytes
    version["v"] = "2026-12-01 (def)"              # new data: nothing old is served
    call(mw, body())
    assert app.calls == 4 and len(store) == 4


def test_only_pure_callbacks_and_only_200(stack):
    mw, app, store, _ = stack
    call(mw, body(output="embed-code.value"))
    call(mw, body(output="embed-code.value"))
    assert app.calls == 2 and not store
    app.status = "400 BAD REQUEST"
    call(mw, body())
    call(mw, body())
    assert app.calls == 4 and not store


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b'{"output": ["..url"]}', b'"..url"', b"\xff\xfe"])
def test_malformed_bodies_go_to_the_app(stack, raw):
    mw, app, store, _ = stack
    status, _, _ = call(mw, raw)
    assert status == "200 OK" and app.calls == 1 and not store


def test_other_routes_and_large_bodies_pass(stack):
    mw, app, store, _ = stack
    call(mw, body(), path="/api/v1/facts")
    call(mw, body(), method="GET")
    big = json.dumps({"output": "..url.search..", "pad": "x" * MAX_BODY}).encode()
    call(mw, big)
    assert app.calls == 3 and not store


def test_a_failing_cache_is_never_the_users_problem():
    app = App()

    def boom(*_a):
        raise RuntimeError("cache down")

    mw = ResponseCache(app, lambda k: None, lambda k, v: None, boom, lambda out: True)
    assert call(mw, body())[0] == "200 OK"
    assert app.calls == 1


def _get(mw, path, query="", enc="gzip", extra=None):
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = status, dict(headers)

    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "HTTP_ACCEPT_ENCODING": enc,
           "wsgi.input": io.BytesIO(b"")} | (extra or {})
    body = b"".join(mw(env, start_response))
    return out["status"], out["headers"], body


def test_static_files_are_compressed_once_per_process():
    from web.response_cache import StaticCache

    app = App()
    mw = StaticCache(app, max_bytes=1000)
    a = _get(mw, "/assets/app.css", "m=1")
    b = _get(mw, "/assets/app.css", "m=1")
    assert app.calls == 1 and a[2] == b[2] and b[1]["X-Obs-Cache"] == "hit" and "Set-Cookie" not in b[1]
    _get(mw, "/assets/app.css", "m=1", enc="br")          # another encoding: its own bytes
    _get(mw, "/assets/app.css", "m=2")                    # another version
    _get(mw, "/_dash-layout")                             # not a static file: always the app
    _get(mw, "/_dash-layout")
    _get(mw, "/assets/app.css", "m=1", extra={"HTTP_IF_NONE_MATCH": '"x"'})   # conditional: the app answers
    assert app.calls == 6
    app.status = "404 NOT FOUND"
    _get(mw, "/assets/nope.css")
    _get(mw, "/assets/nope.css")
    assert app.calls == 8                                 # errors are never kept
    assert mw.size <= 1000


def test_writes_happen_after_the_answer_is_sent(stack):
    """The answer of a view never seen is written to the cache when the server closes the body it has sent
    (PEP 3333: close() after the last byte), not before the answer leaves."""
    mw, app, store, _ = stack
    out = {}
    chunks = mw({"REQUEST_METHOD": "POST", "PATH_INFO": "/_dash-update-component", "CONTENT_LENGTH": str(len(body())),
                 "HTTP_ACCEPT_ENCODING": "gzip", "wsgi.input": io.BytesIO(body())},
                lambda status, headers, exc_info=None: out.update(status=status))
    assert b"".join(chunks) == b'{"n": 1}' and out["status"] == "200 OK"
    assert store == {}                      # sent, not yet closed: nothing written
    chunks.close()
    assert len(store) == 1
    chunks.close()                          # a second close writes nothing again
    assert len(store) == 1


def test_the_apps_own_writes_are_deferred_with_the_answer():
    """`defer` collects the app's cache writes while it answers; `flush` does them after the answer is sent."""
    from core import cache

    done: list = []
    flushed: list = []

    def app_(environ, start_response):
        with cache.request_scope():
            scope = cache._REQUEST.get()
            scope["new"]["k"] = "v"      # what memo() puts there for a piece computed in this request
        start_response("200 OK", [("Content-Type", "application/json")])
        done.append(True)
        return [b"{}"]

    store: dict = {}
    mw = ResponseCache(app_, store.get, store.__setitem__, lambda: "v1", lambda out: True,
                       defer=cache.writes_after_answer, flush=lambda pending: flushed.extend(pending))
    chunks = mw({"REQUEST_METHOD": "POST", "PATH_INFO": "/_dash-update-component", "CONTENT_LENGTH": str(len(body())),
                 "HTTP_ACCEPT_ENCODING": "gzip", "wsgi.input": io.BytesIO(body())}, lambda *a: None)
    assert done and flushed == [] and store == {}
    assert cache._PENDING.get() is None     # the collecting ended with the answer
    chunks.close()
    assert flushed == [{"k": "v"}] and len(store) == 1


def test_a_failing_write_after_the_answer_is_logged_not_raised(caplog):
    def boom(key, value):
        raise RuntimeError("cache down")
    mw = ResponseCache(App(), lambda k: None, boom, lambda: "v1", lambda out: True)
    chunks = mw({"REQUEST_METHOD": "POST", "PATH_INFO": "/_dash-update-component", "CONTENT_LENGTH": str(len(body())),
                 "HTTP_ACCEPT_ENCODING": "gzip", "wsgi.input": io.BytesIO(body())}, lambda *a: None)
    assert b"".join(chunks) == b'{"n": 1}'
    chunks.close()
    assert "write after the answer failed" in caplog.text
