"""Decks of saved views for presenter mode (issue 4).

A deck is a small JSON file in data/decks/<name>.json:

    {"title": {"es": "...", "en": "..."},
     "slides": [{"title": {"es": "...", "en": "..."},
                 "view": "country=CRI&level=1&offense=homicide&year=2023&measure=count"}, ...]}

or an inline list in the URL (`slides=<encoded view>|<encoded view>`, no titles: the slide title is the sentence's
subject). `load_deck` validates everything on load and returns (Deck | None, problems); a bad deck gives clear
messages, never an exception. Each slide's view must resolve without any replaced value (core.viewstate.resolve):
a deck is prepared at a desk, so a view that would silently show something else is an error.

`python -m core.decks [NAME ...]` checks the decks of data/decks/ (exit status 1 on a problem).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from core import query
from core.viewstate import MAX_SLIDES, Catalog, ViewState, _DECK_NAME, resolve, to_query

DECKS_DIR = query.REPO_DIR / "data" / "decks"
MAX_DECK_BYTES = 64 * 1024
MAX_TITLE = 120


@dataclass(frozen=True)
class Slide:
    title: dict            # {"es": str, "en": str} (may be empty for inline slides)
    view: str              # the view query string as written
    state: ViewState       # resolved


@dataclass(frozen=True)
class Deck:
    name: str
    title: dict
    slides: tuple[Slide, ...]

    def with_lang(self, lang: str) -> "Deck":
        return replace(self, slides=tuple(replace(s, state=replace(s.state, lang=lang)) for s in self.slides))


def _title(obj: object, where: str, problems: list[str], required: bool = True) -> dict:
    if obj is None and not required:
        return {}
    if not isinstance(obj, dict) or not all(isinstance(obj.get(k), str) and obj.get(k).strip() for k in ("es", "en")):
        problems.append(f"{where}: title must be {{\"es\": text, \"en\": text}}")
        return {}
    out = {k: obj[k].strip() for k in ("es", "en")}
    if any(len(v) > MAX_TITLE for v in out.values()):
        problems.append(f"{where}: title longer than {MAX_TITLE} characters")
    if any("<" in v or ">" in v for v in out.values()):
        problems.append(f"{where}: title must be plain text")
    return out


def _slide_state(view: str, cat: Catalog, where: str, problems: list[str]) -> ViewState | None:
    if not isinstance(view, str) or not view.strip() or len(view) > 1024:
        problems.append(f"{where}: view must be a query string (at most 1024 characters)")
        return None
    state, notes, has_data = resolve(view.strip().lstrip("?"), cat)
    bad = [n for n in notes]
    if bad:
        what = "; ".join(f"{n.param}={n.value}" + (f" (→ {n.default})" if n.default else "") for n in bad)
        problems.append(f"{where}: not valid or without data as written: {what}")
        return None
    if not has_data:
        problems.append(f"{where}: no data at this level")
        return None
    return state


def parse_deck(obj: object, cat: Catalog, name: str = "inline") -> tuple[Deck | None, list[str]]:
    """A decoded deck object -> (Deck, []) or (None, problems)."""
    problems: list[str] = []
    if not isinstance(obj, dict):
        return None, ["the deck must be a JSON object with title and slides"]
    unknown = set(obj) - {"title", "slides", "description"}
    if unknown:
        problems.append("unknown keys: " + ", ".join(sorted(str(k) for k in unknown)[:5]))
    title = _title(obj.get("title"), "deck", problems)
    slides_in = obj.get("slides")
    if not isinstance(slides_in, list) or not slides_in:
        problems.append("slides must be a non-empty list")
        slides_in = []
    if len(slides_in) > MAX_SLIDES:
        problems.append(f"at most {MAX_SLIDES} slides")
        slides_in = slides_in[:MAX_SLIDES]
    slides = []
    for i, s in enumerate(slides_in, start=1):
        where = f"slide {i}"
        if not isinstance(s, dict):
            problems.append(f"{where}: must be an object with title and view")
            continue
        st = _title(s.get("title"), where, problems)
        state = _slide_state(s.get("view"), cat, where, problems)
        if state is not None:
            slides.append(Slide(title=st, view=s["view"].strip(), state=state))
    if problems:
        return None, problems
    return Deck(name=name, title=title, slides=tuple(slides)), []


def deck_path(name: str, decks_dir: Path | None = None) -> Path | None:
    """data/decks/<name>.json for a safe name (letters, digits, - and _), else None."""
    if not isinstance(name, str) or not _DECK_NAME.match(name):
        return None
    return Path(decks_dir or DECKS_DIR) / f"{name}.json"


def load_deck(name: str, cat: Catalog, decks_dir: Path | None = None) -> tuple[Deck | None, list[str]]:
    path = deck_path(name, decks_dir)
    if path is None:
        return None, ["deck names are lower-case letters, digits, - and _"]
    try:
        if not path.is_file():
            return None, [f"no deck called {name!r} in data/decks/"]
        if path.stat().st_size > MAX_DECK_BYTES:
            return None, [f"{path.name} is larger than {MAX_DECK_BYTES // 1024} KB"]
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"cannot read {path.name}: {exc.__class__.__name__}"]
    except ValueError as exc:
        return None, [f"{path.name} is not valid JSON: {exc}"]
    return parse_deck(obj, cat, name)


def inline_deck(views: tuple[str, ...] | list[str], cat: Catalog) -> tuple[Deck | None, list[str]]:
    """A deck from view query strings (`slides=` in the URL): untitled slides."""
    problems: list[str] = []
    slides = []
    for i, v in enumerate(views, start=1):
        state = _slide_state(v, cat, f"slide {i}", problems)
        if state is not None:
            slides.append(Slide(title={}, view=v, state=state))
    if problems:
        return None, problems
    if not slides:
        return None, ["no slides"]
    return Deck(name="inline", title={}, slides=tuple(slides)), []


def single_deck(state: ViewState) -> Deck:
    """Presenter mode without a deck: the current view is the only slide."""
    return Deck(name="view", title={}, slides=(Slide(title={}, view=to_query(state), state=state),))


def list_decks(decks_dir: Path | None = None) -> list[str]:
    d = Path(decks_dir or DECKS_DIR)
    return sorted(p.stem for p in d.glob("*.json") if _DECK_NAME.match(p.stem)) if d.is_dir() else []


def available_decks(cat: Catalog, lang: str, decks_dir: Path | None = None) -> list[tuple[str, str]]:
    """(name, title in `lang`) of every valid deck in data/decks/, for a presenter who typed a wrong name."""
    out = []
    for name in list_decks(decks_dir):
        deck, _problems = load_deck(name, cat, decks_dir)
        if deck is not None:
            out.append((name, deck.title.get(lang) or deck.title.get("es") or name))
    return out


def main(argv: list[str]) -> int:
    cat = query.catalog(query.get_dataset())
    names = argv or list_decks()
    status = 0
    for name in names:
        deck, problems = load_deck(name, cat)
        if deck is None:
            status = 1
            print(f"{name}: INVALID")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"{name}: ok, {len(deck.slides)} slides — {deck.title.get('es')}")
    return status


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main(sys.argv[1:]))
