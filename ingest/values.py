"""Typed values from text cells. Each converter returns the value or raises ValueProblemError with the reason.

A converter's keyword-only parameters are the options a mapping may give it (``minimum``, ``values`` …);
``converter_options`` reads them from the signature, so the mapping schema and the docs cannot drift from
the code. There is no ``**kwargs``: an option a converter does not declare is an error, not ignored.
"""

from __future__ import annotations

import inspect
import math
import re
import typing
from collections.abc import Callable
from datetime import date
from typing import Any

from graph.ids import ADMIN_CODE, uscc_problem
from ingest.normalize import clean_value

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BEYOND_INT64 = ("整数超出存储的 64 位范围", "a whole number beyond the store's 64-bit range")


class ValueProblemError(ValueError):
    """The cell's text is not a value of the expected type; the message says why, in Chinese (``zh``) and English
    (``en``): the report shows both."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def as_text(text: str) -> str:
    return clean_value(text)


def as_int(text: str, *, minimum: float | None = None, maximum: float | None = None) -> int:
    cleaned = clean_value(text).replace(",", "")
    if not re.fullmatch(r"[+-]?\d+", cleaned):
        raise ValueProblemError("不是整数", "not a whole number")
    # The stores' integers are 64-bit: a longer number is a bad value (left out, or its row refused if required).
    # Its digits are counted first, as Python refuses to convert more than 4,300 of them.
    if len(cleaned.lstrip("+-").lstrip("0")) > len(str(INT64_MAX)):
        raise ValueProblemError(*BEYOND_INT64)
    value = int(cleaned)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueProblemError(*BEYOND_INT64)
    _check_range(value, minimum, maximum)
    return value


def as_float(text: str, *, minimum: float | None = None, maximum: float | None = None, suffix: str = "") -> float:
    cleaned = clean_value(text).replace(",", "").replace(" ", "")
    if suffix and cleaned.endswith(suffix):
        cleaned = cleaned[: -len(suffix)]
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueProblemError("不是数字", "not a number") from None
    if not math.isfinite(value):
        raise ValueProblemError("不是有限的数", "not a finite number")
    _check_range(value, minimum, maximum)
    return value


def as_year(text: str) -> int:
    """A year: ``2017``, ``2017年``, ``2017-09`` → 2017; between 1800 and 2100."""
    match = re.fullmatch(r"(\d{4})(?:年|[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?(?:\s*\(.*\))?", clean_value(text))
    if not match:
        raise ValueProblemError("不是年份", "not a year")
    year = int(match.group(1))
    if not 1800 <= year <= 2100:
        raise ValueProblemError("年份不在 1800–2100 之间", "year outside 1800–2100")
    return year


def as_date(text: str) -> str:
    """``20190722``, ``2019-07-22``, ``2019/7/22``, ``2019年7月22日`` → ``2019-07-22``."""
    cleaned = clean_value(text)
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", cleaned) or re.fullmatch(
        r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", cleaned
    )
    if not match:
        raise ValueProblemError("不是日期", "not a date")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
    except ValueError:
        raise ValueProblemError("日历上没有这一天", "not a calendar date") from None


def as_bool(text: str) -> bool:
    word = clean_value(text).lower()
    if re.match(r"^(yes|true|y|1|是)\b", word):
        return True
    if re.match(r"^(no|false|n|0|否)\b", word):
        return False
    raise ValueProblemError("不是“是”或“否”", "not yes or no")


_OPEN, _CLOSE = "(（[【", ")）]】"


def split_outside_brackets(text: str, separators: str) -> list[str]:
    """Split at the separators that are not inside brackets: ``链主(广东省;广州市);龙头`` is two values, the first
    one naming both levels, never ``链主(广东省`` and ``广州市)``."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE and depth:
            depth -= 1
        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def as_list(text: str, *, separators: str = ";；") -> list[str]:
    return [clean_value(part) for part in split_outside_brackets(text, separators)]


def as_uscc(text: str) -> str:
    code = clean_value(text).upper().replace(" ", "")
    problem = uscc_problem(code)
    if problem is not None:
        zh, en = problem
        raise ValueProblemError(f"统一社会信用代码{zh}", f"invalid 统一社会信用代码 ({en})")
    return code


def as_admin_code(text: str) -> str:
    code = clean_value(text)
    if not ADMIN_CODE.fullmatch(code):
        raise ValueProblemError("不是 6 位 GB/T 2260 行政区划代码", "not a 6-digit GB/T 2260 admin code")
    return code


def as_enum(text: str, *, values: list[str] | None = None) -> str:
    value = clean_value(text)
    if values is not None and value not in values:
        raise ValueProblemError(f"不在 {'、'.join(values)} 之中", f"not one of {', '.join(values)}")
    return value


def _check_range(value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ValueProblemError(f"小于最小值 {minimum}", f"below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise ValueProblemError(f"大于最大值 {maximum}", f"above the maximum {maximum}")


CONVERTERS: dict[str, Callable[..., Any]] = {
    "text": as_text,
    "name": as_text,
    "int": as_int,
    "float": as_float,
    "year": as_year,
    "date": as_date,
    "bool": as_bool,
    "list": as_list,
    "uscc": as_uscc,
    "admin_code": as_admin_code,
    "enum": as_enum,
}


def converter_options(name: str) -> dict[str, tuple[Any, Any]]:
    """The options converter ``name`` accepts: option → (type, default), from its keyword-only parameters."""
    convert = CONVERTERS[name]
    hints = typing.get_type_hints(convert)
    return {
        param.name: (hints[param.name], param.default)
        for param in inspect.signature(convert).parameters.values()
        if param.kind is inspect.Parameter.KEYWORD_ONLY
    }
