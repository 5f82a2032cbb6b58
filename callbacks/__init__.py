"""Callbacks, registered with the global dash.callback on import (nothing here imports app.py)."""
from callbacks import main  # noqa: F401
from callbacks import pin  # noqa: F401,E402  (issue 5: links pinned to a data version)
from callbacks import partb  # noqa: F401,E402  (issue 5 part B: compare, reconciliation, embeds)
from callbacks import present  # noqa: F401,E402  (issue 4: presenter mode, slider, export, sentence)

# Callbacks whose answer depends on the request body alone (no header, cookie, clock or server-side state):
# their whole HTTP response may be cached (web/response_cache.py). Dash output strings starting with these:
# the page, the main view (one per filter change), the year slider's map, the presenter's slide, the comparison.
PURE_OUTPUT_PREFIXES = ("page-root.children", "..url.search...", "..map.figure@", "..pr-url.search...",
                        "..pr-map.figure@", "..cmp-url.search...")


def is_pure(output: str) -> bool:
    return output.startswith(PURE_OUTPUT_PREFIXES)
