"""A link pinned to a data version (`&v=<version id>`): when it is not the current version, say how the headline
figure changed ("Esta cifra cambió de X a Y desde que se creó este enlace"), or that the version is unknown.

Pure functions of the dataset and a valid ViewState (the callback in callbacks/pin.py only wires them)."""
from __future__ import annotations

from urllib.parse import parse_qs

from core import query, view
from core.i18n import t
from core.viewstate import ViewState, to_query

MAX_VERSION_CHARS = 40


def pinned_from_search(search: str | None) -> str | None:
    """The `v` parameter of a query string (first value, trimmed, at most 40 characters), or None."""
    if not isinstance(search, str) or not search:
        return None
    q = search[1:] if search.startswith("?") else search
    try:
        values = parse_qs(q[:4096], keep_blank_values=False, max_num_fields=64).get("v")
    except ValueError:
        return None
    if not values:
        return None
    v = values[0].strip()
    return v[:MAX_VERSION_CHARS] if v else None


def _figure(hl: dict, lang: str) -> str | None:
    """'17.8 por 100,000 hab.' from a headline, or None when it has no value."""
    if hl.get("value") in (None, "", "—"):
        return None
    return f"{hl['value']} {hl['unit']}".strip()


def pin_note(ds: query.Dataset, state: ViewState, pinned: str | None) -> dict:
    """{"kind": "" | "changed" | "same" | "unknown", "text": plain text} for a link pinned to `pinned`."""
    current = query.version_info(ds)["id"]
    if not pinned or pinned == current:
        return {"kind": "", "text": ""}
    lang = state.lang
    old_ds = query.pinned_dataset(ds, pinned)
    if old_ds is None:
        return {"kind": "unknown", "text": t("pin_unknown", lang, pinned=pinned, current=current)}
    new = _figure(view.headline_view(ds, state), lang)
    old = _figure(view.headline_view(old_ds, state), lang)
    if new == old:
        return {"kind": "same", "text": t("pin_same", lang, pinned=pinned, current=current)}
    nd = t("no_data_country", lang)
    return {"kind": "changed", "text": t("pin_changed", lang, old=old or nd, new=new or nd, pinned=pinned,
                                         current=current)}


def pinned_href(ds: query.Dataset, state: ViewState) -> str:
    """The dashboard address of this view pinned to the current data version."""
    return "/?" + to_query(state) + "&v=" + query.version_info(ds)["id"]
