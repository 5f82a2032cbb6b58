"""The view a URL describes: parsing, validation and changes, as pure functions.

`resolve(query, catalog)` turns any query string (or mapping) into a valid `ViewState` plus notes explaining
every value that was replaced. It never raises: unknown, hostile, repeated or oversized values fall back to the
default for that parameter, and a note says so (rendered as plain text by the app, never as HTML).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from urllib.parse import parse_qs, urlencode

import numpy as np
import pandas as pd

REGION = "region"
LEVELS = (0, 1, 2)
SEXES = ("total", "female", "male")
MEASURES = ("rate", "count")
LANGS = ("es", "en")
PARAMS = ("country", "level", "offense", "year", "sex", "age", "measure", "unit", "lang", "pool", "events")
POOLS = (1, 3)   # pool=3: small units get the rate over three years (issue 5)
DEFAULT_OFFENSE = "homicide"
MAX_QUERY_CHARS = 4096
MAX_VALUE_CHARS = 100
NOTE_VALUE_CHARS = 40
_CODE = re.compile(r"^[A-Za-z0-9_\-\.]{1,64}$")


@dataclass(frozen=True)
class ViewState:
    country: str = REGION
    level: int = 0
    offense: str = DEFAULT_OFFENSE
    year: int | None = None
    sex: str = "total"
    age: str = "total"
    measure: str = "rate"
    unit: str | None = None
    lang: str = "es"
    pool: int = 1
    events: int = 1      # event annotations on the series (issue 4): events=0 hides them

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: Mapping | None) -> "ViewState":
        d = dict(d or {})
        keep = {k: d[k] for k in PARAMS if k in d}
        try:
            return ViewState(**keep)
        except TypeError:
            return ViewState()


@dataclass(frozen=True)
class Note:
    """Why a value was replaced. `kind`: invalid | repeated | fallback | unit_country | no_units."""
    kind: str
    param: str
    value: str = ""
    default: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Catalog:
    """What exists in the data, as plain values (built by core.query.catalog)."""
    countries: tuple[str, ...]
    units: Mapping[str, tuple[int, str, str | None]]      # unit_id -> (level, country, parent_id)
    offenses: tuple[str, ...]
    years: tuple[int, ...]
    ages: tuple[str, ...]
    levels_with_units: frozenset                             # {(country, level)}
    avail: pd.DataFrame = field(repr=False, compare=False, hash=False,
                                default_factory=lambda: pd.DataFrame(
                                    columns=["country", "level", "offense", "sex", "age_group", "year",
                                             "n_units", "measure"]))
    # reconcile() results by state: the catalog is immutable, so they are too (bounded; see reconcile)
    reconciled: dict = field(repr=False, compare=False, hash=False, default_factory=dict)
    # the availability table as arrays (whole, and per (country, level)): built once, read-only afterwards
    prepared: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    def ancestors(self, unit_id: str) -> list[str]:
        chain: list[str] = []
        cur: str | None = unit_id
        while cur and cur in self.units and len(chain) < 5:
            chain.append(cur)
            cur = self.units[cur][2]
        return list(reversed(chain))

    def has_children(self, unit_id: str) -> bool:
        u = self.units.get(unit_id)
        return bool(u) and (u[1], u[0] + 1) in self.levels_with_units


# ---------------------------------------------------------------------------------------------------
def _short(value: object) -> str:
    s = str(value).replace("\n", " ").replace("\r", " ")
    return s if len(s) <= NOTE_VALUE_CHARS else s[: NOTE_VALUE_CHARS - 1] + "…"


def _as_lists(query: str | Mapping | None) -> tuple[dict[str, list[str]], list[Note]]:
    notes: list[Note] = []
    if query is None:
        return {}, notes
    if isinstance(query, Mapping):
        out: dict[str, list[str]] = {}
        for k, v in list(query.items())[:64]:
            if not isinstance(k, str):
                continue
            if isinstance(v, (list, tuple)):
                out[k] = [x if isinstance(x, str) else repr(x) for x in v]
            elif isinstance(v, str):
                out[k] = [v]
            else:
                out[k] = [repr(v)]
        return out, notes
    if not isinstance(query, str):
        return {}, notes
    q = query[1:] if query.startswith("?") else query
    if len(q) > MAX_QUERY_CHARS:   # what is cut off is said, not silently dropped
        notes.append(Note("invalid", "query", _short(q[MAX_QUERY_CHARS:])))
        q = q[:MAX_QUERY_CHARS]
    try:
        return parse_qs(q, keep_blank_values=True, max_num_fields=64), notes
    except ValueError:
        return {}, notes + [Note("invalid", "query", _short(q))]


def _default_str(param: str) -> str:
    d = ViewState()
    v = getattr(d, param)
    return "" if v is None else str(v)


def parse(query: str | Mapping | None, cat: Catalog) -> tuple[ViewState, list[Note]]:
    """Syntactic validation against the catalog. Unknown parameters are ignored."""
    raw, notes = _as_lists(query)
    vals: dict[str, object] = {}
    for param in PARAMS:
        if param not in raw:
            continue
        items = raw[param]
        if len(items) != 1:
            notes.append(Note("repeated", param, "", _default_str(param)))
            continue
        v = items[0].strip()
        if v == "":
            continue
        ok, parsed = _validate(param, v, cat)
        if ok:
            vals[param] = parsed
        else:
            notes.append(Note("invalid", param, _short(v), _default_str(param)))
    state = ViewState(**vals)  # type: ignore[arg-type]
    # a selected unit decides the country
    if state.unit is not None:
        lvl, ctry, _ = cat.units[state.unit]
        if state.country != ctry:
            if state.country != REGION:
                notes.append(Note("unit_country", "unit", state.unit, ctry))
            state = replace(state, country=ctry)
        if lvl > state.level:   # a place finer than the map: select its ancestor at the map level
            chain = cat.ancestors(state.unit)
            state = replace(state, unit=chain[state.level] if len(chain) > state.level else None)
    return state, notes


def _validate(param: str, v: str, cat: Catalog) -> tuple[bool, object]:
    if len(v) > MAX_VALUE_CHARS:
        return False, None
    if param == "country":
        if v.lower() == REGION:
            return True, REGION
        return (v.upper() in cat.countries), v.upper()
    if param == "level":
        return (re.fullmatch(r"[0-2]", v) is not None), (int(v) if re.fullmatch(r"[0-2]", v) else None)
    if param == "year":
        if re.fullmatch(r"[0-9]{4}", v) and int(v) in cat.years:
            return True, int(v)
        return False, None
    if param == "offense":
        return (_CODE.match(v) is not None and v in cat.offenses), v
    if param == "sex":
        return v in SEXES, v
    if param == "age":
        return (v == "total" or (_CODE.match(v) is not None and v in cat.ages)), v
    if param == "measure":
        return v in MEASURES, v
    if param == "unit":
        return (_CODE.match(v) is not None and v in cat.units), v
    if param == "lang":
        return v in LANGS, v
    if param == "pool":
        return v in ("1", "3"), (int(v) if v in ("1", "3") else None)
    if param == "events":
        return v in ("0", "1"), (int(v) if v in ("0", "1") else None)
    return False, None


# ---------------------------------------------------------------------------------------------------
AVAIL_COLS = ("country", "level", "offense", "measure", "sex", "age_group", "year")


def avail_arrays(cat: Catalog) -> dict[str, np.ndarray]:
    """cat.avail's columns as arrays (text as Python strings, numbers as Python-comparable ints)."""
    hit = cat.prepared.get("avail")
    if hit is None:
        a = cat.avail
        hit = cat.prepared["avail"] = {c: a[c].to_numpy() if c in a else np.zeros(0, dtype=object)
                                       for c in AVAIL_COLS}
    return hit


