"""Streamlit's own words on a page, in the reader's languages.

Streamlit writes some texts itself, in English only: a widget's placeholder ("Choose an option"), the hint under a
text box while it is being typed in ("Press Enter to apply"), a list's empty state ("No results"). The placeholders
are the widgets' own parameter (``pick_one``, ``all_when_empty``). The hint and the empty state have none:
``words_in_both`` puts a style on the page that hides Streamlit's text and shows ours in its place. It finds the
empty states by the class names Streamlit 1.67's bundle gives them (``tests/test_browser_words.py`` checks the words a
reader sees, so a Streamlit that renames them fails there, not silently). The hint's words assume what the app has:
no form (whose hint says "submit form") and no chat input (whose hint is a count alone); on a Mac Streamlit says
⌘+Enter where ours says Ctrl+Enter, and both keys work.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence, Sized
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages.common import L
from app_pages.text_order import in_order

# the class a selectbox's and a multiselect's "No results" element has in Streamlit 1.67.0's bundle
_EMPTY_SELECTBOX = "equpb2c9"
_EMPTY_MULTISELECT = "eo2qvtu11"


def pick_one(options: Sized | None = None) -> str:
    """A selectbox's placeholder while nothing is chosen (Streamlit's own: "Choose an option"). Given its options
    where they may be none, it says so (Streamlit disables an empty selectbox only without a placeholder of its own:
    such a caller passes ``disabled=not options`` too)."""
    if options is not None and not options:
        return L("没有可选项", "No options to select")
    return L("请选择", "Choose an option")


def all_when_empty() -> str:
    """A filter's placeholder where nothing chosen means no filter (Streamlit's own: "Choose options")."""
    return L("全部", "All")  # a filter box is narrow: a longer word was cut off


def pick_from(label: str, options: Mapping[Any, str], key: str, where: DeltaGenerator | None = None) -> Any:
    """A selectbox over the mapping's keys, each shown as its value (a cluster's code as its names), in its order."""
    return (where or st).selectbox(
        label,
        list(options),
        format_func=lambda k: in_order(str(options.get(k, k))),
        key=key,
        placeholder=pick_one(options),
        disabled=not options,
    )


def filter_by(
    where: DeltaGenerator, label: str, options: Sequence[Hashable], format_func: Callable[[Any], str], key: str
) -> list[Any]:
    """A multiselect whose empty choice means no filter: no "Select all" (choosing every option is the same)."""
    return where.multiselect(
        label,
        options,
        format_func=lambda v: in_order(str(format_func(v))),
        key=key,
        placeholder=all_when_empty(),
        select_all=False,
    )


def words_in_both() -> None:
    """The page's style: Streamlit's typing hints and empty lists in the reader's languages."""
    none = L("无匹配项", "No results")
    st.html(
        "<style>"
        # the hint's first part is Streamlit's sentence (a second, a count of characters, stays): ours goes before it
        '[data-testid="InputInstructions"] > span:first-child{display:none;}'
        + _before('[data-testid="InputInstructions"]', L("按 Enter 键确认", "Press Enter to apply"))
        + _before(
            '.stTextArea [data-testid="InputInstructions"]', L("按 Ctrl+Enter 键确认", "Press Ctrl+Enter to apply")
        )
        + _replaced(f".{_EMPTY_SELECTBOX}", none)
        + _replaced(f".{_EMPTY_MULTISELECT}", none)
        + "</style>"
    )


def multiselect_limit(at_most: int) -> None:
    """On a page whose multiselect takes ``at_most`` choices: its empty list also says when the limit is reached
    (Streamlit's own: "You can only select up to 3 options. Remove an option first.")."""
    words = L(f"无匹配项，或已选满 {at_most} 项", f"No results, or {at_most} already chosen")
    st.html(f"<style>{_replaced(f'.{_EMPTY_MULTISELECT}', words)}</style>")


def _css_text(words: str) -> str:
    """The words as a CSS string: a quote and a backslash escaped, a line break and a "<" (which could end the style
    element) as CSS escapes."""
    escaped = words.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    return f'"{escaped}"'


def _before(selector: str, words: str) -> str:
    return f"{selector}::before{{content:{_css_text(words)};}}"


def _replaced(selector: str, words: str) -> str:
    """CSS that hides an element's own text and shows ``words`` instead, at Streamlit's size for a list's empty
    state (the element keeps its place and colour)."""
    return f"{selector}{{font-size:0 !important;}}{selector}::after{{content:{_css_text(words)};font-size:0.875rem;}}"
