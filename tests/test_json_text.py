"""The stored JSON text (graph/json_text.py): orjson's speed, the standard library's exact text. Claims, record
hashes and digests written before must stay equal, or every re-run after an upgrade would see every node changed."""

from __future__ import annotations

import json
import math
import uuid
from enum import Enum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.json_text import compact, compact_bytes, loads, part_text


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


def test_a_part_s_text_is_none_where_the_whole_may_be_written_otherwise() -> None:
    """``part_text``: orjson's text of a part of a value, or None where the standard library may write it otherwise
    in the whole (ingest/tie_text.py puts a tie's text together from its parts' texts)."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert part_text(every) == json.dumps(every, ensure_ascii=False)  # every character as the standard library
    assert part_text("0.00001 e-5") == '"0.00001 e-5"'  # a text is a text
    for plain in (None, True, 1, 2**63 - 1, 0.5, 1e16, -0.0, ["a", 1], {"b": [1.5]}):
        assert part_text(plain) == compact(plain)
    odd = ["\ud800", 1e-05, float("nan"), float("inf"), 2**64, [1, 1e-9], {"a": float("-inf")}, {1: "a"}, _Rate.SMALL]
    for value in (*odd, uuid.UUID(int=1), {"k": uuid.UUID(int=1)}):
        assert part_text(value) is None, value
