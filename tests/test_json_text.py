"""The stored JSON text (graph/json_text.py): orjson's speed, the standard library's exact text. Claims, record
hashes and digests written before must stay equal, or every re-run after an upgrade would see every node changed."""

from __future__ import annotations

import json
import math
from enum import Enum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.json_text import compact, compact_bytes, loads


class _Rate(float, Enum):
    SMALL = 1e-5


def _python(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# floats of every size, and the ones where orjson and Python write differently (below 1e-4)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1e-5, 2.5e-7, 1e-4, 1e16, 5e-324, -0.0])
_SCALARS = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | _FLOATS | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=3_000, deadline=None)
@given(_VALUES)
def test_the_text_is_the_standard_library_s_byte_for_byte(value: Any) -> None:
    for whole in (value, [value, "长" * 400]):  # a short text is searched, a long one's value walked
        expected = _python(whole)
        assert compact(whole) == expected
        if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in expected):  # a lone surrogate has no UTF-8
            assert compact_bytes(whole) == expected.encode()


@settings(max_examples=3_000, deadline=None)
@given(_VALUES)
def test_reading_gives_what_the_standard_library_reads(value: Any) -> None:
    text = _python(value)
    if any(len(digits) >= 19 for digits in "".join(c if c.isdigit() else " " for c in text).split()):
        return  # an int beyond 64 bits: the stores hold none (ingest/values.as_int refuses them)
    assert _python(loads(text)) == _python(json.loads(text))


def test_the_cases_orjson_writes_differently_or_refuses() -> None:
    assert compact({"rate": 1e-05, "tiny": 2.5e-09}) == '{"rate":1e-05,"tiny":2.5e-09}'
    assert compact({"b": 1, "a": ["中", 2**64]}) == '{"a":["中",18446744073709551616],"b":1}'
    assert compact({"s": "\ud800"}) == '{"s":"\ud800"}'  # a lone surrogate, as Python writes it
    assert compact({"s": "e-commerce 0.00001%"}) == '{"s":"e-commerce 0.00001%"}'  # a look-alike, written again
    assert compact({1: "x"}) == '{"1":"x"}'
    long = "长" * 400
    assert compact({"claims": long, "rate": [1e-05]}) == f'{{"claims":"{long}","rate":[1e-05]}}'
    assert compact({"claims": long, "rate": _Rate.SMALL}) == f'{{"claims":"{long}","rate":1e-05}}'  # orjson writes it
    assert math.isnan(loads("[NaN]")[0]) and loads('"\\ud800"') == "\ud800"
