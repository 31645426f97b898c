"""Chain analytics with networkx on sub-graphs pulled from the store (through named queries).

- completeness: per cluster (or city), which of the five stages have entities, which consecutive stages are
  linked by a relationship between their entities, a score, and the missing stages and links — the 补链 list;
- brokers: entities that bridge clusters (betweenness on the entity–cluster graph);
- communities: groups of clusters and entities that hang together (Louvain, fixed seed);
- what-if: which clusters lose a stage if an entity is removed.
Everything is deterministic: fixed seeds, sorted inputs. Each result carries a plain-words explanation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx

from graph.schema import default_schema
from graph.store import GraphStore
from queries.betweenness import betweenness
from queries.catalog import get_query

# The five stages, in chain order, as the ontology states them (never written out again here).
STAGES = tuple(stage.key for stage in default_schema().stages)
STAGE_ZH = {stage.key: stage.labels.zh for stage in default_schema().stages}
STAGE_EN = {stage.key: stage.labels.en for stage in default_schema().stages}
CHAIN_LINKS = tuple(pairwise(STAGES))
SEED = 42


@dataclass(frozen=True)
class Ecosystem:
    members: dict[str, set[str]]  # cluster code → entity ids
    stage: dict[str, str]  # entity id → stage ('industry' for enterprises)
    names: dict[str, str]
    links: list[tuple[str, str, str]]  # from id, to id, relationship

    @classmethod
    def pull(cls, store: GraphStore, *, sourced_only: bool = False) -> Ecosystem:
        """The whole ecosystem; with ``sourced_only``, cluster memberships that a rule inferred are left out."""
        members: dict[str, set[str]] = defaultdict(set)
        stage: dict[str, str] = {}
        names: dict[str, str] = {}
        for row in get_query("ecosystem_members").run_all(store, {"sourced_only": sourced_only}).rows:
            members[row["cluster"]].add(row["id"])
            if row["stage"]:
                stage[row["id"]] = row["stage"]
            names[row["id"]] = row["name_zh"] or row["id"]
        links = []
        for row in get_query("ecosystem_links").run_all(store).rows:
            for end in ("from", "to"):
                stage.setdefault(row[f"{end}_id"], row[f"{end}_stage"])
                names.setdefault(row[f"{end}_id"], row[f"{end}_name"] or row[f"{end}_id"])
            links.append((row["from_id"], row["to_id"], row["relationship"]))
        return cls(members=dict(members), stage=stage, names=names, links=sorted(links))

    @classmethod
    def of_cluster(cls, code: str, chain_graph_rows: list[dict[str, Any]]) -> Ecosystem:
        """One cluster's ecosystem from the rows of the ``cluster_chain_graph`` query a page already fetched.

        It holds every relationship a member takes part in, its own and those pointing at it from outside the
        cluster; a test checks that the completeness it gives equals the one from the whole pull for all 20
        clusters.
        """
        stage: dict[str, str] = {}
        names: dict[str, str] = {}
        links = []
        for row in chain_graph_rows:
            for end in ("from", "to"):
                node = row[f"{end}_id"]
                if node:
                    names.setdefault(node, row[f"{end}_name"] or node)
                    if row[f"{end}_stage"] != "industry" or row[f"{end}_class"] == "Enterprise":
                        stage.setdefault(node, row[f"{end}_stage"])
            if row["to_id"]:
                links.append((row["from_id"], row["to_id"], row["relationship"]))
        members = {row["member_id"] for row in chain_graph_rows}
        return cls(members={code: members}, stage=stage, names=names, links=sorted(links))


@dataclass(frozen=True)
class Completeness:
    scope: str  # a cluster code or a city
    stage_counts: dict[str, int]
    linked: dict[tuple[str, str], int]  # consecutive stage pair → relationships joining them
    score: float
    missing_stages: tuple[str, ...]
    missing_links: tuple[tuple[str, str], ...]
    explanation: str = field(default="")  # in English; the same in Chinese beside it
    explanation_zh: str = field(default="")


def completeness(entities: set[str], eco: Ecosystem, scope: str) -> Completeness:
    """Stages present among ``entities`` and links between consecutive stages.

    A link counts when an entity of one stage is related to an entity of the next — either both inside the
    scope, or one inside and its partner (a host, a lead organisation, a manager) outside it.
    """
    counts = {s: sum(1 for e in entities if eco.stage.get(e) == s) for s in STAGES}
    linked: dict[tuple[str, str], int] = dict.fromkeys(CHAIN_LINKS, 0)
    for a, b, _rel in eco.links:
        if a not in entities and b not in entities:
            continue
        pair = (eco.stage.get(a), eco.stage.get(b))
        for first, second in CHAIN_LINKS:
            if pair in ((first, second), (second, first)):
                linked[(first, second)] += 1
    return scored(scope, counts, linked)


def scored(scope: str, counts: dict[str, int], linked: dict[tuple[str, str], int]) -> Completeness:
    """The score and its words from a scope's entities per stage and links per consecutive stage pair."""
    present = [s for s in STAGES if counts[s]]
    joined = [p for p in CHAIN_LINKS if linked[p]]
    score = round(0.6 * len(present) / len(STAGES) + 0.4 * len(joined) / len(CHAIN_LINKS), 3)
    missing_stages = tuple(s for s in STAGES if not counts[s])
    missing_links = tuple(p for p in CHAIN_LINKS if not linked[p])
    words = f"{len(present)} of 5 stages have entities; {len(joined)} of 4 consecutive stage pairs are linked."
    words_zh = f"5 个环节中 {len(present)} 个有主体；4 对相邻环节中 {len(joined)} 对有联系。"
    if missing_stages:
        words += " Empty: " + ", ".join(STAGE_EN[s] for s in missing_stages) + "."
        words_zh += "空缺：" + "、".join(STAGE_ZH[s] for s in missing_stages) + "。"
    # a pair counts when a tie joins its stages with one end in the scope: an empty stage's pair is joined by an
    # entity outside the scope, which the words say (P03 read "empty: basic research" beside a joined pair from it)
    outside = [(a, b) for a, b in joined if not counts[a] or not counts[b]]
    if outside:
        words += (
            " Joined through an entity outside the scope: "
            + ", ".join(f"{STAGE_EN[a]} → {STAGE_EN[b]}" for a, b in outside)
            + "."
        )
        words_zh += "经范围外主体连接：" + "、".join(f"{STAGE_ZH[a]}→{STAGE_ZH[b]}" for a, b in outside) + "。"
    if missing_links:
        unlinked = [f"{STAGE_ZH[a]}→{STAGE_ZH[b]}" for a, b in missing_links]
        words += " Unlinked: " + ", ".join(f"{STAGE_EN[a]} → {STAGE_EN[b]}" for a, b in missing_links) + "."
        words_zh += "未连接（需补链）：" + "、".join(unlinked) + "。"
    return Completeness(scope, counts, linked, score, missing_stages, missing_links, words, words_zh)


