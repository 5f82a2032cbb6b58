"""Number formatting per language and country.

Babel decides the symbols (es -> es_419 "17.8" / "1,234"; Costa Rica -> es_CR "17,8"; en -> "17.8" / "1,234").
Babel's own `format_decimal` costs ~50 us per call, too slow for 1,000+ tooltips per filter change, so the
symbols are looked up once per locale and the formatting itself is Python's (tests compare with Babel).
"""
from __future__ import annotations

import math
from functools import lru_cache

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol

# Country -> Babel locale for Spanish. Costa Rica writes a decimal comma; the region a decimal point.
_ES_COUNTRY_LOCALE = {"CRI": "es_CR", "GTM": "es_GT", "HND": "es_HN", "SLV": "es_SV", "DOM": "es_DO",
                      "PAN": "es_PA", "NIC": "es_NI"}


def locale_for(lang: str, country: str | None = None) -> str:
    """Babel locale for a language and (optionally) the one country shown."""
    if lang == "en":
        return "en"
    if country and country in _ES_COUNTRY_LOCALE:
        return _ES_COUNTRY_LOCALE[country]
    return "es_419"


@lru_cache(maxsize=32)
def symbols(locale: str) -> tuple[str, str]:
    """(decimal, group) symbols of a Babel locale."""
    loc = Locale.parse(locale)
    return get_decimal_symbol(loc), get_group_symbol(loc)


def grouped_100k(text: str, group: str) -> str:
    """`text` (a label with the rate's base "100,000") with that number grouped by `group`, the thousands symbol
    of the view's locale (Costa Rica: a no-break space, "100 000"), so the label agrees with the figures beside it."""
    return text if group == "," else text.replace("100,000", "100" + group + "000")


def plotly_separators(locale: str) -> str:
    """Plotly `layout.separators`: decimal then thousands."""
    dec, grp = symbols(locale)
    return dec + grp


def _is_missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def fmt_number(x: float | int | None, locale: str, decimals: int = 0, missing: str = "—") -> str:
    """Grouped number with `decimals` fixed decimals, localised symbols. None/NaN -> `missing`."""
    if _is_missing(x):
        return missing
    s = f"{float(x):,.{decimals}f}"
    if s in {"-0", "-0.0", "-0.00"}:
        s = s[1:]
    dec, grp = symbols(locale)
    if (dec, grp) == (".", ","):
        return s
    return s.replace(",", "\x00").replace(".", dec).replace("\x00", grp)


def fmt_rate(x: float | None, locale: str, missing: str = "—") -> str:
    """A rate per 100,000: one decimal."""
    return fmt_number(x, locale, 1, missing)


def fmt_count(x: float | None, locale: str, missing: str = "—") -> str:
    """A count: integer with grouping."""
    return fmt_number(x, locale, 0, missing)


def fmt_value(x: float | None, measure: str, locale: str, missing: str = "—") -> str:
    return fmt_rate(x, locale, missing) if measure == "rate" else fmt_count(x, locale, missing)


def fmt_change(pct: float | None, locale: str, missing: str = "") -> str:
    """Signed change in percent with an arrow (never colour alone): '▲ 37 %', '▼ 5 %', '= 0 %'."""
    if _is_missing(pct):
        return missing
    v = float(pct)
    r = round(v)
    arrow = "▲" if r > 0 else ("▼" if r < 0 else "=")
    return f"{arrow} {fmt_number(abs(r), locale, 0)} %"
