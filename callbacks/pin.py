"""Links pinned to a data version (&v=): the note under the headline and the footer's pinned link."""
from __future__ import annotations

from dash import html, no_update

from core import pin, query, view
from core.cache import memo
from core.viewstate import ViewState


def update_pin(store, search):
    if not isinstance(store, dict) or not isinstance(store.get("state"), dict):
        return no_update, no_update
    state = ViewState.from_dict(store["state"])
    ds = query.get_dataset()
    pinned = pin.pinned_from_search(search)
    # an unpinned link's note is empty (~10 us): memoised only when a pinned version must be compared
    note = (memo("pin", view.key(ds, state) + (pinned,), lambda: pin.pin_note(ds, state, pinned)) if pinned
            else pin.pin_note(ds, state, pinned))
    children = [html.Div(note["text"], className="obs-note", id="pin-note-text")] if note["text"] else []
    return children, pin.pinned_href(ds, state)
