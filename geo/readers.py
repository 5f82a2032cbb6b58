"""Reading raw tables: encoding detection (the raw files mix UTF-8 and Latin-1) and clear errors."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from geo.errors import PipelineError

FALLBACK_ENCODING = "cp1252"


def decode(path: Path, declared: str | None = None) -> tuple[str, str]:
    """Text of a file and the encoding used. Undeclared: UTF-8 (BOM stripped), else Windows-1252/Latin-1."""
    raw = path.read_bytes()
    if not raw.strip():
        raise PipelineError(path.name, "file is empty")
    if declared:
        try:
            return raw.decode(declared), declared
        except UnicodeDecodeError as exc:
            raise PipelineError(path.name, f"not valid {declared} at byte {exc.start}") from exc
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode(FALLBACK_ENCODING), FALLBACK_ENCODING


def read_table(path: Path, encoding: str | None = None, sep: str = ",") -> tuple[pd.DataFrame, str]:
    """All columns as strings (no type guessing), header trimmed; raises PipelineError on unreadable input."""
    if not path.exists():
        raise PipelineError(str(path), "file not found")
    text, used = decode(path, encoding)
    header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    names = [h.strip() for h in header]
    dups = sorted({h for h in names if names.count(h) > 1})
    if dups:
        raise PipelineError(path.name, f"duplicate column names {dups}", 1)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as exc:
        raise PipelineError(path.name, f"malformed CSV ({exc})") from exc
    except pd.errors.EmptyDataError as exc:
        raise PipelineError(path.name, "no header row") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, used
