"""What a yearly report says, gathered from the named queries: one ``ReportContext`` per city or cluster.

Every number in a report comes from a named query (or the chain analytics built on them), so a test can
check the document against the same queries. Where the graph has no data for a target, the context says
"no data" (``None``), never 0.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graph.errors import ClusterKGError
from graph.store import GraphStore
from queries.analytics import CHAIN_LINKS, STAGE_ZH, STAGES, Completeness, Ecosystem, completeness
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
        self._eco: Ecosystem | None = None

    def rows(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        key = (name, tuple(sorted((params or {}).items())))
        if key not in self._cache:
            self._cache[key] = get_query(name).run_all(self.store, params).rows
        return self._cache[key]

    def ecosystem(self) -> Ecosystem:
        if self._eco is None:
            self._eco = Ecosystem.pull(self.store)
        return self._eco

    def clusters(self) -> dict[str, dict[str, Any]]:
        return {r["code"]: r for r in self.rows("cluster_list")}

    def cities(self) -> dict[str, str]:
        """city name → admin code, for the 21 cities."""
        rows = self.store.read("MATCH (c:City) RETURN c.name_zh AS name, c.admin_code AS code ORDER BY code").rows
        return {str(r["name"]): str(r["code"]) for r in rows}

    def city_entities(self, city: str) -> list[dict[str, Any]]:
        """Entities located in the city or one of its districts: id, name, stage."""
        return self.store.read_all(
            "MATCH (city:City {name_zh: $city}) MATCH (e)-[:LOCATED_IN]->(place) "
            "WHERE place.id = city.id OR EXISTS { MATCH (place)-[:PART_OF]->(city) } "
            "RETURN DISTINCT e.id AS id, e.name_zh AS name, e.chain_stage AS stage",
            {"city": city},
        ).rows


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
    lists: dict[str, list[dict[str, Any]]]
    map_values: dict[str, int]  # admin code → entities (the cluster's map; the city's clusters)
    sources: list[dict[str, Any]]
    changes: EditionDiff | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def title_zh(self) -> str:
        who = self.name_zh if self.scope == "city" else f"{self.name_zh}产业集群"
        return f"{who}创新体系执行情况报告"

    @property
    def title_en(self) -> str:
        who = self.name_en or self.key
        return f"Innovation system execution report: {who}" + (" cluster" if self.scope == "cluster" else "")

    def gaps(self) -> list[tuple[str, str]]:
        """The 补链 list as (zh, en) lines: empty stages, then unlinked consecutive stages."""
        lines = [(f"{STAGE_ZH[s]}环节暂无主体", f"no entity at the {s} stage") for s in self.chain.missing_stages]
        lines += [
            (f"{STAGE_ZH[a]}→{STAGE_ZH[b]}尚未连通", f"{a} → {b} not linked") for a, b in self.chain.missing_links
        ]
        return lines


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sources(q: Queries, ids: list[str]) -> list[dict[str, Any]]:
    rows = q.store.read_all(
        "MATCH (e) WHERE e.id IN $ids AND e.source_file IS NOT NULL "
        "RETURN e.source_file AS file, e.source_url AS url, e.confidence AS confidence, count(*) AS entities "
        "ORDER BY file, url, confidence",
        {"ids": ids},
    ).rows
    return rows


def city_context(q: Queries, city: str, *, edition: str = "current", since: str | None = None) -> ReportContext:
    cities = q.cities()
    name = city if city in cities else f"{city}市" if f"{city}市" in cities else ""
    if not name:
        raise ReportError(f"unknown city {city!r}; cities: {', '.join(cities)}")
    code = cities[name]
    clusters = q.clusters()
    in_city = [r for r in q.rows("city_cluster_matrix") if r["city"] == name]
    present = [
        {
            **{k: clusters[r["cluster"]][k] for k in ("name_zh", "name_en")},
            "code": r["cluster"],
            "entities": r["entities"],
        }
        for r in in_city
        if r["cluster"] in clusters
    ]
    by_stage: dict[str, set[str]] = defaultdict(set)
    sourced: dict[str, set[str]] = defaultdict(set)
    cluster_stages: dict[str, dict[str, int]] = {}
    lists: dict[str, list[dict[str, Any]]] = {k: [] for k in LIST_QUERIES}
    entities = q.city_entities(name)
    names = {str(r["name"]) for r in entities if r["name"]}
    for c in present:
        rows = [
            r for r in q.rows("cluster_entities", {"cluster": c["code"], "sourced_only": False}) if r["city"] == name
        ]
        cluster_stages[c["code"]] = {s: len({r["id"] for r in rows if r["stage"] == s}) for s in STAGES}
        for r in rows:
            if r["stage"] in STAGES:
                by_stage[r["stage"]].add(r["id"])
                if r["tie"] == "sourced":
                    sourced[r["stage"]].add(r["id"])
        tech = q.rows("cluster_key_technologies", {"cluster": c["code"]})
        lists["key_technologies"] += [{"cluster": c["code"], **r} for r in tech if r["from_entity"] in names]
        products = q.rows("cluster_key_products", {"cluster": c["code"]})
        lists["key_products"] += [{"cluster": c["code"], **r} for r in products if r["enterprise"] in names]
        labs = q.rows("cluster_rd_institutions", {"cluster": c["code"]})
        lists["rd_institutions"] += [{"cluster": c["code"], **r} for r in labs if r["city"] == name]
    stages = [StageCount(s, len(by_stage[s]), len(sourced[s])) for s in STAGES]
    ids = [str(r["id"]) for r in entities]
    chain = completeness({str(r["id"]) for r in entities if r["stage"]}, q.ecosystem(), name)
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
        chain=chain,
        targets=city_targets(q, name, [c["code"] for c in present]),
        lists=lists,
        map_values={code: len(ids)},
        sources=_sources(q, ids),
    )


def _city_en(q: Queries, name: str) -> str:
    rows = q.store.read("MATCH (c:City {name_zh: $name}) RETURN c.name_en AS en", {"name": name}).rows
    return str(rows[0]["en"] or name) if rows else name


def cluster_context(q: Queries, cluster: str, *, edition: str = "current", since: str | None = None) -> ReportContext:
    clusters = q.clusters()
    match = [c for c in clusters.values() if cluster in (c["code"], c["name_zh"], c["name_en"])]
    if not match:
        raise ReportError(f"unknown cluster {cluster!r}; clusters: {', '.join(clusters)}")
    info = match[0]
    code = str(info["code"])
    chain_rows = q.rows("cluster_chain", {"cluster": code, "sourced_only": False})
    stages = [StageCount(r["stage"], int(r["entities"]), int(r["sourced"])) for r in chain_rows]
    members = q.rows("cluster_entities", {"cluster": code, "sourced_only": False})
    lists = {key: q.rows(name, {"cluster": code}) for key, name in LIST_QUERIES.items()}
    map_rows = q.rows("cluster_map", {"cluster": code, "stage": "all"})
    ids = sorted({str(r["id"]) for r in members})
    eco = q.ecosystem()
    by_city: dict[str, set[str]] = defaultdict(set)
    for r in members:
        by_city[r["city"] or "—"].add(r["id"])
    return ReportContext(
        scope="cluster",
        key=code,
        name_zh=str(info["name_zh"]),
        name_en=str(info["name_en"] or ""),
        edition=edition,
        since=since,
        generated_at=_now(),
        clusters=[{"code": code, "name_zh": info["name_zh"], "name_en": info["name_en"], "entities": len(ids)}],
        stages=stages,
        cluster_stages={code: {s.stage: s.entities for s in stages}},
        chain=completeness(eco.members.get(code, set()), eco, code),
        targets=cluster_targets(q, code),
        lists={**lists, "industry_map": map_rows},
        map_values={str(r["admin_code"]): int(r["entities"]) for r in map_rows},
        sources=_sources(q, ids),
        notes=[f"{len(by_city)} cities hold its entities"],
    )


__all__ = ["CHAIN_LINKS", "Queries", "ReportContext", "ReportError", "StageCount", "city_context", "cluster_context"]
