"""A page's state in its URL (``?cluster=E04&lang=en``), so a link reopens the same view.

Each page seeds its widgets from the URL before drawing them (only when the session does not hold them yet,
so a reader's own choice wins) and writes its state back after. Values outside the allowed ones are ignored:
a URL is input from anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import streamlit as st

from app_pages.common import LANG_KEY, L, plain


def param(name: str) -> str | None:
    value = st.query_params.get(name)
    return str(value) if value not in (None, "") else None


def seed(
    key: str, name: str, default: Any, allowed: Collection[Any] | None = None, parse: Callable[[str], Any] = str
) -> None:
    """Give the widget ``key`` its URL value (else ``default``) unless the session already holds one."""
    if key in st.session_state:
        return
    raw = param(name)
    value = default
    if raw is not None:
        try:
            parsed = parse(raw)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and (allowed is None or parsed in allowed):
            value = parsed
        else:  # a link that names what the page does not know says so, rather than showing another view silently
            shown, instead = plain(repr(raw)), plain(value)
            st.warning(
                L(
                    f"链接中的 {name}={shown} 本页没有，改为显示 {instead}。",
                    f"This page has no {name}={shown} (from the link); showing {instead} instead.",
                )
            )
    st.session_state[key] = value


def seed_list(key: str, name: str, default: list[str], allowed: Collection[str]) -> None:
    """A multiselect's value from a comma-separated URL parameter (unknown entries dropped)."""
    if key in st.session_state:
        return
    raw = param(name)
    chosen = [v for v in raw.split(",") if v in allowed] if raw is not None else default
    st.session_state[key] = chosen


def as_bool(raw: str) -> bool:
    return raw.lower() in ("1", "true", "yes")


def publish(values: Mapping[str, Any]) -> None:
    """Write the page's state (and the language) into the URL; empty values are left out."""
    wanted: dict[str, str] = {}
    for name, value in values.items():
        if value is None or value in ("", []) or value is False:
            continue
        wanted[name] = (
            ",".join(map(str, value))
            if isinstance(value, (list, tuple))
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    if st.session_state.get(LANG_KEY, "zh") != "zh":
        wanted["lang"] = str(st.session_state[LANG_KEY])
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
