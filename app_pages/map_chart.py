"""The Guangdong map as an ECharts choropleth (GeoJSON registered in the page, no tiles, no requests): a colour
scale of quantile bins with their real ranges as its legend (app_pages/map_scale.py), the Pearl River Delta again
as a zoomed inset so its nine cities' names can be read, a click that returns the city, and a picked city's
districts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app_pages.chart_graph import toolbox
from app_pages.chart_safety import draw
from app_pages.common import L
from app_pages.map_scale import pieces, visual_map
from app_pages.map_view import features

PRD = frozenset({"440100", "440300", "440400", "440600", "440700", "441200", "441300", "441900", "442000"})
CLICK = "function(p){ if (p.name) { return {city: p.name, t: Date.now()}; } }"


def _geojson(codes: frozenset[str] | None) -> dict[str, Any]:
    shapes = [f for f in features("city") if codes is None or str(f["properties"].get("adcode")) in codes]
    return {"type": "FeatureCollection", "features": shapes}


def option(
    values: Mapping[str, float],
    *,
    map_name: str,
    title: str,
    scale: list[dict[str, Any]],
    inset: bool,
    shapes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A choropleth of ``shapes`` (the cities unless given) coloured by ``values`` (by admin code) on ``scale``."""
    names = {str(f["properties"]["adcode"]): str(f["properties"]["name"]) for f in shapes or features("city")}
    data = [{"name": names[c], "value": values.get(c, 0)} for c in names if not inset or c in PRD]
    return {
        "animation": False,
        "title": {"text": title, "left": 4, "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        "visualMap": visual_map(scale, show=not inset),
        "toolbox": toolbox(map_name),
        "series": [
            {
                "type": "map",
                "map": map_name,
                "roam": True,
                "data": data,
                "label": {
                    "show": True,
                    "fontSize": 12 if inset else 10,
                    "color": "#111",
                    "textBorderColor": "#fff",  # a halo: readable on the darkest blue as on white
                    "textBorderWidth": 3,
                    "formatter": "{b}\n{c}",
                },
                "labelLayout": {"hideOverlap": not inset},
                "emphasis": {"label": {"show": True}, "itemStyle": {"areaColor": "#ffd400"}},
                "itemStyle": {"borderColor": "#555", "borderWidth": 0.6},
            }
        ],
    }


def show_map(values: Mapping[str, float], *, title: str, key: str, height: int = 560) -> str | None:
    """Province map and PRD inset side by side; the name of the city clicked in this run, if any."""
    import streamlit as st
    from streamlit_echarts import Map

    scale = pieces(values.values())  # one scale for both pictures: a colour means the same range in each
    left, right = st.columns([3, 2])
    clicked = None
    with left:
        answer = draw(
            option(values, map_name="guangdong", title=title, scale=scale, inset=False),
            map=Map("guangdong", _geojson(None)),
            height=f"{height}px",
            renderer="svg",
            events={"click": CLICK},
            key=f"{key}_province",
        )
        clicked = clicked or _city(answer, f"{key}_province")
    with right:
        answer = draw(
            option(values, map_name="guangdong_prd", title=L("珠三角", "Pearl River Delta"), scale=scale, inset=True),
            map=Map("guangdong_prd", _geojson(PRD)),
            height=f"{height}px",
            renderer="svg",
            events={"click": CLICK},
            key=f"{key}_prd",
        )
        clicked = clicked or _city(answer, f"{key}_prd")
    return clicked


def show_districts(
    values: Mapping[str, float], shapes: list[dict[str, Any]], *, title: str, key: str, height: int = 460
) -> None:
    """One city's districts, coloured on their own scale (the city's districts, not the province's cities)."""
    from streamlit_echarts import Map

    parent = (shapes[0]["properties"].get("parent") or {}).get("adcode") if shapes else "none"
    name = f"districts_{parent}"  # one registered map per city: the component keeps maps by name
    draw(
        option(values, map_name=name, title=title, scale=pieces(values.values()), inset=False, shapes=shapes),
        map=Map(name, {"type": "FeatureCollection", "features": shapes}),
        height=f"{height}px",
        renderer="svg",
        key=key,
    )


def _city(answer: Any, key: str) -> str | None:
    """The city of a click not seen before: the component repeats its last event on every rerun, and a repeat
    must not undo a city picked since in the select box."""
    import streamlit as st

    event = answer.get("chart_event") if isinstance(answer, Mapping) else None
    if not isinstance(event, Mapping) or not event.get("city"):
        return None
    seen = f"{key}_seen"
    if st.session_state.get(seen) == event.get("t"):
        return None
    st.session_state[seen] = event.get("t")
    return str(event["city"])
