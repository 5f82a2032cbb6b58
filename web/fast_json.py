"""Dash's callback answers encoded without plotly's slow walk over every element (issue 6).

Dash encodes each answer with plotly's `to_json_plotly`, which first tries `orjson.dumps` on the value and, when
that raises (any Dash component in the answer makes it raise), walks every element of the answer through
`clean_to_json_compatible`: ~10 ms of a ~30 ms level-2 answer, ranking rows and grey-area ids included. Here the
components (anything with `to_plotly_json`, as the walk itself does) are turned into plain dicts first, so the
first, direct `orjson.dumps` succeeds; a value orjson cannot take still falls back to plotly's walk. The bytes are
the same as Dash's own (tests/test_fast_json.py compares them on the app's answers), in ~2 ms.

`install()` replaces the encoder Dash's callback module uses, only on the Dash version it was checked against
(requirements.txt pins it); on any other version Dash's own encoder stays and a warning says so.
"""
from __future__ import annotations

import logging
from typing import Any

import dash
from dash import _callback, _utils
from plotly.io.json import to_json_plotly

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


def to_json(value: Any) -> str:
    """What `dash._utils.to_json` returns for `value`, without the walk when orjson can take the plain form."""
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
