"""The JSON text ClusterKG stores and hashes: keys sorted, no spaces, characters as they are.

The text is exactly ``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``, so claims,
record hashes and digests written before stay equal. orjson writes it about 3× faster, its checks included (a
node's claims were a fifth of the node rows' step at scale 15); the standard library writes it wherever orjson's text
would differ:
- a float below 1e-4 (orjson writes ``0.00001`` and ``1e-9`` where Python writes ``1e-05`` and ``1e-09``): any
  text with ``0.0000`` or a digit before ``e-`` is written again by the standard library, a string that merely
  contains them included;
- a value orjson refuses: an int beyond 64 bits, a lone surrogate, a key that is not a str, a subclass, a date.
A float that is not finite is the one difference left: orjson writes it ``null``, Python ``NaN``. The ingest's
values are finite (``ingest/values.as_float`` refuses the others).

orjson leaves a UTF-8 copy inside each non-ASCII string it writes, for the string's life: fine for statements let
go soon after (a node's claims, while its row is made), costly for many held at once (docs/SCALE.md).
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
_PYTHON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def compact(value: Any) -> str:
    """The value's JSON text: keys sorted, no spaces, non-ASCII characters as they are."""
    text = _by_orjson(value)
    return text.decode() if text is not None else _PYTHON.encode(value)


def compact_bytes(value: Any) -> bytes:
    """``compact`` as UTF-8, for a hash."""
    text = _by_orjson(value)
    return text if text is not None else _PYTHON.encode(value).encode()


def part_text(value: Any) -> str | None:
    """``compact`` of a value that is part of a larger one, where it is the part's text in the larger value's text
    too: None where the standard library may write the part otherwise, and so where ``compact`` of the whole may
    (a float below 1e-4 or not finite, an int beyond 64 bits, a lone surrogate, a key that is not a text, a value of
    any type but the plain JSON ones, which orjson may write and the standard library refuse: a UUID, an enum)."""
    if type(value) is str:  # orjson writes every character as the standard library does (tests/test_json_text.py)
        try:
            return orjson.dumps(value).decode()
        except orjson.JSONEncodeError:
            return None
    if not _plain(value):
        return None
    text = _by_orjson(value)
    return None if text is None else text.decode()


def _plain(value: Any) -> bool:
    """Whether the value holds only texts, bools, None, ints, floats of 1e-4 or more (or 0) and finite, in lists,
    tuples and dicts keyed by text: the values both libraries write alike (an int past 64 bits orjson refuses)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return True
    if kind is float:
        return math.isfinite(value) and not (value != 0 and -1e-4 < value < 1e-4)
    if kind is list or kind is tuple:
        return all(map(_plain, value))
    if kind is dict:
        return all(type(k) is str for k in value) and all(map(_plain, value.values()))
    return False


def _by_orjson(value: Any) -> bytes | None:
    """orjson's text, or None where it may differ from Python's: a value orjson refuses, or a float below 1e-4."""
    try:
        text = orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    # A long text is mostly long strings (a node's claims inside its record hash's text): the value's few floats are
    # then quicker to look at than the text's every byte (a 7 KB text: 0.5 µs to walk its value, 3–9 µs to search).
    if len(text) > _SEARCHED_UP_TO:
        return None if _small_float_in(value) else text
    return None if b"0.0000" in text or _digit_before_exponent(text) else text


_SEARCHED_UP_TO = 1_000  # bytes


def _digit_before_exponent(text: bytes) -> bool:
    """Whether ``e-`` follows a digit anywhere in the text (as ``1e-09``; not as ``e-commerce``)."""
    at = text.find(b"e-")
    while at != -1:
        if at and 0x30 <= text[at - 1] <= 0x39:
            return True
        at = text.find(b"e-", at + 2)
    return False


def _small_float_in(value: Any) -> bool:
    """Whether a float other than 0 and closer to it than 1e-4 is anywhere in the value. Containers of their exact
    types only (orjson refused a subclass already); a float of any type (orjson writes an enum's float member)."""
    kind = type(value)
    if isinstance(value, float):
        return bool(value != 0 and -1e-4 < value < 1e-4)
    if kind is dict:
        return any(map(_small_float_in, value.values()))
    if kind is list or kind is tuple:
        return any(map(_small_float_in, value))
    return False


def loads(text: str) -> Any:
    """``json.loads`` of a text ``compact`` wrote, 2–3× faster: orjson reads it, the standard library what orjson
    refuses (``NaN``, a lone surrogate's escape). orjson reads an int beyond 64 bits as a float: the stores hold
    none (``ingest/values.as_int`` refuses them), and looking for one first took longer than the reading."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
