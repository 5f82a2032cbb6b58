"""Short digests of what the browser shows, so that a view sends only what differs from it.

The page keeps, in small stores, the digest of its controls' options (`options-shown`), of the panels beside the
map (`panels-shown`), of the trend's layout (`series-shown`) and of the map's areas (`map-meta`); they go up
with each change and the view callback compares them with the new values' (docs/PERFORMANCE.md, rounds 2, 7, 8).
"""
from __future__ import annotations

import hashlib
from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _as_json(obj: Any) -> Any:
    """orjson's `default`: a Dash component (anything with `to_plotly_json`) as its JSON form."""
    to_json = getattr(obj, "to_plotly_json", None)
    if to_json is None:
        raise TypeError(type(obj).__name__)
    return to_json()


def digest(value: Any, n: int = 8) -> str:
    """The first `n` hex of the sha1 of `value`'s JSON (keys sorted; Dash components as their JSON form)."""
    return hashlib.sha1(orjson.dumps(value, default=_as_json, option=_OPTIONS)).hexdigest()[:n]


def to_send(values: list, shown: object) -> tuple[list[bool], str]:
    """([whether each value must go to the browser], the digest of `values`: 8 hex per value, joined by '.').
    `shown` is the digest of the values the browser shows (from the browser): a value whose digest is there at
    its place need not go again; anything but a digest of as many values sends every value."""
    keys = [digest(v) for v in values]
    old = shown.split(".") if isinstance(shown, str) else []
    old = old if len(old) == len(keys) else [""] * len(keys)
    return [k != o for k, o in zip(keys, old)], ".".join(keys)
