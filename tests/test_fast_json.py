"""web/fast_json.py encodes the app's callback answers to the same bytes as Dash's own encoder."""
import datetime
import decimal

import numpy as np
import pytest
from dash import Patch, _callback, _utils, html

from core import ids, query
from web import fast_json

VIEWS = ["?country=region&level=0&year=2023", "?country=region&level=1&year=2023&lang=en",
         "?country=CRI&level=1&year=2023&unit=CR-SJ", "?country=CRI&level=2&year=2023&measure=count&lang=en",
         "?country=GTM&level=1&year=2023", "?country=HND&level=1&year=2019&lang=en",
         "?country=region&level=0&year=2022&sex=female", "?country=CRI&level=1&offense=theft&year=2023",
         "?country=region&level=9&year=abc&offense=<script>"]


def _answers(cb, fixture_dir):
    """Dash's answer bodies for the app's view callback: full figure, then Patch, for each view."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    query.set_default_data_dir(fixture_dir)
    out = []
    for search in VIEWS:
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{ids.URL}.search", "value": search}]))
        first = cb.update_view(search, None, None, None, None, None, None, None, None, None)
        meta = next(v for v in first if isinstance(v, dict) and "geo_key" in v)
        again = cb.update_view(search, None, None, None, None, None, None, None, None, meta)
        for values in (first, again):
            out.append({"multi": True, "response": {f"out{i}": {"prop": v} for i, v in enumerate(values)}})
    return out


@pytest.fixture(scope="module")
def cb(fixture_dir):
    query.set_default_data_dir(fixture_dir)
    from callbacks import main
    return main


def test_same_bytes_as_dash_on_the_app_answers(cb, fixture_dir):
    answers = _answers(cb, fixture_dir)
    assert any(isinstance(v["prop"], Patch) for a in answers for v in a["response"].values())
    for answer in answers:
        assert fast_json.to_json(answer) == _utils.to_json(answer)


def test_values_orjson_cannot_take_fall_back_to_plotly():
    value = {"a": [html.Div(["x", html.Span("<b>")], id="d"), None, float("nan"), (1, 2)],
             "t": datetime.datetime(2023, 1, 2, 3, 4), "d": datetime.date(2023, 5, 6),
             "n": np.array([1.5, np.nan]), "m": np.array(["a", "b"]), "dec": decimal.Decimal("1.5"),
             "s": "\u2028 </script>"}
    assert fast_json.to_json(value) == _utils.to_json(value)


def test_installed_on_the_checked_dash_only(monkeypatch):
    import dash
    monkeypatch.setattr(_callback, "to_json", _utils.to_json)
    monkeypatch.setattr(dash, "__version__", "0.0.0")
    assert fast_json.install() is False and _callback.to_json is _utils.to_json
    monkeypatch.setattr(dash, "__version__", fast_json.CHECKED_DASH)
    assert fast_json.install() is True and _callback.to_json is fast_json.to_json


def test_the_app_answers_never_need_the_walk(cb, fixture_dir, monkeypatch):
    """orjson itself meets the components (its `default` hook): the Python walk over every element (`plain`),
    ~2-3x slower on a level-2 answer, is only the fallback for values orjson cannot take."""
    answers = _answers(cb, fixture_dir)
    expected = [_utils.to_json(a) for a in answers]

    def walk(_value):
        raise AssertionError("the walk was used")

    monkeypatch.setattr(fast_json, "plain", walk)
    assert [fast_json.to_json(a) for a in answers] == expected
