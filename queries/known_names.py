"""Whether the names a query was given name something in the graph: a cluster, a city, a stage, an entity's id.

A named query matches its parameters in its ``WHERE``: given a cluster, a city or an id the graph does not hold, it
answers with no rows, which reads as "nothing there". ``unknown_names`` tells the two apart, asked only when an answer
came back empty (a lookup each, by the same rules the queries match by). A stage, which an answer of zeros per city
does not tell apart either, is checked against the ontology's every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.store import GraphStore
from queries.catalog import get_query

CLUSTER = "MATCH (c:IndustryCluster) WHERE c.cluster_code = $v OR c.name_zh = $v OR c.name_en = $v RETURN count(c) AS n"
CITY = (
    "MATCH (c:City) WHERE c.name_zh = $v OR c.name_zh = $v + '市' OR c.admin_code = $v OR c.name_en = $v "
    "RETURN count(c) AS n"
)
DEPARTMENT = "MATCH (a:GovernmentAgency) WHERE a.name_zh = $v OR a.full_name_zh = $v RETURN count(a) AS n"
WHAT = {  # parameter → (Chinese, English) of what it names
    "cluster": ("集群", "cluster"),
    "city": ("城市", "city"),
    "department": ("部门", "department"),
    "stage": ("环节", "stage"),
    "id": ("主体标识", "entity id"),
    "from_id": ("主体标识", "entity id"),
    "to_id": ("主体标识", "entity id"),
}


def unknown_names(store: GraphStore, bound: Mapping[str, Any], look_up: bool = True) -> list[tuple[str, str]]:
    """(parameter, value) of each given name the graph does not hold; an empty value or ``all`` names nothing. A
    stage is checked against the ontology's; the rest only when ``look_up`` (a read each: after an empty answer)."""
    unknown = []
    for param, value in bound.items():
        if param not in WHAT or not isinstance(value, str) or value in ("", "all"):
            continue
        if (look_up or param == "stage") and not _known(store, param, value):
            unknown.append((param, value))
    return unknown


def described(query: str, unknown: list[tuple[str, str]]) -> str:
    """The unknown names a query was given, "中文 / English", as an error's detail."""
    zh = "；".join(f"图中没有{WHAT[param][0]} {value!r}" for param, value in unknown)
    en = "; ".join(f"no {WHAT[param][1]} {value!r} in the graph" for param, value in unknown)
    return f"{query}：{zh} / {query}: {en}"


def _known(store: GraphStore, param: str, value: str) -> bool:
    if param == "stage":
        return value == "industry" or value in {stage.key for stage in store.schema.stages}
    if param in ("id", "from_id", "to_id"):
        return bool(get_query("entity_details").run(store, {"id": value}).rows)
    text = {"cluster": CLUSTER, "city": CITY, "department": DEPARTMENT}[param]
    return int(store.read(text, {"v": value}).rows[0]["n"]) > 0