def cluster_completeness(store: GraphStore, eco: Ecosystem | None = None) -> list[Completeness]:
    eco = eco or Ecosystem.pull(store)
    codes = [r["code"] for r in get_query("cluster_list").run(store).rows]
    return [completeness(eco.members.get(code, set()), eco, code) for code in codes]


_LOCATED_IN_CITY = (
    "MATCH (e)-[:LOCATED_IN]->(c:City) WHERE e.chain_stage IS NOT NULL RETURN DISTINCT e.id AS id, c.name_zh AS city",
    "MATCH (e)-[:LOCATED_IN]->()-[:PART_OF]->(c:City) WHERE e.chain_stage IS NOT NULL "
    "RETURN DISTINCT e.id AS id, c.name_zh AS city",
)


def city_completeness(store: GraphStore, eco: Ecosystem | None = None) -> list[Completeness]:
    eco = eco or Ecosystem.pull(store)
    by_city: dict[str, set[str]] = defaultdict(set)
    # a city's entities are those located in it or in one of its districts, as its yearly report counts them
    # (queries/scoped_chain.py): the districts' were left out here
    for located in _LOCATED_IN_CITY:
        for row in store.read_all(located).rows:
            by_city[row["city"]].add(row["id"])
    return [completeness(by_city[city], eco, city) for city in sorted(by_city)]


def _entity_cluster_graph(eco: Ecosystem) -> nx.Graph:
    graph = nx.Graph()
    for code in sorted(eco.members):
        graph.add_node(f"cluster:{code}", kind="cluster")
        for entity in sorted(eco.members[code]):
            graph.add_edge(entity, f"cluster:{code}")
    for a, b, _rel in eco.links:
        graph.add_edge(a, b)
    return graph


@dataclass(frozen=True)
class Broker:
    id: str
    name: str
    betweenness: float
    clusters: tuple[str, ...]
    explanation: str


