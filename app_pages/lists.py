"""三单一图: per cluster, the key-technology, key-product and R&D-institution lists and the map, as Excel."""

from __future__ import annotations

import streamlit as st

from app_pages import share
from app_pages.chrome import pick_from
from app_pages.common import L, cluster_options, data_table, page_header, run_named
from app_pages.headers import class_words, frame, key_products, readable
from app_pages.map_view import choropleth
from graph.exports import workbook_bytes

page_header("三单一图", "Three lists and a map")
options = cluster_options()
share.seed("lists_cluster", "cluster", "E01" if "E01" in options else next(iter(options)), options)
code = pick_from(L("产业集群", "Cluster"), options, "lists_cluster")
share.publish({"cluster": code})

lists = {
    L("关键技术清单", "Key technologies"): class_words(
        run_named("cluster_key_technologies", {"cluster": code}), "from_class"
    ),
    L("重点产品清单", "Key products"): key_products(run_named("cluster_key_products", {"cluster": code})),
    L("研发机构清单", "R&D institutions"): class_words(run_named("cluster_rd_institutions", {"cluster": code})),
    L("产业地图", "Industry map"): run_named("cluster_map", {"cluster": code, "stage": "all"}),
}
st.caption(
    L(
        "尚无官方“三单”：关键技术取自服务该集群的实验室、设施和创新中心的研究领域；重点产品取自企业上市行业。",
        "No official lists are loaded yet: key technologies come from the fields of the labs, facilities and centres "
        "serving the cluster; key products from the enterprises' listed industries.",
    )
)
for title, rows in lists.items():
    st.subheader(title)
    if rows:
        data_table(frame(rows), hide_index=True, width="stretch")
    else:
        st.write(L("没有数据。", "No data."))
map_rows = list(lists.values())[-1]
st.iframe(
    f"<html><body style='margin:0'>{choropleth({r['admin_code']: r['entities'] for r in map_rows})}</body></html>",
    height=620,
    alt=L("产业地图", "The industry map"),
)

sheet_names = ["关键技术清单", "重点产品清单", "研发机构清单", "产业地图"]
sheets = dict(zip(sheet_names, lists.values(), strict=True))
st.download_button(
    L("下载 Excel（每张清单一页，含来源）", "Download Excel (one sheet per list, with sources)"),
    # built when clicked, not on every render: 5,000 product rows take ≈ 0.4 s to write as Excel; headed and worded
    # as the tables above (a reader's file, not the data's names)
    data=lambda: workbook_bytes(
        {name: readable(rows) if rows else (["（无数据）"], []) for name, rows in sheets.items()}
    ),
    file_name=f"三单一图_{code}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="lists_download",
    on_click="ignore",
)
