"""One presenter slide as plain data: headline, sentence, map figure framed for the projector, trend with large
type (used by the presenter page, callbacks/present.py, and by the offline pack, present/pack.py)."""
from __future__ import annotations

import copy

from core import figures, sentences, view
from core.cache import memo
from core.viewstate import ViewState



# ---- figures for the projector ----------------------------------------------------------------------
def big_series(fig: dict) -> dict:
    """The trend with type for the back of a room (>= 20 px); the region's many lines with their legend at the side
    (figures.with_side_legend: the projector's panel is wide and short)."""
    fig = copy.deepcopy(figures.with_side_legend(fig))
    lay = fig.setdefault("layout", {})
    for ax in ("xaxis", "yaxis"):
        a = lay.setdefault(ax, {})
        a["tickfont"] = {"size": 20}
        if ax == "xaxis":   # at 20 px a tick per year fits up to 7 years; beyond, let Plotly choose ~7
            rng = a.get("range") or [0, 0]
            if rng[1] - rng[0] > 7:
                a.pop("dtick", None)
                a["nticks"] = 7
            else:
                a["dtick"] = 1
            a["tickangle"] = 0
        if isinstance(a.get("title"), dict):
            a["title"]["font"] = {"size": 20}
    leg = lay.get("legend") or {}
    leg["font"] = {"size": 20}
    leg["tracegroupgap"] = 0
    lay["legend"] = leg
    lay["margin"] = {"l": 70, "r": 10, "t": 10, "b": 50}
    for a in lay.get("annotations") or []:
        a.setdefault("font", {})["size"] = 20
    for tr in fig.get("data", []):
        if isinstance(tr.get("line"), dict):
            tr["line"]["width"] = max(tr["line"].get("width", 3), 4)
        if isinstance(tr.get("marker"), dict):
            tr["marker"]["size"] = 10
    lay["hoverlabel"] = {"font": {"size": 20}}
    for a in lay.get("annotations") or []:
        if a.get("name") == "event":
            a["font"]["size"] = 20
    return fig


def slide_content(ds, state: ViewState) -> dict:
    lang = state.lang
    hl = memo("headline", view.key(ds, state), lambda: view.headline_view(ds, state))
    sen = memo("sentence", view.key(ds, state), lambda: sentences.headline_sentence(ds, state))
    payload = view.map_piece(ds, state)
    fig = figures.map_figure(payload, geo_url=payload["geo_url"], outline_urls=payload["outline_urls"],
                             land_url=payload["land_url"], lang=lang, separators=payload["separators"],
                             uirevision=payload["geo_key"] + "|" + payload["focus"])
    series = memo("series", view.key(ds, state), lambda: view.series_view(ds, state))
    return {"hl": hl, "sentence": sen, "meta": short_meta(ds, state, hl), "payload": payload, "map": fig,
            "series": big_series(series["figure"]), "series_sources": series["sources"]}




def short_meta(ds, state: ViewState, hl: dict) -> str:
    """'Homicidio · 2022 · Fuente: UNODC' with short source names (at most three, then '+N')."""
    label = "Fuente" if state.lang != "en" else "Source"
    head = hl["meta"].split(f" · {label}: ")[0]
    names = list(dict.fromkeys(sentences.short_source(ds, s) for s in hl.get("sources") or []))
    if not names:
        return head
    more = f" +{len(names) - 3}" if len(names) > 3 else ""
    return f"{head} · {label}: {', '.join(names[:3])}{more}"
