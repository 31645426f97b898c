"""The map's quantile colour scale and the district counts behind a picked city's district view."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from app_pages.map_districts import city_districts, count_by_district, district_at
from app_pages.map_scale import NONE_COLOUR, bins, colour_of, pieces
from app_pages.map_view import choropleth
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from queries.catalog import get_query

SKEWED = [0, 0, 1, 1, 2, 3, 4, 6, 9, 15, 22, 35, 60, 480, 1200]  # two giants, as 深圳 and 广州


def test_quantile_bins_spread_skewed_counts_and_show_their_real_ranges() -> None:
    ranges = bins(SKEWED)
    assert ranges == [(1, 2), (3, 6), (9, 15), (22, 60), (480, 1200)]  # each bin holds two or three cities
    scale = pieces(SKEWED)
    assert [p["label"] for p in scale[1:]] == ["1–2", "3–6", "9–15", "22–60", "480–1,200"]
    colours = [colour_of(v, scale) for v in SKEWED]
    assert len(set(colours[2:])) == 5  # a linear scale would paint all but the two giants the same pale colour
    assert colour_of(0, scale) == NONE_COLOUR and colour_of(1, scale) != NONE_COLOUR  # zero is not "a few"
    assert scale[0]["label"].startswith("0 ")


def test_few_distinct_values_give_as_many_bins_and_nothing_gives_only_zero() -> None:
    assert bins([7, 7, 7]) == [(7, 7)] and [p["label"] for p in pieces([7])] == [pieces([])[0]["label"], "7"]
    assert bins([1, 2]) == [(1, 1), (2, 2)] and len(pieces([0, 0])) == 1


def test_the_svg_download_carries_the_same_scale_and_its_legend() -> None:
    svg = choropleth({"440300": 1200, "440100": 480, "441900": 35, "440600": 9, "445100": 1})
    assert svg.count("<rect") == 6 and ">1,200<" in svg and ">35<" in svg and NONE_COLOUR in svg  # 5 bins + zero


def test_a_point_falls_in_its_district() -> None:
    shapes = city_districts("440100")
    assert len(shapes) == 11 and not city_districts("441900")  # 东莞 has no districts
    # 中山大学 南校园 (WGS-84) lies in 海珠区; a point at sea in none
    assert district_at(113.2925, 23.0963, shapes) == "440105"
    assert district_at(114.9, 21.5, shapes) is None


def test_district_counts_of_guangzhou_on_the_bundled_data(loaded_embedded_path: Path, schema: Schema) -> None:
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    shapes = city_districts("440100")
    rows = get_query("city_district_entities").run_all(store, {"city": "广州市"}).rows
    tallies = get_query("city_district_counts").run(store, {"city": "广州市"}).rows
    counts = count_by_district(tallies, rows, shapes)
    assert counts.total == len({r["id"] for r in rows}) > 100
    placed = sum(counts.value(str(s["properties"]["adcode"])) for s in shapes)
    assert placed == counts.placed and 0 < counts.placed < counts.total  # some known, the rest counted
    assert len(counts.without) == counts.unplaced == counts.total - counts.placed
    assert counts.from_coordinates["440106"] > 5  # 天河区: the universities with coordinates
    # the stated districts as the listing states them (each entity's lowest district code of the city)
    codes = {str(s["properties"]["adcode"]) for s in shapes}
    stated: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (r["id"], r["district_code"] or "~")):
        if row["district_code"] in codes:
            stated.setdefault(row["id"], row["district_code"])
    assert dict(counts.stated) == dict(Counter(stated.values()))


def test_district_counts_stay_whole_when_the_listing_is_cut(loaded_embedded_path: Path, schema: Schema) -> None:
    """At a million nodes a city's listing stops at the row cap: the totals and stated districts do not."""
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    shapes = city_districts("440100")
    tallies = get_query("city_district_counts").run(store, {"city": "广州市"}).rows
    whole = count_by_district(
        tallies, get_query("city_district_entities").run_all(store, {"city": "广州市"}).rows, shapes
    )
    listed = get_query("city_district_entities").run(store, {"city": "广州市"}, row_cap=20)
    cut = count_by_district(tallies, listed.rows, shapes)
    assert listed.truncated and cut.total == whole.total and cut.stated == whole.stated
    assert sum(cut.from_coordinates.values()) <= sum(whole.from_coordinates.values())
    assert cut.unplaced == cut.total - sum(cut.stated.values()) - sum(cut.from_coordinates.values()) > len(cut.without)


def test_the_entities_with_coordinates_give_the_counts_of_the_whole_listing(
    loaded_embedded_path: Path, schema: Schema
) -> None:
    """The map reads only the city's entities with coordinates: its counts are those of the whole listing."""
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    shapes = city_districts("440100")
    tallies = get_query("city_district_counts").run(store, {"city": "广州市"}).rows
    every = get_query("city_district_entities").run_all(store, {"city": "广州市"}).rows
    with_xy = get_query("city_district_entities").run_all(store, {"city": "广州市", "with_coordinates": True}).rows
    assert 0 < len(with_xy) < len(every) and all(r["latitude"] is not None for r in with_xy)
    whole, read = count_by_district(tallies, every, shapes), count_by_district(tallies, with_xy, shapes)
    assert (read.stated, read.from_coordinates, read.total, read.unplaced) == (
        whole.stated,
        whole.from_coordinates,
        whole.total,
        whole.unplaced,
    )
