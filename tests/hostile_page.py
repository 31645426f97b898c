"""Not one of the app's pages: the app's pictures and tables drawn with values a hostile source's row could hold, for
tests/test_hostile_values.py to open in Chromium. Each value would make the browser ask this page's own server for a
path beginning ``/hostile-`` if it were taken as code or markup; the test records every request."""

from __future__ import annotations

import pandas as pd

from app_pages.chart_graph import show_graph
from app_pages.chart_safety import draw
from app_pages.common import fixed_table
from app_pages.graph_view import GraphData

MARK = "--x_x--0_0--"  # streamlit-echarts runs what a text holds between two of these
SPOOF = "恶意\u202egnp.exe"  # shown as it is, it reads as ending in "exe.png"

data = GraphData()
data.add_node("lab", "实验室", stage="basic_research", kind="Laboratory", title='<img src="/hostile-tooltip.png">')
data.add_node("firm", f"X{MARK}fetch('/hostile-js-name'){MARK}", stage="industry", kind="Enterprise")
data.add_edge("lab", "firm", '<img src="/hostile-edge.png">')
show_graph(data, key="hostile_graph", height=400, file_name="x';fetch('/hostile-png-name');'")

cities = [f"B{MARK}fetch('/hostile-js-city'){MARK}", '<img src="/hostile-city.png">', SPOOF]
draw(
    {
        "animation": False,
        "tooltip": {"position": "top"},
        "xAxis": {"type": "category", "data": ["E01"]},
        "yAxis": {"type": "category", "data": cities},
        "visualMap": {"min": 0, "max": 5, "show": False},
        "series": [{"type": "heatmap", "data": [[0, 0, 5], [0, 1, 3], [0, 2, 1]]}],
    },
    height="240px",
    renderer="svg",
    key="hostile_heat",
)
fixed_table(pd.DataFrame({"notes": ["![x](/hostile-table.png)", SPOOF]}), hide_index=True)
