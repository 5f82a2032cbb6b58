"""Hypothesis strategies for hostile input: URL parameters, query strings, callback values and bodies."""
from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from core.viewstate import PARAMS

# stable in CI: derandomized, no example database, no deadline (never a timed assertion)
FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                   HealthCheck.data_too_large, HealthCheck.filter_too_much])


def fuzz(n: int):
    return settings(max_examples=n, **FUZZ)


MARK = "zq"  # hostile payloads carry this marker so a reflection can be found in a response
HOSTILE = [
    "<script>alert('zq')</script>", "\"><img src=x onerror=alert('zq')>", "javascript:alert('zq')",
    "<svg/onload=alert('zq')>", "' OR '1'='1' --zq", "1; DROP TABLE facts;--zq", "zq\" onmouseover=\"alert(1)",
    "../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "..\\..\\windows\\win.ini", "/etc/passwd",
    "%00zq", "zq\x00", "${jndi:ldap://127.0.0.1/zq}", "{{7*7}}zq", "<!--zq-->", "zq\r\nSet-Cookie: zq=1",
    "ñandú", "Δ😀zq", "\u202ezq", "\ufeffCRI", "CRI ", " homicide", "9" * 400, "-1", "0", "1e308", "NaN",
    "Infinity", "-0", "2023.0", "0x7e7", "99999999999999999999999", "2" * 5000, "", " ", "null", "None", "[]",
    "{}", "true", "region", "REGION", "cri", "Cri", "CRI-101", "CR-SJ", "cr-sj", "total", "TOTAL", "%", "%%", "&",
    "=", "+", "#zq", "?zq", ";", "\\", "'", '"',
]
VALID = {
    "country": ["region", "CRI", "GTM", "HND", "SLV"], "level": ["0", "1", "2"],
    "offense": ["homicide", "theft", "femicide"], "year": ["2019", "2020", "2022", "2023", "1999", "2031"],
    "sex": ["total", "female", "male", "unknown"], "age": ["total", "0-17", "18-64"],
    "measure": ["rate", "count"], "unit": ["CRI", "CR-SJ", "CR-A", "CRI-101", "GTM-301", "HN-FM", "XX-999"],
    "lang": ["es", "en", "fr"],
}
text = st.text(max_size=40)
value = st.one_of(st.sampled_from(HOSTILE), text, st.integers(-10**30, 10**30).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))


def param_value(param: str):
    return st.one_of(st.sampled_from(VALID.get(param, ["x"])), value)


names = st.one_of(st.sampled_from(PARAMS), st.sampled_from(PARAMS).map(str.upper), text,
                  st.sampled_from(["v", "__proto__", "constructor", "q", "page", "../x"]))
pairs = st.lists(st.one_of(st.sampled_from(PARAMS).flatmap(lambda p: st.tuples(st.just(p), param_value(p))),
                           st.tuples(names, value)), max_size=8)


def encode(items, raw: bool = False) -> str:
    """A query string of (name, value) pairs: percent-encoded, or raw (as a hostile client might send)."""
    if raw:
        return "&".join(f"{k}={v}" for k, v in items)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in items)


query = st.tuples(pairs, st.booleans()).map(lambda t: encode(t[0], t[1]))
# a JSON value of any shape for callback inputs
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False),
              st.sampled_from(HOSTILE), text),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4)),
    max_leaves=12)
