"""Number formats per language/country, checked against Babel itself and hand-written strings."""
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from core.numbers import fmt_change, fmt_count, fmt_rate, locale_for, plotly_separators


def test_locale_choice():
    assert locale_for("es") == "es_419"
    assert locale_for("es", "CRI") == "es_CR"
    assert locale_for("es", "GTM") == "es_GT"
    assert locale_for("en", "CRI") == "en"


def test_hand_checked_strings():
    assert fmt_rate(17.84, "es_419") == "17.8"
    assert fmt_count(1234, "es_419") == "1,234"
    assert fmt_rate(17.84, "es_CR") == "17,8"
    assert fmt_count(1234567, "en") == "1,234,567"
    assert fmt_rate(None, "en") == "—"
    assert fmt_rate(float("nan"), "es_419") == "—"
    assert fmt_change(37.2, "es_419") == "▲ 37 %"
    assert fmt_change(-4.6, "es_419") == "▼ 5 %"
    assert fmt_change(0.2, "en") == "= 0 %"
    assert plotly_separators("es_419") == ".,"
    assert plotly_separators("es_CR")[0] == ","


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=1e9, allow_nan=False), st.sampled_from(["es_419", "es_CR", "en", "es_GT"]))
def test_matches_babel(x, loc):
    assert fmt_rate(x, loc) == format_decimal(round(x, 1), "#,##0.0", locale=loc)
    assert fmt_count(round(x), loc) == format_decimal(round(x), "#,##0", locale=loc)
