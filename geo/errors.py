"""Errors the pipeline raises for bad input: each names the file, the row (1-based, header = row 1) and the reason."""
from __future__ import annotations


class PipelineError(ValueError):
    """Bad input that stops the build; nothing is written when it is raised."""

    def __init__(self, file: str, reason: str, row: int | None = None) -> None:
        self.file, self.row, self.reason = file, row, reason
        where = f"{file}, row {row}" if row is not None else file
        super().__init__(f"{where}: {reason}")
