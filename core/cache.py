"""Memoisation of plain query results (never figures): flask-caching SimpleCache by default, RedisCache when
REDIS_URL is set. A cache failure (Redis down) falls back to a local in-process SimpleCache (and Redis is not
tried again for REDIS_RETRY_S seconds, so a dead Redis costs one failed call, not one per lookup): the app keeps
answering."""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_cache: Any = None
_local: Any = None          # used while the shared (Redis) cache is failing
_down_until = 0.0
REDIS_RETRY_S = 5.0


ROOT = Path(__file__).resolve().parent.parent
# the code whose output the cache holds: the pieces of a view (core), the answers (callbacks, layouts, web) and the
# browser code that reads them (assets: a Patch names the map's traces by position, a store's shape is agreed)
CODE = ("app.py", "core", "callbacks", "layouts", "web", "assets")


@lru_cache(maxsize=4)
def code_version(root: Path = ROOT) -> str:
    """12 hex of a digest of the app's code (the .py and .js files under CODE). Part of every shared cache key:
    the keys otherwise name only the data version, and Redis outlives a deployment, so a new version of the code
    would be served the previous one's answers and pieces (a map Patch for another order of traces, a payload
    without a field) for up to the cache's timeout. Instances of the same code still share everything."""
    h = hashlib.sha1()
    files = []
    for name in CODE:
        p = root / name
        files += [p] if p.is_file() else [f for f in p.rglob("*") if f.suffix in (".py", ".js") and f.is_file()]
    for f in sorted(files):
        h.update(f.relative_to(root).as_posix().encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def init_cache(server, redis_url: str | None, timeout: int = 3600) -> None:
    """Attach a flask-caching cache to the Flask server (with Redis, keys under `obs:<code_version>:`)."""
    global _cache, _local
    from flask_caching import Cache
    from flask_caching.backends import SimpleCache

    if redis_url:
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url, "CACHE_DEFAULT_TIMEOUT": timeout,
                  "CACHE_KEY_PREFIX": f"obs:{code_version()}:",
                  "CACHE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}}
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_THRESHOLD": 2000}
    cache = Cache(config=config)
    cache.init_app(server)
    with server.app_context():
        _cache = cache.cache   # the backend object: usable outside an app context
    _local = SimpleCache(threshold=2000, default_timeout=timeout) if redis_url else None


def reset_cache() -> None:
    global _cache
    _cache = None


def _backend() -> Any:
    """The shared cache, or the local fallback while the shared one is failing."""
    if _local is not None and time.monotonic() < _down_until:
        return _local
    return _cache


def _failed(exc: Exception, what: str) -> None:
    global _down_until
    if _local is not None:
        _down_until = time.monotonic() + REDIS_RETRY_S
    log.warning("cache %s failed (%s): local fallback", what, exc)


def cache_get(key: str) -> Any:
    """The cached value under `key`, or None (missing, no cache, or the backend failing: then the local
    fallback is asked)."""
    backend = _backend()
    if backend is None:
        return None
    try:
        return backend.get(key)
    except Exception as exc:  # cache backend down: the local fallback
        _failed(exc, "get")
        return _local.get(key) if _local is not None else None


def cache_set(key: str, value: Any) -> None:
    """Store `value` (picklable) under `key`; a failing backend falls back to the local cache, never raises."""
    backend = _backend()
    if backend is None:
        return
    try:
        backend.set(key, value)
    except Exception as exc:
        _failed(exc, "set")
        if _local is not None:
            _local.set(key, value)


# One request asks for some pieces twice (the map payload for the map and for the export metadata, the headline
# for the text and the sentence, the trend for the chart and the event list). Inside `request_scope()` the second
# ask is answered from the request's own dict: not a second round trip to Redis and an unpickled copy (~0.3 ms
# each). Inside the scope, `prefetch` reads the pieces a view will ask for in one round trip (MGET), and the
# pieces computed are written in one round trip when the scope ends (a pipeline): a view never seen cost ~5 ms
# of Redis round trips before (9 reads that missed, 9 writes). Nothing is kept after the request.
_REQUEST: ContextVar[dict | None] = ContextVar("observatorio_memo_request", default=None)
_ABSENT = object()   # prefetched and not in the cache: compute without asking again


@contextmanager
def request_scope():
    """Share memo's values between the calls of one request (core.view.one_view opens it). Callers treat memo's
    values as read-only (as they already must: without a cache, a per-view piece is one shared object)."""
    if _REQUEST.get() is not None:   # nested: the outer scope serves
        yield
        return
    scope: dict = {"values": {}, "new": {}}
    token = _REQUEST.set(scope)
    try:
        yield
    finally:
        _REQUEST.reset(token)
        if scope["new"]:
            pending = _PENDING.get()
            if pending is not None:      # inside writes_after_answer: written once the answer has been sent
                pending.append(scope["new"])
            else:
                _set_many(scope["new"])


# A view never seen writes its pieces (~1 ms with Redis: pickling and a round trip) and the response cache its
# answer (~0.5 ms) before the answer could leave. web/response_cache.ResponseCache collects the pieces' writes
# with `writes_after_answer()` and does them with `write_pending` after the answer has been sent (the WSGI
# iterable's close(), which the server calls once the body is out): the reader of the next request may miss them
# for that moment and compute the piece again, nothing worse.
_PENDING: ContextVar[list | None] = ContextVar("observatorio_memo_pending", default=None)


@contextmanager
def writes_after_answer():
    """Inside: the request scopes' writes are collected in the yielded list instead of done (write_pending does
    them). The list outlives the block; the collecting does not."""
    pending: list = []
    token = _PENDING.set(pending)
    try:
        yield pending
    finally:
        _PENDING.reset(token)


def write_pending(pending: list) -> None:
    """Do the writes `writes_after_answer` collected (never raises: a failing backend falls back as usual)."""
    for values in pending:
        _set_many(values)
    pending.clear()


def _key(name: str, key: tuple) -> str:
    return name + ":" + hashlib.sha1(repr(key).encode("utf-8")).hexdigest()


def prefetch(names: list[str], key: tuple) -> None:
    """Inside request_scope: read the pieces (name, key) of each name in one round trip, so that memo does not
    ask for them one by one. Outside a scope, or without a cache, it does nothing."""
    scope = _REQUEST.get()
    backend = _backend()
    if scope is None or backend is None:
        return
    keys = [_key(n, key) for n in names if _key(n, key) not in scope["values"]]
    if not keys:
        return
    try:
        found = backend.get_many(*keys)
    except Exception as exc:  # cache backend down: memo asks the local fallback one by one
        _failed(exc, "get_many")
        return
    for k, v in zip(keys, found):
        scope["values"][k] = _ABSENT if v is None else v


def _set_many(values: dict) -> None:
    backend = _backend()
    if backend is None:
        return
    try:
        backend.set_many(values)
    except Exception as exc:
        _failed(exc, "set_many")
        if _local is not None:
            _local.set_many(values)


def memo(name: str, key: tuple, fn: Callable[[], T]) -> T:
    """fn() memoised under (name, key). Values must be picklable plain data."""
    if _cache is None:
        return fn()
    k = _key(name, key)
    scope = _REQUEST.get()
    if scope is None:
        hit = cache_get(k)
        if hit is None:
            hit = fn()
            cache_set(k, hit)
        return hit
    hit = scope["values"].get(k)
    if hit is None:          # not asked in this request yet
        hit = cache_get(k)
    if hit is None or hit is _ABSENT:
        hit = fn()
        scope["new"][k] = hit   # written when the request's scope ends, with the others
    scope["values"][k] = hit
    return hit
