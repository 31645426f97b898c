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
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
_PYTHON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_EXPONENT = re.compile(rb"[0-9]e-")


def compact(value: Any) -> str:
    """The value's JSON text: keys sorted, no spaces, non-ASCII characters as they are."""
    text = _by_orjson(value)
    return text.decode() if text is not None else _PYTHON.encode(value)


def compact_bytes(value: Any) -> bytes:
    """``compact`` as UTF-8, for a hash."""
    text = _by_orjson(value)
    return text if text is not None else _PYTHON.encode(value).encode()


def _by_orjson(value: Any) -> bytes | None:
    """orjson's text, or None where it may differ from Python's: a value orjson refuses, or a float below 1e-4
    (two searches for a fixed text are 6× faster than one regular expression)."""
    try:
        text = orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    if b"0.0000" in text or (b"e-" in text and _EXPONENT.search(text) is not None):
        return None
    return text


def loads(text: str) -> Any:
    """``json.loads`` of a text ``compact`` wrote, 2–3× faster: orjson reads it, the standard library what orjson
    refuses (``NaN``, a lone surrogate's escape). orjson reads an int beyond 64 bits as a float: the stores hold
    none (``ingest/values.as_int`` refuses them), and looking for one first took longer than the reading."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
