"""The Guangdong map as an ECharts choropleth (GeoJSON registered in the page, no tiles, no requests): a colour
scale with its legend, the Pearl River Delta again as a zoomed inset so its nine cities' names can be read,
and a click that returns the city."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app_pages.chart_graph import toolbox
from app_pages.map_view import features

PRD = frozenset({"440100", "440300", "440400", "440600", "440700", "441200", "441300", "441900", "442000"})
COLOURS = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
CLICK = "function(p){ if (p.name) { return {city: p.name, t: Date.now()}; } }"


def _geojson(codes: frozenset[str] | None) -> dict[str, Any]:
    shapes = [f for f in features("city") if codes is None or str(f["properties"].get("adcode")) in codes]
    return {"type": "FeatureCollection", "features": shapes}


def option(values: Mapping[str, float], *, map_name: str, title: str, top: float, inset: bool) -> dict[str, Any]:
    names = {str(f["properties"]["adcode"]): str(f["properties"]["name"]) for f in features("city")}
    data = [{"name": names[c], "value": values.get(c, 0)} for c in names if not inset or c in PRD]
    return {
        "animation": False,
        "title": {"text": title, "left": 4, "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        "visualMap": {
            "min": 0,
            "max": max(1.0, top),
            "left": 8,
            "bottom": 8,
            "calculable": True,
            "inRange": {"color": COLOURS},
            "text": ["多 more", "少 fewer"],
            "show": not inset,
        },
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
    from streamlit_echarts import Map, st_echarts

    top = max(values.values(), default=0)
    left, right = st.columns([3, 2])
    clicked = None
    with left:
        answer = st_echarts(
            option(values, map_name="guangdong", title=title, top=top, inset=False),
            map=Map("guangdong", _geojson(None)),
            height=f"{height}px",
            renderer="svg",
            events={"click": CLICK},
            key=f"{key}_province",
        )
        clicked = clicked or _city(answer)
    with right:
        answer = st_echarts(
            option(values, map_name="guangdong_prd", title="珠三角 Pearl River Delta", top=top, inset=True),
            map=Map("guangdong_prd", _geojson(PRD)),
            height=f"{height}px",
            renderer="svg",
            events={"click": CLICK},
            key=f"{key}_prd",
        )
        clicked = clicked or _city(answer)
    return clicked


def _city(answer: Any) -> str | None:
    event = answer.get("chart_event") if isinstance(answer, Mapping) else None
    return str(event["city"]) if isinstance(event, Mapping) and event.get("city") else None
