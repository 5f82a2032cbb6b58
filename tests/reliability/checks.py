"""Assertions shared by the fuzz tests: no reflected markup, no unsafe links in a callback response."""
from __future__ import annotations

import json

UNSAFE_LINK_PROPS = {"href", "src", "action", "formAction", "data"}


def assert_no_raw_markup(body: str, payloads: list[str]) -> None:
    """No generated markup (`<...`) appears unescaped in an HTML/CSV/text body."""
    for p in payloads:
        if "<" in p and len(p) >= 3:
            assert p not in body, f"payload reflected raw: {p[:60]!r}"
    assert "<script>alert" not in body and "onerror=alert" not in body


def walk_props(node, path=()):
    """(prop name, value) for every dict entry in a JSON tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from walk_props(v, path + (k,))
    elif isinstance(node, list):
        for v in node:
            yield from walk_props(v, path)


def assert_safe_callback_response(data: bytes) -> None:
    """A callback answer: JSON; no javascript: links, no raw HTML switched on, links only to our own paths."""
    doc = json.loads(data)
    for k, v in walk_props(doc):
        if k in UNSAFE_LINK_PROPS and isinstance(v, str):
            low = v.strip().lower()
            assert not low.startswith(("javascript:", "data:", "vbscript:")), (k, v[:80])
            assert "<" not in v and '"' not in v, (k, v[:80])
        if k in ("dangerously_allow_html", "dangerouslySetInnerHTML"):
            assert not v, (k, v)