def _row_arrays(cat: Catalog, country: str, level: int) -> tuple[dict[str, np.ndarray], bool]:
    """`_rows` as arrays (the same rows, in the same order), kept per (country, level)."""
    key = ("rows", country, level)
    hit = cat.prepared.get(key)
    if hit is None:
        a = avail_arrays(cat)
        mask = np.ones(len(a["level"]), dtype=bool)
        if country != REGION:
            mask = a["country"] == country
        at_level = mask & (a["level"] == level)
        has = bool(at_level.any())
        sel = at_level if has else mask
        hit = cat.prepared[key] = ({c: v[sel] for c, v in a.items()}, has)
    return hit


def prepare(cat: Catalog) -> None:
    """The availability arrays of every (country or region, level), made once when the dataset is loaded
    (core.query.prepare) rather than by the first view of each."""
    avail_arrays(cat)
    for country in (REGION,) + tuple(cat.countries):
        for level in LEVELS:
            _row_arrays(cat, country, level)


# The six countries of the observatories' mission; Panama and Nicaragua are neighbours shown alongside.
MISSION_COUNTRIES = ("BLZ", "CRI", "DOM", "SLV", "GTM", "HND")


def default_year(rows: pd.DataFrame) -> int | None:
    """The latest year with data for the most countries of the mission (ties -> latest); neighbours (PAN, NIC)
    do not hold the default back (region homicide rate: 2022, all six, although Nicaragua stops in 2021)."""
    if rows is None or rows.empty:
        return None
    return _default_year(rows["year"].to_numpy(), rows["country"].to_numpy())


