"""What every ECharts picture's option goes through on its way to the browser.

streamlit-echarts runs as JavaScript, at once, whatever it finds between two of its marks (``--x_x--0_0--``) in any
text of an option. The app's own functions are marked so (``js_function``). In every other text — a name, a city, a
cluster's code, all from a source's rows — ``inert`` breaks the mark, so that no value can run in a reader's
browser: a firm named ``X--x_x--0_0--fetch(…)--x_x--0_0--`` ran its fetch on every page that drew it.
"""

from __future__ import annotations

import re
from typing import Any

from app_pages.text_order import in_order

MARK = "--x_x--0_0--"
_BROKEN = "--x_x--0_0-\u200b-"  # looks like the mark, is not it (a zero-width space)


class JsFunction(str):
    """A JavaScript function of the app's own, marked for streamlit-echarts to run."""


def js_function(code: str) -> JsFunction:
    if MARK in code:
        raise ValueError("a function's code holds streamlit-echarts' mark")
    return JsFunction(f"{MARK}{code}{MARK}")


_KEYS_NOT_SHOWN = frozenset({"id", "source", "target"})  # a node's and an edge's ends: a click sends the id back


def inert(value: Any, key: object = None) -> Any:
    """``value`` with the mark broken in every text but the app's own functions (dicts, lists and tuples walked),
    and each bidi control in a text shown as its escape, but in a node's id and an edge's ends, which are not shown
    and which a click on the node must send back as they are."""
    if type(value) is JsFunction:
        return str(value)
    if isinstance(value, str):
        while MARK in value:
            value = value.replace(MARK, _BROKEN)
        return value if key in _KEYS_NOT_SHOWN else in_order(value)  # app_pages/text_order.py
    if isinstance(value, dict):
        return {inert(k): inert(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [inert(v) for v in value]
    return value


def js_text(value: str) -> str:
    """A value as a JavaScript string literal, for a function's code: quotes, backslashes and line breaks escaped,
    and the mark broken (it would end the function)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    escaped = re.sub(r"[\u2028\u2029<]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return "'" + escaped.replace("-", "\\x2d") + "'"  # no run of hyphens left: the mark cannot form


def label_text(value: str) -> str:
    """A value as an ECharts label's formatter: its braces full-width, as ECharts reads ``{b}`` or ``{style|…}`` in a
    formatter as a field or a style, not as the characters a name holds."""
    return value.replace("{", "｛").replace("}", "｝")


def draw(option: dict[str, Any], **kwargs: Any) -> Any:
    """``st_echarts`` of the option made inert (its other arguments are the app's own)."""
    from streamlit_echarts import st_echarts  # here, not above: importing it registers the component with a server

    return st_echarts(inert(option), **kwargs)
