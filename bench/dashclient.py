"""A minimal Dash client for the benchmark: replays the POSTs the browser sends to /_dash-update-component.

The request bodies are *templates captured from a real browser session* (bench/browser.py records every POST the
Dash renderer sends). The client keeps the current value of every (component id, property) like the renderer
does, fills a template's `inputs` / `state` from it, posts, and applies the response (full values; Patch
responses are not applied: nothing downstream reads the figure).
"""
from __future__ import annotations

import copy
import gzip
import json
import time
from dataclasses import dataclass, field

import requests

ENDPOINT = "/_dash-update-component"


def _key(item: dict) -> tuple[str, str]:
    cid = item["id"]
    if isinstance(cid, dict):
        cid = json.dumps(cid, sort_keys=True)
    return cid, item["property"]


@dataclass
class Post:
    output: str
    body: bytes
    status: int
    seconds: float
    raw_bytes: int          # decoded response body
    wire_bytes: int         # as transferred (Content-Encoding applied by the server)
    encoding: str
    up_bytes: int           # request body
    raw: bytes | None = None   # the decoded body, when the client keeps it
    cache: str = ""            # X-Obs-Cache of the answer: "hit" (the whole answer from the response cache), "miss"
    map_gzip_bytes: int | None = None   # the map's own outputs of the answer, gzipped alone (see map_part)


@dataclass
class DashClient:
    base: str
    templates: dict[str, dict]                  # output string -> captured request body
    chains: dict[str, list[str]]                # trigger "id.prop" -> outputs that fire (in browser order)
    props: dict[tuple[str, str], object] = field(default_factory=dict)
    accept_encoding: str = "gzip"
    session: requests.Session = field(default_factory=requests.Session)
    keep_raw: bool = False
    # what the page's own JavaScript does with an answer: input "id.prop" -> the outputs it hands a list's values
    # to (obs.applyPanels: the panels beside the map, among them the `series-shown` store the next view sends)
    spreads: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)

    def seed(self, props: dict[tuple[str, str], object]) -> None:
        self.props.update(props)

    def body_for(self, output: str, changed: list[str]) -> dict:
        body = copy.deepcopy(self.templates[output])
        for part in ("inputs", "state"):
            for item in body.get(part, []) or []:
                if isinstance(item, list):       # wildcard groups: leave as captured
                    continue
                k = _key(item)
                if k in self.props:
                    item["value"] = self.props[k]
        body["changedPropIds"] = changed
        return body

    def post(self, output: str, changed: list[str]) -> Post:
        body = self.body_for(output, changed)
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "Accept-Encoding": self.accept_encoding}
        t0 = time.perf_counter()
        r = self.session.post(self.base + ENDPOINT, data=data, headers=headers, stream=True, timeout=120)
        wire = r.raw.read(decode_content=False)
        dt = time.perf_counter() - t0
        enc = r.headers.get("Content-Encoding", "")
        raw = gzip.decompress(wire) if enc == "gzip" else wire
        if enc not in ("", "gzip", "identity"):
            raise RuntimeError(f"unexpected encoding {enc}")
        map_gz = None
        if r.status_code == 200:
            resp = json.loads(raw)
            self.apply(resp)
            map_gz = map_part(resp)
        return Post(output, data, r.status_code, dt, len(raw), len(wire), enc or "identity", len(data),
                    raw if self.keep_raw else None, r.headers.get("X-Obs-Cache", ""), map_gz)

    def apply(self, resp: dict) -> None:
        for cid, props in (resp.get("response") or {}).items():
            for prop, value in props.items():
                if isinstance(value, dict) and "__dash_patch_update" in value:
                    continue
                self.props[(cid, prop)] = value
                outs = self.spreads.get((cid, prop))
                if outs and isinstance(value, list) and len(value) == len(outs):
                    for key, v in zip(outs, value):
                        if not (isinstance(v, dict) and v.get("_dash_no_update") == "_dash_no_update"):
                            self.props[key] = v

    def change(self, control: str, value, prop: str = "value") -> list[Post]:
        """The user sets control.prop = value: every callback the browser fired for such a change, in order."""
        self.props[(control, prop)] = value
        trig = f"{control}.{prop}"
        posts = []
        chain = self.chains[trig]
        first = self.post(chain[0], [trig])
        posts.append(first)
        produced = set(outputs_of(self.templates[chain[0]]))
        for out in chain[1:]:
            posts.append(self.post(out, [p for p in inputs_of(self.templates[out]) if p in produced]))
        return posts


def spreads_of(base: str, session: requests.Session | None = None) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The page's clientside `obs.applyPanels` callbacks (from the app's /_dash-dependencies): the store they read
    -> the outputs they hand its list to, in order."""
    deps = (session or requests).get(base + "/_dash-dependencies", timeout=30).json()
    out = {}
    for d in deps:
        if (d.get("clientside_function") or {}).get("function_name") != "applyPanels" or len(d["inputs"]) != 1:
            continue
        outs = [o.rsplit(".", 1) for o in d["output"].strip(".").split("...")]
        out[(d["inputs"][0]["id"], d["inputs"][0]["property"])] = [(i, p) for i, p in outs]
    return out


MAP_PARTS = ("map", "map-meta", "map-legend", "map-note")   # the map, what it holds, its legend and its note


def map_part(resp: dict) -> int | None:
    """Bytes of the map's own outputs of an answer, gzipped (level 6) on their own: the same content the naive
    baseline sends (the map figure), to compare like with like beside the whole answer (which also carries the
    trend, ranking, headline and control options)."""
    part = {k: v for k, v in (resp.get("response") or {}).items() if k in MAP_PARTS}
    if not part:
        return None
    return len(gzip.compress(json.dumps(part, separators=(",", ":")).encode("utf-8"), 6))


def outputs_of(body: dict) -> list[str]:
    outs = body.get("outputs")
    if isinstance(outs, dict):
        outs = [outs]
    return [f"{o['id']}.{o['property']}" for o in outs or []]


def dependents(templates: dict[str, dict], output: str) -> list[str]:
    """Server callbacks fired by the outputs of `output` (one level: the app's graph is two levels deep)."""
    produced = set(outputs_of(templates[output]))
    return [o for o, b in templates.items() if o != output and produced & set(inputs_of(b))]


def chains_for(templates: dict[str, dict], triggers: list[str]) -> dict[str, list[str]]:
    """trigger 'id.prop' -> [the callback it is an input of, then that callback's dependents]."""
    out = {}
    for trig in triggers:
        first = [o for o, b in templates.items() if trig in inputs_of(b)]
        if not first:
            raise KeyError(f"no captured callback takes {trig} as input")
        out[trig] = [first[0]] + dependents(templates, first[0])
    return out


def inputs_of(body: dict) -> list[str]:
    return [f"{i['id']}.{i['property']}" for i in body.get("inputs", []) if isinstance(i, dict)]
