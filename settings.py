"""Configuration from environment variables, with safe defaults.

Read once at import by app.py; tests call `load_settings(env)` with their own mapping.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = REPO_DIR / "data" / "processed"

# frame-ancestors sources: '*', 'self', 'none' or scheme/host sources. Anything else is dropped so that
# the value can never break out of the Content-Security-Policy header.
_FRAME_TOKEN = re.compile(r"^(\*|'self'|'none'|https?://[A-Za-z0-9*.\-]+(:[0-9]{1,5})?|[A-Za-z0-9*.\-]+)$")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    debug: bool
    redis_url: str | None
    frame_ancestors: str
    cache_timeout: int
    host: str
    port: int


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def clean_frame_ancestors(raw: str | None) -> str:
    """A safe frame-ancestors source list; anything that does not parse falls back to 'self'."""
    tokens = (raw or "*").split()
    if not tokens or len(tokens) > 20 or not all(_FRAME_TOKEN.match(t) for t in tokens):
        return "'self'"
    return " ".join(tokens)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    try:
        timeout = max(0, int(env.get("OBS_CACHE_TIMEOUT", "3600")))
    except ValueError:
        timeout = 3600
    try:
        port = int(env.get("PORT", "8050"))
    except ValueError:
        port = 8050
    return Settings(
        data_dir=Path(env.get("OBS_DATA_DIR") or DEFAULT_DATA_DIR).resolve(),
        debug=_truthy(env.get("OBS_DEBUG")),
        redis_url=(env.get("REDIS_URL") or None),
        frame_ancestors=clean_frame_ancestors(env.get("OBS_FRAME_ANCESTORS")),
        cache_timeout=timeout,
        host=env.get("OBS_HOST", "127.0.0.1"),
        port=port,
    )


SETTINGS = load_settings()
