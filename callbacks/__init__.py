"""Callbacks, registered with the global dash.callback on import (nothing here imports app.py)."""
from callbacks import main  # noqa: F401
from callbacks import pin  # noqa: F401,E402  (issue 5: links pinned to a data version)
from callbacks import partb  # noqa: F401,E402  (issue 5 part B: compare, reconciliation, embeds)
from callbacks import present  # noqa: F401,E402  (issue 4: presenter mode, slider, export, sentence)
