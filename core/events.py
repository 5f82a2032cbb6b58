"""Event annotations for the time series (issue 4): data/events.csv, declared and validated.

Columns (all required, UTF-8): date (YYYY-MM-DD), country (ISO3 of the data or `region` for every country),
label_es, label_en (plain text, <= 80 characters), source_url (https://...), source_name.
A bad row is left out with a reason (never a crash); `load_events` returns (events, problems).

On the series (years on the x axis) an event is a dotted vertical line at year + (day of year / days in year)
with a short label, shown for the place's country (and `region` events everywhere); `events=0` in the URL hides them.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
EVENTS_CSV = REPO_DIR / "data" / "events.csv"
COLUMNS = ("date", "country", "label_es", "label_en", "source_url", "source_name")
MAX_LABEL = 80
MAX_ROWS = 500
_ISO3 = re.compile(r"^[A-Z]{3}$")
_URL = re.compile(r"^https://[A-Za-z0-9.-]+(/[^\s<>\"']*)?$")
EVENT_COLOR = "#5b3a8c"


@dataclass(frozen=True)
class Event:
    date: dt.date
    country: str          # ISO3 or "region"
    label_es: str
    label_en: str
    source_url: str
    source_name: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_es

    @property
    def x(self) -> float:
        """Position on a yearly axis: the year plus the fraction of it gone by."""
        start = dt.date(self.date.year, 1, 1)
        days = (dt.date(self.date.year + 1, 1, 1) - start).days
        return round(self.date.year + (self.date - start).days / days, 4)


def validate_rows(rows: list[dict], countries: set[str] | None = None) -> tuple[list[Event], list[str]]:
    """Rows (dicts of the CSV) -> (valid events sorted by date, problems 'row N: why')."""
    out: list[Event] = []
    problems: list[str] = []
    for i, r in enumerate(rows[:MAX_ROWS], start=2):   # row 1 is the header
        why = _problem(r, countries)
        if why:
            problems.append(f"row {i}: {why}")
            continue
        out.append(Event(dt.date.fromisoformat(r["date"].strip()), r["country"].strip(), r["label_es"].strip(),
                         r["label_en"].strip(), r["source_url"].strip(), r["source_name"].strip()))
    if len(rows) > MAX_ROWS:
        problems.append(f"more than {MAX_ROWS} rows: the rest is ignored")
    return sorted(out, key=lambda e: (e.date, e.country)), problems


def _problem(r: dict, countries: set[str] | None) -> str:
    if not isinstance(r, dict):
        return "not a row"
    missing = [c for c in COLUMNS if not isinstance(r.get(c), str) or not r.get(c).strip()]
    if missing:
        return "missing " + ", ".join(missing)
    try:
        d = dt.date.fromisoformat(r["date"].strip())
    except ValueError:
        return "date is not YYYY-MM-DD"
    if not 1900 <= d.year <= 2100:
        return "date out of range"
    c = r["country"].strip()
    if c != "region" and (not _ISO3.match(c) or (countries is not None and c not in countries)):
        return "unknown country"
    for lab in ("label_es", "label_en", "source_name"):
        if len(r[lab].strip()) > (MAX_LABEL if lab != "source_name" else 200):
            return f"{lab} too long"
        if "<" in r[lab] or ">" in r[lab]:
            return f"{lab} contains markup"
    if not _URL.match(r["source_url"].strip()):
        return "source_url must be an https:// address"
    return ""


def read_csv(path: Path) -> tuple[list[dict], list[str]]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            if header != COLUMNS:
                return [], [f"header must be {','.join(COLUMNS)}"]
            return list(reader), []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [f"cannot read {path.name}: {exc.__class__.__name__}"]


_CACHE: dict[tuple, tuple[list[Event], list[str]]] = {}


def load_events(path: Path | None = None, countries: set[str] | None = None) -> tuple[list[Event], list[str]]:
    """Events of the CSV (default data/events.csv), read once per file modification."""
    path = Path(path or EVENTS_CSV)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return [], [f"{path.name} not found"]
    key = (str(path), mtime, tuple(sorted(countries)) if countries else None)
    if key not in _CACHE:
        rows, problems = read_csv(path)
        ev, more = validate_rows(rows, countries)
        _CACHE.clear()
        _CACHE[key] = (ev, problems + more)
    return _CACHE[key]


def for_place(events: list[Event], country: str | None) -> list[Event]:
    """Events that belong on a series of `country` (None: the region view, every event)."""
    if country is None:
        return list(events)
    return [e for e in events if e.country in (country, "region")]


def add_to_series(fig: dict, events: list[Event], lang: str, country_names: dict[str, str] | None = None,
                  prefix_country: bool = False, font_size: int = 13) -> dict:
    """Add a dotted vertical line and a numbered tag per event inside the x range to a series figure dict,
    in place. The numbered list (date, label, source) goes to layout.meta.events for the page to show under
    the chart (labels written on a crowded chart overlap)."""
    layout = fig.setdefault("layout", {})
    xr = (layout.get("xaxis") or {}).get("range")
    shapes = list(layout.get("shapes") or [])
    notes = list(layout.get("annotations") or [])
    shown = [e for e in events if not xr or (xr[0] <= e.x <= xr[1])]
    listed = []
    last_x, level = None, 0
    for i, e in enumerate(shown, start=1):
        level = level + 1 if last_x is not None and e.x - last_x < 1.5 else 0
        last_x = e.x
        shapes.append({"type": "line", "x0": e.x, "x1": e.x, "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"color": EVENT_COLOR, "width": 2, "dash": "dot"}, "name": "event"})
        label = e.label(lang)
        if prefix_country and e.country != "region" and country_names:
            label = f"{country_names.get(e.country, e.country)}: {label}"
        notes.append({"x": e.x, "y": 1 - 0.13 * (level % 4), "yref": "paper", "xanchor": "center",
                      "yanchor": "top", "text": f"<b>{i}</b>", "showarrow": False, "name": "event",
                      "font": {"size": font_size, "color": "#ffffff"}, "bgcolor": EVENT_COLOR,
                      "borderpad": 2, "hovertext": _esc(f"{e.date.isoformat()} · {label} · {e.source_name}")})
        listed.append({"n": i, "date": e.date.isoformat(), "label": label, "source_name": e.source_name,
                       "source_url": e.source_url})
    layout["shapes"] = shapes
    layout["annotations"] = notes
    meta = layout.get("meta") if isinstance(layout.get("meta"), dict) else {}
    meta["events"] = listed
    layout["meta"] = meta
    return fig


def _esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
