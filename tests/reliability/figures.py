"""Figures recorded by the reliability tests of this run (one module object shared by tests and conftest)."""
from __future__ import annotations

from collections import Counter

FIGURES: dict[str, dict] = {}
FUZZ_CASES: Counter = Counter()


def record(section: str, **values) -> None:
    FIGURES.setdefault(section, {}).update(values)


def fuzz_count(name: str, n: int = 1) -> None:
    FUZZ_CASES[name] += n
