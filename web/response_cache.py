"""Whole-response cache for the Dash callback endpoint (a WSGI middleware around the Flask app).

A Dash callback is a pure function of its request body: the body names the callback (`output`), carries every
input and state value and the changed property ids. The main view callback (callbacks.main.update_view) reads
nothing else (no cookie, no header, no clock), so for a given data version the same body always gets the same
answer. This middleware keeps the final bytes of that answer, **already compressed** (the response as
flask-compress and the security headers left it), under

    sha256(data version | Accept-Encoding | body)

in the shared cache of core.cache (Redis when REDIS_URL is set: every gunicorn instance on every machine shares
it; else a per-process SimpleCache). A repeated filter change then costs a hash and a lookup instead of Dash's
dispatch, the queries, the JSON and the compression.

Only callbacks `cacheable` accepts are cached (by their output string); only 200 answers; only bodies up to
MAX_BODY bytes and answers up to MAX_ANSWER bytes. A cache failure is never the user's problem: it is logged
and the request goes to the app. Responses carry `X-Obs-Cache: hit|miss` (the benchmark counts them).
"""
from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import orjson

log = logging.getLogger(__name__)
PATH_SUFFIX = "/_dash-update-component"
MAX_BODY = 64 * 1024
MAX_ANSWER = 2 * 1024 * 1024
KEPT_HEADERS = {"content-type", "content-encoding", "vary", "content-security-policy", "x-content-type-options",
                "referrer-policy", "x-frame-options"}


def call_and_collect(app: Callable, environ: dict, start_response: Callable,
                     extra_headers: list | None = None) -> tuple[str, list, bytes]:
    """Run the WSGI `app`, passing its status and headers (plus `extra_headers`) on to `start_response`, and
    return (status, headers, whole body) so that the caller can keep them."""
    captured: dict = {"status": "", "headers": []}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return start_response(status, headers + (extra_headers or []), exc_info)

    chunks = app(environ, capture)
    try:
        payload = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], payload


class AfterSend(list):
    """A WSGI body (a list of byte strings) whose close() runs `after` once: WSGI servers call close() after the
    last byte has been written (PEP 3333), so what `after` does is not part of the answer's time. `after` must
    not raise (the cache's writes never do); if it does, it is logged, never passed to the server."""

    def __init__(self, body: list, after: Callable[[], None]):
        super().__init__(body)
        self._after: Callable[[], None] | None = after

    def close(self) -> None:
        after, self._after = self._after, None
        if after is not None:
            try:
                after()
            except Exception:   # noqa: BLE001 - the answer is already sent: say so, never fail the server
                log.exception("write after the answer failed")


class ResponseCache:
    """WSGI middleware. `get(key)` / `set(key, value)` reach the cache (core.cache.cache_get / cache_set: they
    never raise); `version()` the data version (part of every key); `cacheable(output)` says whether the
    callback named by a body's `output` string may be cached."""

    def __init__(self, app: Callable, get: Callable[[str], Any], set: Callable[[str, Any], None],
                 version: Callable[[], str], cacheable: Callable[[str], bool],
                 defer: Callable[[], Any] | None = None, flush: Callable[[list], None] | None = None):
        self.app = app
        self.get = get
        self.set = set
        self.version = version
        self.cacheable = cacheable
        # `defer()`: a context manager collecting the app's own cache writes into the list it yields, `flush(list)`
        # does them (core.cache.writes_after_answer / write_pending); both done after the answer is sent
        self.defer = defer
        self.flush = flush

    def __call__(self, environ: dict, start_response: Callable):
        if environ.get("REQUEST_METHOD") != "POST" or not str(environ.get("PATH_INFO", "")).endswith(PATH_SUFFIX):
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length <= 0 or length > MAX_BODY:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)     # the app reads the same bytes
        key = self._key(body, environ)
        if key is None:
            return self.app(environ, start_response)
        hit = self.get(key)
        if isinstance(hit, tuple) and len(hit) == 3:
            status, headers, payload = hit
            start_response(status, headers + [("Content-Length", str(len(payload))), ("X-Obs-Cache", "hit")])
            return [payload]

        with (self.defer() if self.defer is not None else nullcontext([])) as pending:
            status, headers, payload = call_and_collect(self.app, environ, start_response, [("X-Obs-Cache", "miss")])
        kept = None
        if status.startswith("200") and len(payload) <= MAX_ANSWER:
            kept = (status, [(k, v) for k, v in headers if k.lower() in KEPT_HEADERS], payload)

        def after_send() -> None:   # the writes, once the server has sent the answer (it calls close() then)
            if pending and self.flush is not None:
                self.flush(pending)
            if kept is not None:
                self.set(key, kept)
        return AfterSend([payload], after_send)

    def _key(self, body: bytes, environ: dict) -> str | None:
        try:
            output = orjson.loads(body).get("output")
        except (orjson.JSONDecodeError, AttributeError):
            return None
        if not isinstance(output, str) or not self.cacheable(output):
            return None
        try:
            version = self.version()
        except Exception:       # no data: nothing to cache (the app answers with its own message)
            return None
        h = hashlib.sha256()
        for part in (version.encode("utf-8"), str(environ.get("HTTP_ACCEPT_ENCODING", "")).encode("latin-1"),
                     body):
            h.update(part)
            h.update(b"\0")
        return "resp:" + h.hexdigest()


class StaticCache:
    """WSGI middleware: the final (compressed) answers of GETs for the app's static files, kept in this process.

    flask-compress compresses every response it sends; for plotly.js (4.6 MB) that is ~0.4 s of CPU on *every*
    first visit, on the 2 cores that also answer the filter changes. The files under `prefixes` are fingerprinted
    or versioned by Dash (`?m=<mtime>`, `.v4_4_1m<mtime>.js`), so their answers never change while the process
    lives: keep each 200 answer per (path, query, Accept-Encoding), up to `max_bytes` in all. Conditional and
    range requests go to the app (it answers 304/206 itself)."""

    def __init__(self, app: Callable, prefixes: tuple[str, ...] = ("/_dash-component-suites/", "/assets/"),
                 max_bytes: int = 64 * 1024 * 1024):
        import threading

        self.app = app
        self.prefixes = prefixes
        self.max_bytes = max_bytes
        self.store: dict[tuple, tuple] = {}
        self.size = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable):
        path = str(environ.get("PATH_INFO", ""))
        if (environ.get("REQUEST_METHOD") != "GET" or not path.startswith(self.prefixes)
                or any(h in environ for h in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE"))):
            return self.app(environ, start_response)
        key = (path, environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_ENCODING", ""))
        hit = self.store.get(key)
        if hit is not None:
            status, headers, payload = hit
            start_response(status, headers + [("X-Obs-Cache", "hit")])
            return [payload]
        status, headers, payload = call_and_collect(self.app, environ, start_response)
        if status.startswith("200"):
            kept = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
            with self.lock:
                if self.size + len(payload) <= self.max_bytes and key not in self.store:
                    self.store[key] = (status, kept, payload)
                    self.size += len(payload)
        return [payload]
