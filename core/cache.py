"""Memoisation of plain query results (never figures): flask-caching SimpleCache by default, RedisCache when
REDIS_URL is set. A cache failure (Redis down) falls back to computing the value: the app keeps answering."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_cache: Any = None


def init_cache(server, redis_url: str | None, timeout: int = 3600) -> None:
    """Attach a flask-caching cache to the Flask server."""
    global _cache
    from flask_caching import Cache

    if redis_url:
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url, "CACHE_DEFAULT_TIMEOUT": timeout,
                  "CACHE_KEY_PREFIX": "obs:", "CACHE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}}
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_THRESHOLD": 2000}
    cache = Cache(config=config)
    cache.init_app(server)
    with server.app_context():
        _cache = cache.cache   # the backend object: usable outside an app context


def reset_cache() -> None:
    global _cache
    _cache = None


def memo(name: str, key: tuple, fn: Callable[[], T]) -> T:
    """fn() memoised under (name, key). Values must be picklable plain data."""
    if _cache is None:
        return fn()
    k = name + ":" + hashlib.sha1(repr(key).encode("utf-8")).hexdigest()
    try:
        hit = _cache.get(k)
    except Exception as exc:  # cache backend down: compute
        log.warning("cache get failed (%s): computing", exc)
        return fn()
    if hit is not None:
        return hit
    value = fn()
    try:
        _cache.set(k, value)
    except Exception as exc:
        log.warning("cache set failed (%s)", exc)
    return value
