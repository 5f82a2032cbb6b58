"""Name normalisation and the reviewed crosswalks that match source names to unit ids.

Matching rule (documented in docs/PIPELINE.md): a source value matches a crosswalk line when both are equal after
``normalise`` (Unicode NFKD, accents removed, upper case, hyphens/underscores as spaces, whitespace collapsed).
That is a deterministic spelling rule, not a fuzzy match: every name variant that normalises differently needs its
own reviewed line in the crosswalk, and anything without a line is reported as unmatched.
"""
from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

CROSSWALK_DIR = Path(__file__).parent / "crosswalks"


def normalise(value: object) -> str:
    """Spelling-insensitive key of a name: 'Panamá  Oeste' and 'PANAMA-OESTE' give 'PANAMA OESTE'."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.upper().replace("-", " ").replace("_", " ")
    return " ".join(text.split())


class CrosswalkError(ValueError):
    """A crosswalk file is malformed (missing column, duplicate key with different targets)."""


@dataclass(frozen=True)
class Crosswalk:
    """Reviewed mapping (country, parent, source name) -> unit_id, with a note per line."""

    path: Path
    table: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Crosswalk":
        table: dict[tuple[str, str, str], tuple[str, str]] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            needed = {"country", "source_name", "unit_id", "note"}
            missing = needed - set(reader.fieldnames or [])
            if missing:
                raise CrosswalkError(f"{path.name}: missing columns {sorted(missing)}")
            for line_no, row in enumerate(reader, start=2):
                key = (row["country"].strip(), normalise(row.get("parent") or ""), normalise(row["source_name"]))
                target = row["unit_id"].strip()
                if not target:
                    raise CrosswalkError(f"{path.name} line {line_no}: empty unit_id for {row['source_name']!r}")
                if key in table and table[key][0] != target:
                    raise CrosswalkError(
                        f"{path.name} line {line_no}: {row['source_name']!r} already maps to {table[key][0]}"
                    )
                table[key] = (target, row["note"].strip())
        return cls(path=path, table=table)

    def lookup(self, country: str, name: object, parent: object = "") -> tuple[str, str] | None:
        """(unit_id, note) for a source name, or None when the crosswalk has no line for it."""
        return self.table.get((country, normalise(parent or ""), normalise(name)))

    def unit_ids(self) -> set[str]:
        return {target for target, _ in self.table.values()}
