"""The controlled vocabularies (offences, age groups) every fact row must use."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

VOCAB_DIR = Path(__file__).parent / "vocab"


@dataclass(frozen=True)
class Vocabulary:
    offenses: frozenset[str]
    age_groups: frozenset[str]

    @classmethod
    def load(cls, folder: Path = VOCAB_DIR) -> "Vocabulary":
        return cls(
            offenses=frozenset(read_offenses(folder).code),
            age_groups=frozenset(read_age_groups(folder).code),
        )


def read_offenses(folder: Path = VOCAB_DIR) -> pd.DataFrame:
    return pd.read_csv(folder / "offenses.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def read_age_groups(folder: Path = VOCAB_DIR) -> pd.DataFrame:
    return pd.read_csv(folder / "age_groups.csv", dtype={"code": str, "label_es": str, "label_en": str},
                       keep_default_na=False, encoding="utf-8")
