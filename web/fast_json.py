"""Dash's callback answers encoded without plotly's slow walk over every element (issue 6).

Dash encodes each answer with plotly's `to_json_plotly`, which first tries `orjson.dumps` on the value and, when
that raises (any Dash component in the answer makes it raise), walks every element of the answer through
`clean_to_json_compatible`: ~10 ms of a ~30 ms level-2 answer, ranking rows and grey-area ids included. Here
plotly's direct path runs with orjson's `default` hook turning each component (anything with `to_plotly_json`, as
the walk itself does) into its JSON form as orjson meets it: ~1 ms for a level-2 answer. (Round 4 turned the
components into dicts with a walk in Python first, `plain`: ~2-3 ms; it is now only the fallback.) A value orjson
cannot take still goes through plotly's own walk. The bytes are the same as Dash's own (tests/test_fast_json.py
compares them on the app's answers).

`install()` replaces the encoder Dash's callback module uses, only on the Dash version it was checked against
(requirements.txt pins it); on any other version Dash's own encoder stays and a warning says so.
"""
from __future__ import annotations

import logging
from typing import Any

import dash
from dash import _callback, _utils
from plotly.io.json import config as plotly_json_config
from plotly.io.json import to_json_plotly

try:   # plotly's own escaping of its orjson output (plotly.io._json, the version pinned in requirements.txt)
    import orjson
    from plotly.io._json import _safe, _swap_orjson
    _OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
except ImportError:   # pragma: no cover - another plotly: the plain walk and plotly's encoder
    _safe = _swap_orjson = None

log = logging.getLogger(__name__)
CHECKED_DASH = "4.4.1"


def plain(value: Any) -> Any:
    """The value with every object that has `to_plotly_json` replaced by that JSON form, recursively."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    as_json = getattr(value, "to_plotly_json", None)
    if as_json is not None:
        return plain(as_json())
    return value


def _component(obj: Any) -> Any:
    """orjson's `default`: a Dash component (or Patch) as its JSON form; anything else is not ours to encode."""
    as_json = getattr(obj, "to_plotly_json", None)
    if as_json is None:
        raise TypeError(type(obj).__name__)
    return as_json()


def to_json(value: Any) -> str:
    """What `dash._utils.to_json` returns for `value`: plotly's direct orjson path (the same options and
    escaping), with orjson calling `_component` for the components it meets instead of a walk in Python over
    every element (`plain`: ~3 ms of a never-seen view's answer). A value orjson cannot take even so goes
    through `plain` and plotly's own encoder, as before."""
    if _safe is not None and plotly_json_config.default_engine in ("auto", "orjson"):
        try:
            top = value.to_plotly_json() if hasattr(value, "to_plotly_json") else value
            return _safe(orjson.dumps(top, default=_component, option=_OPTS).decode("utf8"), _swap_orjson)
        except TypeError:
            pass
    return to_json_plotly(plain(value))


def install() -> bool:
    """Make Dash's callback answers use `to_json`; True if installed (or already), False if left alone."""
    if _callback.to_json is to_json:
        return True
    if dash.__version__ != CHECKED_DASH or _callback.to_json is not _utils.to_json:
        log.warning("web.fast_json: Dash %s is not the version checked (%s): its own encoder is kept",
                    dash.__version__, CHECKED_DASH)
        return False
    _callback.to_json = to_json
    return True
