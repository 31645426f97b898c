"""What a yearly report says, gathered from the named queries: one ``ReportContext`` per city or cluster.

Every number in a report comes from a named query, or from a read that starts at the report's city or cluster
(queries/scoped_chain.py: the chain's completeness, the city's memberships and products, the sources), which a
test checks equal to the whole-graph computation; so a test can check the document against the same queries.
Where the graph has no data for a target, the context says "no data" (``None``), never 0.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graph.errors import ClusterKGError
from graph.store import GraphStore
from queries import scoped_chain
from queries.analytics import CHAIN_LINKS, STAGE_EN, STAGE_ZH, STAGES, Completeness
from queries.catalog import get_query
from reports.diff import EditionDiff
from reports.targets import TargetRow, city_targets, cluster_targets

log = logging.getLogger(__name__)

LIST_QUERIES = {
    "key_technologies": "cluster_key_technologies",
    "key_products": "cluster_key_products",
    "rd_institutions": "cluster_rd_institutions",
}
LIST_TITLES = {
    "key_technologies": ("关键技术清单", "Key technologies"),
    "key_products": ("重点产品清单", "Key products"),
    "rd_institutions": ("研发机构清单", "R&D institutions"),
}


class ReportError(ClusterKGError):
    """A report cannot be made: an unknown city or cluster, or a missing font."""


class Queries:
    """Named queries on one store, each answer kept: the 21 city reports share the province-wide ones."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._cache: dict[tuple[str, tuple[tuple[str, Any], ...]], list[dict[str, Any]]] = {}

    def rows(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        key = (name, tuple(sorted((params or {}).items())))
        if key not in self._cache:
            self._cache[key] = get_query(name).run_all(self.store, params).rows
        return self._cache[key]

    def key_technologies(self, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
        """cluster_key_technologies of each of these cluster codes, the ones not asked before read together. Kept
        apart from that query's own answers: it takes a name too, and a code may be another cluster's name."""
        keys = {code: ("key technologies by code", (("cluster", code),)) for code in codes}
        missing = [code for code, key in keys.items() if key not in self._cache]
        if missing:
            for code, rows in scoped_chain.clusters_technologies(self.store, missing).items():
                self._cache[keys[code]] = rows
        return {code: self._cache[key] for code, key in keys.items()}

    def clusters(self) -> dict[str, dict[str, Any]]:
        return {r["code"]: r for r in self.rows("cluster_list")}

    def cities(self) -> dict[str, str]:
        """city name → admin code, for the 21 cities."""
        rows = self.store.read("MATCH (c:City) RETURN c.name_zh AS name, c.admin_code AS code ORDER BY code").rows
        return {str(r["name"]): str(r["code"]) for r in rows}


@dataclass
class StageCount:
    stage: str
    entities: int
    sourced: int

    @property
    def inferred(self) -> int:
        return self.entities - self.sourced


@dataclass
class ReportContext:
    scope: str  # city | cluster
    key: str  # a city's name or a cluster's code
    name_zh: str
    name_en: str
    edition: str  # an edition's name, or "current"
    since: str | None
    generated_at: str
    clusters: list[dict[str, Any]]  # code, name_zh, name_en, entities
    stages: list[StageCount]  # the five stages, always
    cluster_stages: dict[str, dict[str, int]]  # cluster code → stage → entities (the chart)
    chain: Completeness
    targets: list[TargetRow]
    lists: dict[str, Sequence[dict[str, Any]]]  # a city's key products: ArrowRows (300,000 rows for a big city)
    map_values: dict[str, int]  # admin code → entities (the cluster's map; the city's clusters)
    sources: list[dict[str, Any]]
    changes: EditionDiff | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def title_zh(self) -> str:
        # a cluster's name may end in 产业 (汽车产业) or 产业集群 already: the title says 产业集群 once
        suffix = "" if self.name_zh.endswith("集群") else "集群" if self.name_zh.endswith("产业") else "产业集群"
        who = self.name_zh if self.scope == "city" else f"{self.name_zh}{suffix}"
        return f"{who}创新体系执行情况报告"

    @property
    def title_en(self) -> str:
        who = self.name_en or self.key
        return f"Innovation system execution report: {who}" + (" cluster" if self.scope == "cluster" else "")

    def gaps(self) -> list[tuple[str, str]]:
        """The 补链 list as (zh, en) lines: empty stages, then unlinked consecutive stages."""
        lines = [
            (f"{STAGE_ZH[s]}环节暂无主体", f"no entity at the {STAGE_EN[s]} stage") for s in self.chain.missing_stages
        ]
        lines += [
            (f"{STAGE_ZH[a]}→{STAGE_ZH[b]}尚未连通", f"{STAGE_EN[a]} → {STAGE_EN[b]} not linked")
            for a, b in self.chain.missing_links
        ]
        return lines


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def city_context(q: Queries, city: str, *, edition: str = "current", since: str | None = None) -> ReportContext:
    cities = q.cities()
    name = city if city in cities else f"{city}市" if f"{city}市" in cities else ""
    if not name:
        raise ReportError(
            f"没有城市 {city!r}；可选：{'、'.join(cities)} / unknown city {city!r}; cities: {', '.join(cities)}"
        )
    code = cities[name]
    scope = scoped_chain.Scope("city", name)
    clusters = q.clusters()
    # one row per cluster: the matrix has a row per City node, and two nodes may bear one name (their counts add up)
    entities: dict[str, int] = {}
    for r in q.rows("city_cluster_matrix"):
        if r["city"] == name and r["cluster"] in clusters:
            entities[r["cluster"]] = entities.get(r["cluster"], 0) + int(r["entities"])
    present = [
        {**{k: clusters[code][k] for k in ("name_zh", "name_en")}, "code": code, "entities": n}
        for code, n in entities.items()
    ]
    codes = [c["code"] for c in present]
    # read from the city outward (queries/scoped_chain.py), not from every member of each of its clusters
    by_stage: dict[str, set[str]] = defaultdict(set)
    sourced: dict[str, set[str]] = defaultdict(set)
    per_cluster: dict[str, dict[str, set[str]]] = {c: defaultdict(set) for c in codes}
    for r in scoped_chain.city_members(q.store, name, codes):
        per_cluster[r["cluster"]][r["stage"]].add(r["id"])
        by_stage[r["stage"]].add(r["id"])
        if not r["derived"]:
            sourced[r["stage"]].add(r["id"])
    cluster_stages = {c: {s: len(per_cluster[c][s]) for s in STAGES} for c in codes}
    stages = [StageCount(s, len(by_stage[s]), len(sourced[s])) for s in STAGES]
    named = names_in_city(q, name, codes)
    return ReportContext(
        scope="city",
        key=name,
        name_zh=name,
        name_en=_city_en(q, name),
        edition=edition,
        since=since,
        generated_at=_now(),
        clusters=present,
        stages=stages,
        cluster_stages=cluster_stages,
        chain=scoped_chain.chain_completeness(q.store, scope),
        targets=city_targets(q, name, codes, named),
        lists=_city_lists(q, scope, codes, named),
        map_values={code: scoped_chain.entity_count(q.store, scope)},
        sources=scoped_chain.sources(q.store, scope),
    )


def names_in_city(q: Queries, city: str, codes: list[str]) -> set[str]:
    """Which names the city's lists and targets match on are borne by an entity located in the city or one of its
    districts: the entities behind the clusters' key technologies and the high-level universities. One read for
    both (each is a look-up of every name among the city's entities)."""
    wanted = {str(r["from_entity"]) for rows in q.key_technologies(codes).values() for r in rows}
    wanted |= {str(r["university"]) for r in q.rows("measure12_science_park_coverage")}
    return scoped_chain.names_in(q.store, scoped_chain.Scope("city", city), wanted)


def _city_lists(
    q: Queries, scope: scoped_chain.Scope, codes: list[str], named: set[str]
) -> dict[str, Sequence[dict[str, Any]]]:
    """The three lists of the city's clusters, cut to what the city holds: technologies named after one of its
    entities (``named``: names_in_city), products of its enterprises, institutions located in it; cluster by
    cluster, as the matrix orders them."""
    technologies: list[dict[str, Any]] = []
    for c, tech in q.key_technologies(codes).items():
        technologies += [{"cluster": c, **r} for r in tech if r["from_entity"] in named]
    return {  # the rows of the other two begin with their cluster's code too
        "key_technologies": technologies,
        "key_products": scoped_chain.city_products(q.store, scope.key, codes),
        "rd_institutions": scoped_chain.city_institutions(q.store, scope.key, codes),
    }


def _city_en(q: Queries, name: str) -> str:
    rows = q.store.read("MATCH (c:City {name_zh: $name}) RETURN c.name_en AS en", {"name": name}).rows
    return str(rows[0]["en"] or name) if rows else name


def cluster_context(q: Queries, cluster: str, *, edition: str = "current", since: str | None = None) -> ReportContext:
    clusters = q.clusters()
    match = [c for c in clusters.values() if cluster in (c["code"], c["name_zh"], c["name_en"])]
    if not match:
        raise ReportError(
            f"没有集群 {cluster!r}；可选：{'、'.join(clusters)} / "
            f"unknown cluster {cluster!r}; clusters: {', '.join(clusters)}"
        )
    info = match[0]
    code = str(info["code"])
    chain_rows = q.rows("cluster_chain", {"cluster": code, "sourced_only": False})
    stages = [StageCount(r["stage"], int(r["entities"]), int(r["sourced"])) for r in chain_rows]
    scope = scoped_chain.Scope("cluster", code)
    lists = {key: q.rows(name, {"cluster": code}) for key, name in LIST_QUERIES.items()}
    map_rows = q.rows("cluster_map", {"cluster": code, "stage": "all"})
    return ReportContext(
        scope="cluster",
        key=code,
        name_zh=str(info["name_zh"]),
        name_en=str(info["name_en"] or ""),
        edition=edition,
        since=since,
        generated_at=_now(),
        clusters=[
            {
                "code": code,
                "name_zh": info["name_zh"],
                "name_en": info["name_en"],
                "entities": scoped_chain.entity_count(q.store, scope),
            }
        ],
        stages=stages,
        cluster_stages={code: {s.stage: s.entities for s in stages}},
        chain=scoped_chain.chain_completeness(q.store, scope),
        targets=cluster_targets(q, code),
        lists={**lists, "industry_map": map_rows},
        map_values={str(r["admin_code"]): int(r["entities"]) for r in map_rows},
        sources=scoped_chain.sources(q.store, scope),
        notes=[f"{scoped_chain.cities_holding(q.store, scope)} cities hold its entities"],
    )


__all__ = ["CHAIN_LINKS", "Queries", "ReportContext", "ReportError", "StageCount", "city_context", "cluster_context"]
