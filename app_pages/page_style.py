"""The app's own style beyond Streamlit's: a long value wraps inside its column."""

from __future__ import annotations

import streamlit as st

# A static table's cells and a text's lines break a long token (a URL, a file path) where they must: Streamlit lets
# one widen the table past its column, which then scrolls sideways (Explore's details of a node, its cited sources).
_LONG_VALUES_WRAP = "[data-testid='stTable'] :is(td,th) *,[data-testid='stText'] *{overflow-wrap:anywhere;}"


def long_values_wrap() -> None:
    """Puts the style on the page (every page: app.py)."""
    st.html(f"<style>{_LONG_VALUES_WRAP}</style>")