def _default_year(years: np.ndarray, countries: np.ndarray) -> int | None:
    """default_year over arrays: distinct countries per year, mission countries only when any has a row."""
    if len(years) == 0:
        return None
    core = np.isin(countries, MISSION_COUNTRIES)
    if core.any():
        years, countries = years[core], countries[core]
    per: dict[int, set] = {}
    for y, c in zip(years.tolist(), countries.tolist()):
        per.setdefault(y, set()).add(c)
    best = max(len(v) for v in per.values())
    return int(max(y for y, v in per.items() if len(v) == best))


RECONCILED_MAX = 4096


def reconcile(state: ViewState, cat: Catalog) -> tuple[ViewState, list[Note], bool]:
    """Adjust the choices, in the order country -> offense -> measure -> sex -> age -> year, so that the selection
    has data. Returns (state, notes, level_has_data). A level where the country has data, or units without data, is
    kept: a country without data at a level is told so plainly by the map. A level where the country has no units
    at all (Belize has no municipalities: a map with nothing to draw, its control disabled) becomes the deepest one
    above it that it has, with a note. Memoised on the (immutable) catalog: it runs on every filter change."""
    hit = cat.reconciled.get(state)
    if hit is None:
        hit = _reconcile(state, cat)
        if len(cat.reconciled) >= RECONCILED_MAX:
            cat.reconciled.clear()
        cat.reconciled[state] = hit
    new, notes, has = hit
    return new, list(notes), has


def _reconcile(state: ViewState, cat: Catalog) -> tuple[ViewState, tuple[Note, ...], bool]:
    notes: list[Note] = []
    if state.country != REGION and (state.country, state.level) not in cat.levels_with_units:
        above = [lv for lv in LEVELS if lv < state.level and (state.country, lv) in cat.levels_with_units]
        if above:
            notes.append(Note("no_units", "level", str(state.level), str(max(above))))
            state = replace(state, level=max(above))
    cols, level_has_data = _row_arrays(cat, state.country, state.level)
    if len(cols["year"]) == 0:
        return state, (), False

    # plain arrays prepared once per (country, level): pandas filters cost ~15 ms per change
    mask = np.ones(len(cols["year"]), dtype=bool)

    def pick(param: str, col: str, current, preferred):
        nonlocal mask
        arr = cols[col]
        have = set(arr[mask].tolist())
        if current in have:
            mask &= arr == current
            return current
        new = next((p for p in preferred if p in have), None)
        if new is None:
            new = sorted(have)[0]
        notes.append(Note("fallback", param, str(current), str(new)))
        mask &= arr == new
        return new

    offense = pick("offense", "offense", state.offense, (DEFAULT_OFFENSE,) + tuple(cat.offenses))
    measure = pick("measure", "measure", state.measure, MEASURES)
    sex = pick("sex", "sex", state.sex, SEXES)
    age = pick("age", "age_group", state.age, ("total",) + tuple(cat.ages))
    years = set(cols["year"][mask].tolist())
    year = state.year
    if year not in years:
        new_year = _default_year(cols["year"][mask], cols["country"][mask])
        if year is not None:
            notes.append(Note("fallback", "year", str(year), str(new_year)))
        year = new_year
    new = replace(state, offense=offense, measure=measure, sex=sex, age=age, year=year)
    return new, tuple(notes), level_has_data