def brokers(eco: Ecosystem, top: int = 15) -> list[Broker]:
    """Entities on the most shortest paths between others in the entity–cluster graph, i.e. bridges between chains."""
    graph = _entity_cluster_graph(eco)
    k = None if graph.number_of_nodes() <= 5000 else 500  # exact on the bundled data; sampled (seeded) at scale
    scores = betweenness(graph, k=k, seed=SEED)  # networkx's figures, in a thirtieth of its time
    clusters_of: dict[str, list[str]] = defaultdict(list)
    for code, entities in eco.members.items():
        for entity in entities:
            clusters_of[entity].append(code)
    # equal scores summed in another order may differ in the last bits: ranked to 12 places, then by id
    ranked = sorted(
        ((s, n) for n, s in scores.items() if not n.startswith("cluster:")), key=lambda t: (-round(t[0], 12), t[1])
    )
    out = []
    for score, node in ranked[:top]:
        codes = tuple(sorted(clusters_of.get(node, [])))
        out.append(
            Broker(
                node,
                eco.names.get(node, node),
                round(score, 5),
                codes,
                f"位于主体之间 {score:.1%} 的最短路径上，服务 {len(codes)} 个集群 / "
                f"lies on {score:.1%} of shortest paths between entities; serves {len(codes)} cluster(s)",
            )
        )
    return out


def cluster_brokers(eco: Ecosystem, top: int = 15) -> list[Broker]:
    """Entities on the most shortest paths between two clusters in the entity–cluster graph, exactly.

    The paths from cluster to cluster only (20 sources, not every node) rank the bridges between chains, where
    ``brokers`` over all pairs (1.5 s on the bundled data) ranks the bridges between any two entities."""
    graph = _entity_cluster_graph(eco)
    clusters = sorted(n for n in graph if n.startswith("cluster:"))
    pairs = max(1, len(clusters) * (len(clusters) - 1) // 2)
    scores = nx.betweenness_centrality_subset(graph, sources=clusters, targets=clusters, normalized=False)
    clusters_of: dict[str, list[str]] = defaultdict(list)
    for code, entities in eco.members.items():
        for entity in entities:
            clusters_of[entity].append(code)
    ranked = sorted(
        ((s / pairs, n) for n, s in scores.items() if not n.startswith("cluster:") and s > 0),
        key=lambda t: (-t[0], -len(clusters_of.get(t[1], [])), eco.names.get(t[1], t[1]), t[1]),
    )
    out = []
    for share, node in ranked[:top]:
        codes = tuple(sorted(clusters_of.get(node, [])))
        words = (
            f"位于两集群之间 {share:.1%} 的最短路径上，服务 {len(codes)} 个集群 / "
            f"lies on {share:.1%} of the shortest paths between two clusters; serves {len(codes)} cluster(s)"
        )
        out.append(Broker(node, eco.names.get(node, node), round(share, 5), codes, words))
    return out


def community_groups(eco: Ecosystem) -> list[set[str]]:
    """Louvain communities (seeded) of the entity–cluster graph, as node sets (clusters as ``cluster:CODE``)."""
    return list(nx.community.louvain_communities(_entity_cluster_graph(eco), seed=SEED))


def communities(eco: Ecosystem) -> list[tuple[tuple[str, ...], int]]:
    """Louvain communities (seeded) as (the clusters in it, number of entities), largest first."""
    out = []
    for group in community_groups(eco):
        clusters = tuple(sorted(n.removeprefix("cluster:") for n in group if n.startswith("cluster:")))
        out.append((clusters, sum(1 for n in group if not n.startswith("cluster:"))))
    return sorted(out, key=lambda t: (-t[1], t[0]))


def stage_losses_if_removed(eco: Ecosystem, entity_id: str) -> list[tuple[str, str]]:
    """(cluster, stage) pairs that become empty if the entity is removed: it is their only entity of that stage."""
    stage = eco.stage.get(entity_id)
    if stage is None or stage == "industry":
        return []
    losses = []
    for code, entities in sorted(eco.members.items()):
        if entity_id in entities and sum(1 for e in entities if eco.stage.get(e) == stage) == 1:
            losses.append((code, stage))
    return losses


def single_points_of_failure(eco: Ecosystem) -> list[tuple[str, str, str]]:
    """Every (entity, cluster, stage) where one entity alone carries a cluster's stage."""
    out = []
    for code, entities in sorted(eco.members.items()):
        for stage in STAGES:
            carriers = sorted(e for e in entities if eco.stage.get(e) == stage)
            if len(carriers) == 1:
                out.append((carriers[0], code, stage))
    return out
