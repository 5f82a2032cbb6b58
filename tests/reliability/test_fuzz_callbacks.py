"""Fuzzed Dash callback requests (/_dash-update-component): generated values of any type for every input of the
server callbacks, and generated bodies. Never a 500: a well-formed request gets a safe JSON answer, a malformed one
a 400 with a message."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.reliability.checks import assert_safe_callback_response
from tests.reliability.figures import fuzz_count
from tests.reliability.strategies import HOSTILE, fuzz, json_value, text
from tests.reliability.strategies import query as query_strings


@pytest.fixture(scope="module")
def callbacks(client):
    deps = client.get("/_dash-dependencies").json
    return {d["output"]: d for d in deps if not d.get("clientside_function")}


def body_for(dep: dict, values: list, changed: int = 0) -> dict:
    names = dep["output"][2:-2].split("...") if dep["output"].startswith("..") else [dep["output"]]
    outputs = [{"id": n.rsplit(".", 1)[0], "property": n.rsplit(".", 1)[1]} for n in names]
    inputs = [dict(i, value=v) for i, v in zip(dep["inputs"], values)]
    state = [dict(s, value=v) for s, v in zip(dep["state"], values[len(dep["inputs"]):])]
    return {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "state": state, "changedPropIds": [f"{inputs[changed % len(inputs)]['id']}."
                                               f"{inputs[changed % len(inputs)]['property']}"] if inputs else []}


def post(client, body) -> None:
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code in (200, 204, 400), (r.status_code, r.data[:300])
    if r.status_code == 200:
        assert_safe_callback_response(r.data)
    elif r.status_code == 400:
        assert "error" in r.json
    return r


def _dep(callbacks, contains: str) -> dict:
    return next(d for k, d in callbacks.items() if contains in k)


@fuzz(400)
@given(query_strings)
def test_render_page_with_any_url(client, callbacks, qs) -> None:
    fuzz_count("callback render_page")
    r = post(client, body_for(_dep(callbacks, "page-root.children"), ["/", "?" + qs]))
    assert r.status_code == 200
    for h in HOSTILE:
        if "<" in h:
            assert h.encode() not in r.data


@fuzz(400)
@given(st.lists(json_value, min_size=10, max_size=10), st.integers(0, 8), query_strings)
def test_sync_view_with_any_values(client, callbacks, values, changed, qs) -> None:
    """URL, seven controls, a map click and the map's meta store, of any type and size (the view callback)."""
    fuzz_count("callback sync_view")
    values[0] = "?" + qs if changed % 3 else values[0]
    r = post(client, body_for(_dep(callbacks, "url.search"), values, changed))
    assert r.status_code in (200, 204)


@fuzz(600)
@given(st.one_of(json_value, st.fixed_dictionaries({"state": st.dictionaries(
    st.sampled_from(["country", "level", "offense", "year", "sex", "age", "measure", "unit", "lang"]),
    json_value)}, optional={"notes": st.lists(st.dictionaries(text, json_value, max_size=4), max_size=3),
                            "query": json_value, "level_has_data": json_value})),
       st.sampled_from(["anim-req", "pr-anim-req", "embed-code"]), json_value)
def test_stores_from_the_browser_with_any_value(client, callbacks, store, which, other) -> None:
    """The callbacks that take a store back from the browser: the year slider's request (main and presenter
    map; the main one also gets the map-meta store) and the embed dialog (the view store as State)."""
    fuzz_count("callback stores from the browser")
    if which == "embed-code":
        dep = _dep(callbacks, "embed-code.value")
        values = [True, other, store]
    else:
        dep = next(d for d in callbacks.values() if any(i["id"] == which for i in d["inputs"]))
        values = [{"year": other, "info": store} if isinstance(store, dict) else store, other]   # + map meta
    r = post(client, body_for(dep, values))
    assert r.status_code in (200, 204)


@fuzz(2000)
@given(st.one_of(json_value, st.dictionaries(st.sampled_from(["output", "outputs", "inputs", "state",
                                                                "changedPropIds", "x"]), json_value, max_size=5)),
       st.booleans())
def test_malformed_bodies(client, callbacks, body, valid_output) -> None:
    """Any JSON body: a 400 with a message unless it happens to be a valid request."""
    fuzz_count("callback malformed bodies")
    if valid_output and isinstance(body, dict):
        body["output"] = "page-root.children"
    post(client, body)


def test_non_json_bodies(client) -> None:
    for data in (b"", b"\xff\xfe\x00", b"{", b"[1,2", b"null", b'"x"', b"1e999999"):
        r = client.post("/_dash-update-component", data=data, content_type="application/json")
        assert r.status_code == 400 and "error" in r.json