def resolve(query: str | Mapping | None, cat: Catalog) -> tuple[ViewState, list[Note], bool]:
    """parse + reconcile: any input -> a valid state with data, the notes, and whether the level has data."""
    state, notes = parse(query, cat)
    state, more, has = reconcile(state, cat)
    return state, notes + more, has


def to_query(state: ViewState) -> str:
    """Canonical query string (without '?'), stable parameter order. Memoised: a view's links ask for it ~8 times
    (ViewState is frozen, so the result of a state never changes); a state made from unvalidated values that
    cannot be hashed (a list from a browser's store) is encoded without the memo."""
    try:
        return _to_query_memo(state)
    except TypeError:
        return _to_query(state)


@lru_cache(maxsize=4096)
def _to_query_memo(state: ViewState) -> str:
    return _to_query(state)


def _to_query(state: ViewState) -> str:
    pairs = [("country", state.country), ("level", state.level), ("offense", state.offense)]
    if state.year is not None:
        pairs.append(("year", state.year))
    pairs += [("sex", state.sex), ("age", state.age), ("measure", state.measure)]
    if state.unit:
        pairs.append(("unit", state.unit))
    pairs.append(("lang", state.lang))
    if state.pool != 1:
        pairs.append(("pool", state.pool))
    if state.events != 1:
        pairs.append(("events", state.events))
    return urlencode(pairs)


# ---------------------------------------------------------------------------------------------------
def options(state: ViewState, cat: Catalog) -> dict[str, dict]:
    """For each control: {value: has_data} given the choices above it (country -> offense -> measure -> sex ->
    age -> year). Levels: {level: (has_units, has_data)}; countries: {iso3: has data for the offense}."""
    a = avail_arrays(cat)
    out: dict[str, dict] = {}
    off = a["offense"] == state.offense
    have_c = set(a["country"][off].tolist())
    out["country"] = {c: (c in have_c) for c in cat.countries}
    ctry = off if state.country == REGION else off & (a["country"] == state.country)
    levels_with_data = set(a["level"][ctry].tolist())
    lv = {}
    for level in LEVELS:
        if state.country == REGION:
            has_units = any((c, level) in cat.levels_with_units for c in cat.countries)
        else:
            has_units = (state.country, level) in cat.levels_with_units
        lv[level] = (has_units, level in levels_with_data)
    out["level"] = lv
    rows, _ = _row_arrays(cat, state.country, state.level)
    have = set(rows["offense"].tolist())
    out["offense"] = {o: (o in have) for o in cat.offenses}
    mask = rows["offense"] == state.offense
    have = set(rows["measure"][mask].tolist())
    out["measure"] = {m: (m in have) for m in MEASURES}
    mask &= rows["measure"] == state.measure
    have = set(rows["sex"][mask].tolist())
    out["sex"] = {s: (s in have) for s in SEXES}
    mask &= rows["sex"] == state.sex
    have = set(rows["age_group"][mask].tolist())
    out["age"] = {g: (g in have) for g in ("total",) + tuple(cat.ages)}
    mask &= rows["age_group"] == state.age
    have_y = set(rows["year"][mask].tolist())
    out["year"] = {y: (y in have_y) for y in cat.years}
    return out


