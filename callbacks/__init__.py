"""Callbacks, registered with the global dash.callback on import (nothing here imports app.py)."""
from callbacks import main  # noqa: F401
