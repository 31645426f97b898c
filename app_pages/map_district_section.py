"""The map page's district view of a picked city: its districts coloured by entities per district, a table of
how each count is known, and the city's entities with no known district counted and listed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import L, cut_note, data_table, named_result, plain, run_named
from app_pages.headers import class_words, frame
from app_pages.map_chart import show_districts
from app_pages.map_districts import city_districts, count_by_district


def district_section(city: str, city_code: str, *, cluster: str, stage: str) -> None:
    st.subheader(L(f"{plain(city)}：各县区", f"{plain(city)}: districts"))
    shapes = city_districts(city_code)
    if not shapes:
        st.info(
            L(
                f"{plain(city)}不设县区（镇街直属市）。",
                f"{plain(city)} has no districts: its towns report to the city.",
            )
        )
        return
    asked = {"city": city, "cluster": cluster, "stage": stage}
    tallies = run_named("city_district_counts", asked)  # whole at any size: kept by every write
    # only the entities with coordinates: a district holds those the graph does not place (few, at any size)
    listed = named_result("city_district_entities", {**asked, "with_coordinates": True})
    counts = count_by_district(tallies, listed.rows, shapes)
    values = {str(s["properties"]["adcode"]): float(counts.value(str(s["properties"]["adcode"]))) for s in shapes}
    show_districts(values, shapes, title=L("各县区主体数", "Entities per district"), key="map_districts")
    st.caption(
        L(
            f"{plain(city)}的 {counts.total} 个主体中，{counts.placed} 个可定位到县区"
            f"（图中所载 {sum(counts.stated.values())} 个，由坐标落点 {sum(counts.from_coordinates.values())} 个），"
            f"{counts.unplaced} 个只知道所在城市，未计入上图。",
            f"Of {plain(city)}'s {counts.total} entities, {counts.placed} have a known district "
            f"({sum(counts.stated.values())} stated in the graph, {sum(counts.from_coordinates.values())} "
            f"from their coordinates); {counts.unplaced} are known only by their city and are not on this map.",
        )
    )
    if listed.truncated:
        st.caption(
            L(
                f"坐标只核对了按编号排在前面的 {len(listed.rows):,} 个有坐标的主体（行数上限），"
                "其余未列明县区的主体计为未定位。",
                f"Coordinates were checked for the first {len(listed.rows):,} entities with coordinates by id (the "
                "row cap); the others with no stated district count as not placed.",
            )
        )
    table = pd.DataFrame(
        [
            {
                L("县区", "district"): str(s["properties"]["name"]),
                L("图中所载", "stated in the graph"): counts.stated[str(s["properties"]["adcode"])],
                L("由坐标落点", "from coordinates"): counts.from_coordinates[str(s["properties"]["adcode"])],
                L("合计", "total"): counts.value(str(s["properties"]["adcode"])),
            }
            for s in shapes
        ]
    ).sort_values(L("合计", "total"), ascending=False)
    data_table(table, hide_index=True, width="stretch")
    unplaced = counts.unplaced
    st.markdown(
        "**" + L(f"未定位到县区的主体：{unplaced:,} 个", f"Entities with no known district: {unplaced:,}") + "**"
    )
    # listed on request: the city's whole list is sorted in the database, the counts above need none of it
    if unplaced and st.toggle(L("列出这些主体", "List them"), key="map_list_unplaced"):
        every = named_result("city_district_entities", asked)
        data_table(
            frame(class_words(list(count_by_district(tallies, every.rows, shapes).without))),
            hide_index=True,
            width="stretch",
        )
        cut_note(every)