def apply_change(state: ViewState, param: str, value: object, cat: Catalog) -> ViewState:
    """The state after the user changes one control (before reconcile). Bad values leave the state unchanged."""
    if param not in PARAMS or value is None:
        return state
    ok, parsed = _validate(param, str(value), cat)
    if not ok:
        return state
    if param == "country":
        if parsed == state.country:
            return state
        if parsed == REGION:
            return replace(state, country=REGION, level=0, unit=None)
        return replace(state, country=parsed, unit=parsed, level=max(state.level, 1))
    if param == "level":
        level = int(parsed)  # type: ignore[arg-type]
        unit = state.unit
        if unit:
            chain = cat.ancestors(unit)
            u_level = cat.units[unit][0]
            if u_level > level:
                unit = chain[level] if len(chain) > level else None
        if level == 0 and state.country != REGION:
            unit = state.country
        return replace(state, level=level, unit=unit)
    return replace(state, **{param: parsed})


def apply_click(state: ViewState, unit_id: object, cat: Catalog) -> ViewState:
    """Clicking a unit on the map: a country or department drills down to its children (when it has any);
    a municipality (or a unit without children) becomes the selected place."""
    if not isinstance(unit_id, str) or unit_id not in cat.units:
        return state
    level, country, _ = cat.units[unit_id]
    if level == state.level and level < 2 and cat.has_children(unit_id):
        return replace(state, country=country, level=level + 1, unit=unit_id)
    return replace(state, country=country, unit=unit_id)


def crumbs(state: ViewState, cat: Catalog) -> list[tuple[str, ViewState]]:
    """Breadcrumb: [(region|unit_id, state to go there)] from the region down to the selected place."""
    out = [(REGION, replace(state, country=REGION, level=0, unit=None))]
    if state.country == REGION:
        return out
    chain = cat.ancestors(state.unit) if state.unit else [state.country]
    for uid in chain:
        lvl = cat.units[uid][0]
        if lvl < 2 and cat.has_children(uid):
            target = replace(state, country=cat.units[uid][1], level=lvl + 1, unit=uid)
        else:
            target = replace(state, unit=uid)
        out.append((uid, target))
    return out


# ---------------------------------------------------------------------------------------------------
# Presenter mode (issue 4): ?view=present&deck=<name>&slide=<n> or &slides=<encoded view>|<encoded view>...
# ---------------------------------------------------------------------------------------------------
PRESENT_VIEWS = ("present",)
MAX_SLIDES = 50
_DECK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class PresentParams:
    present: bool = False
    deck: str | None = None            # a file data/decks/<deck>.json
    slides: tuple[str, ...] = ()       # inline view query strings
    slide: int = 1                     # 1-based


def parse_present(query: str | Mapping | None) -> tuple[PresentParams, list[Note]]:
    """view / deck / slides / slide from a query string. Hostile values fall back with a note, never raise."""
    raw, notes = _as_lists(query)
    present = False
    if "view" in raw:
        vals = raw["view"]
        if len(vals) == 1 and vals[0].strip() in PRESENT_VIEWS:
            present = True
        elif len(vals) != 1:
            notes.append(Note("repeated", "view", "", ""))
        elif vals[0].strip():
            notes.append(Note("invalid", "view", _short(vals[0]), ""))
    deck = None
    if "deck" in raw:
        vals = raw["deck"]
        if len(vals) == 1 and _DECK_NAME.match(vals[0].strip()):
            deck = vals[0].strip()
        else:
            notes.append(Note("invalid" if len(vals) == 1 else "repeated", "deck",
                              _short(vals[0]) if len(vals) == 1 else "", ""))
    slides: list[str] = []
    for v in raw.get("slides", []):
        for part in v.split("|"):
            part = part.strip()
            if part and len(part) <= 1024 and len(slides) < MAX_SLIDES:
                slides.append(part)
    slide = 1
    if "slide" in raw:
        vals = raw["slide"]
        if len(vals) == 1 and re.fullmatch(r"[0-9]{1,3}", vals[0].strip()) and int(vals[0]) >= 1:
            slide = int(vals[0])
        else:
            notes.append(Note("invalid" if len(vals) == 1 else "repeated", "slide",
                              _short(vals[0]) if len(vals) == 1 else "", "1"))
    return PresentParams(present=present, deck=deck, slides=tuple(slides), slide=slide), notes
