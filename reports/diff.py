"""What changed between two editions: entities and ties added, changed and removed, each placed in its
clusters, cities, chain stage and sources so that the changes can be counted per any of them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graph.edition_lines import dump, node_id_of, parse, rel_from_of
from graph.editions import NodeKey, RelKey, Snapshot, edition_lines
from graph.ids import split_ref
from graph.schema import Schema
from graph.store import GraphStore

CLUSTER_TIES = frozenset({"IN_CLUSTER", "SERVES_CLUSTER"})
PLACE_LABELS = ("City", "District", "IndustryCluster")  # few nodes, read whole when placing the changes
ACTIONS = ("added", "changed", "removed")
DIMENSIONS = ("cluster", "city", "stage", "source")


@dataclass(frozen=True)
class Change:
    kind: str  # entity | tie
    action: str  # added | changed | removed
    label: str  # the class of an entity, the type of a tie
    key: str  # an entity's id; a tie's "from → to"
    name: str
    fields: tuple[str, ...] = ()  # for a change: the properties that differ
    clusters: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    stage: str = ""
    sources: tuple[str, ...] = ()

    def groups(self, dimension: str) -> tuple[str, ...]:
        if dimension == "cluster":
            return self.clusters or ("—",)
        if dimension == "city":
            return self.cities or ("—",)
        if dimension == "stage":
            return (self.stage or "—",)
        return self.sources or ("—",)


@dataclass
class EditionDiff:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    def totals(self) -> dict[str, dict[str, int]]:
        """{'entity': {'added': n, 'changed': n, 'removed': n}, 'tie': {…}}."""
        out = {kind: dict.fromkeys(ACTIONS, 0) for kind in ("entity", "tie")}
        for c in self.changes:
            out[c.kind][c.action] += 1
        return out

    def by(self, dimension: str) -> dict[str, dict[str, int]]:
        """Per group of a dimension (cluster, city, stage, source): 'entities added', … counts."""
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for c in self.changes:
            for group in c.groups(dimension):
                table[group][f"{c.kind} {c.action}"] += 1
        return {g: dict(sorted(n.items())) for g, n in sorted(table.items())}

    def scoped(self, *, city: str | None = None, cluster: str | None = None) -> EditionDiff:
        """Only the changes that touch a city (by name) or a cluster (by code)."""
        keep = [
            c for c in self.changes if (city is None or city in c.cities) and (cluster is None or cluster in c.clusters)
        ]
        return EditionDiff(self.old, self.new, keep)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": c.kind,
                "action": c.action,
                "label": c.label,
                "key": c.key,
                "name": c.name,
                "fields": ", ".join(c.fields),
                "clusters": ", ".join(c.clusters),
                "cities": ", ".join(c.cities),
                "stage": c.stage,
                "sources": ", ".join(c.sources),
            }
            for c in self.changes
        ]


class _Places:
    """Clusters, cities, names and stages of entities, read from the union of two snapshots: fed the newer
    one's facts first, then the older one's (names and places as the newer edition has them, else the older)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.props: dict[str, dict[str, Any]] = {}
        self.label: dict[str, str] = {}
        self.clusters: dict[str, set[str]] = defaultdict(set)
        self.located: dict[str, set[str]] = defaultdict(set)
        self.part_of: dict[str, str] = {}
        self.cities: dict[str, set[str]] = {}

    def add_node(self, label: str, node_id: str, props: dict[str, Any]) -> None:
        self.props.setdefault(node_id, props)
        self.label.setdefault(node_id, label)

    def add_rel(self, key: RelKey) -> None:
        rel, _fl, from_id, to_label, to_id = key
        if rel in CLUSTER_TIES:
            self.clusters[from_id].add(to_id)
        elif rel == "LOCATED_IN" and to_label in ("City", "District"):
            self.located[from_id].add(to_id)
        elif rel == "PART_OF" and to_label == "City":
            self.part_of[from_id] = to_id

    def finish(self) -> _Places:
        """Once every fact is in: cluster ids become codes, places become their cities' names."""
        self.clusters = defaultdict(set, {k: {self._code(c) for c in v} for k, v in self.clusters.items()})
        for node_id, places in self.located.items():
            cities = {self.part_of.get(p, p) for p in places}
            self.cities[node_id] = {self.name(c) for c in cities if self.label.get(c) == "City"}
        return self

    @classmethod
    def of(cls, schema: Schema, *snaps: Snapshot) -> _Places:
        places = cls(schema)
        for snap in snaps:
            for (label, node_id), props in snap.nodes.items():
                places.add_node(label, node_id, props)
        for snap in snaps:
            for key in snap.rels:
                places.add_rel(key)
        return places.finish()

    def _code(self, cluster_id: str) -> str:
        return str(self.props.get(cluster_id, {}).get("cluster_code") or cluster_id)

    def name(self, node_id: str) -> str:
        return str(self.props.get(node_id, {}).get("name_zh") or node_id)

    def stage(self, node_id: str) -> str:
        if self.label.get(node_id) == "Enterprise":
            return "industry"
        return str(self.props.get(node_id, {}).get("chain_stage") or "")

    def entity_clusters(self, node_id: str) -> set[str]:
        if self.label.get(node_id) == "IndustryCluster":
            return {self._code(node_id)}
        return self.clusters.get(node_id, set())


def _sources(props: dict[str, Any]) -> tuple[str, ...]:
    if props.get("derived"):
        return (f"rule:{props.get('rule') or '?'}",)
    refs = props.get("source_refs") or ([props["source_file"]] if props.get("source_file") else [])
    return tuple(sorted({split_ref(str(r))[0] for r in refs}))


def _entity_change(
    places: _Places, action: str, key: NodeKey, props: dict[str, Any], fields: tuple[str, ...]
) -> Change:
    label, node_id = key
    return Change(
        kind="entity",
        action=action,
        label=label,
        key=node_id,
        name=places.name(node_id),
        fields=fields,
        clusters=tuple(sorted(places.entity_clusters(node_id))),
        cities=tuple(sorted(places.cities.get(node_id, set()))),
        stage=places.stage(node_id),
        sources=_sources(props),
    )


def _tie_change(places: _Places, action: str, key: RelKey, props: dict[str, Any], fields: tuple[str, ...]) -> Change:
    rel, _fl, from_id, _tl, to_id = key
    rel_stage = places.schema.relationships[rel].stage if rel in places.schema.relationships else None
    clusters = places.entity_clusters(from_id) | places.entity_clusters(to_id)
    cities = places.cities.get(from_id, set()) | places.cities.get(to_id, set())
    return Change(
        kind="tie",
        action=action,
        label=rel,
        key=f"{from_id} → {to_id}",
        name=f"{places.name(from_id)} → {places.name(to_id)}",
        fields=fields,
        clusters=tuple(sorted(places.entity_clusters(to_id) if rel in CLUSTER_TIES else clusters)),
        cities=tuple(sorted(cities)),
        stage=rel_stage or places.stage(from_id),
        sources=_sources(props),
    )


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)))


def diff_snapshots(schema: Schema, old: Snapshot, new: Snapshot, old_name: str, new_name: str) -> EditionDiff:
    places = _Places.of(schema, new, old)
    result = EditionDiff(old_name, new_name)
    for key, props in new.nodes.items():
        before = old.nodes.get(key)
        if before is None:
            result.changes.append(_entity_change(places, "added", key, props, ()))
        elif before != props:
            result.changes.append(_entity_change(places, "changed", key, props, _changed_fields(before, props)))
    for key, props in old.nodes.items():
        if key not in new.nodes:
            result.changes.append(_entity_change(places, "removed", key, props, ()))
    for rkey, props in new.rels.items():
        was = old.rels.get(rkey)
        if was is None:
            result.changes.append(_tie_change(places, "added", rkey, props, ()))
        elif was != props:
            result.changes.append(_tie_change(places, "changed", rkey, props, _changed_fields(was, props)))
    for rkey, props in old.rels.items():
        if rkey not in new.rels:
            result.changes.append(_tie_change(places, "removed", rkey, props, ()))
    result.changes.sort(key=lambda c: (c.kind, c.action, c.label, c.key))
    return result


# ---------------------------------------------------------------- the same diff, streamed
RawChange = tuple[str, tuple[str, ...], dict[str, Any], tuple[str, ...]]  # action, key (tag first), props, fields


def merge_changes(old: Iterator[str], new: Iterator[str]) -> Iterator[RawChange]:
    """The changes between two sorted line streams (graph/edition_lines.py), by a merge: equal lines pass
    unparsed; lines with different keys sort as their keys, so the smaller one was removed or added."""
    a, b = next(old, None), next(new, None)
    pa: tuple[tuple[str, ...], dict[str, Any]] | None = None
    pb: tuple[tuple[str, ...], dict[str, Any]] | None = None
    while a is not None or b is not None:
        if a == b:
            a, b, pa, pb = next(old, None), next(new, None), None, None
            continue
        if a is not None and pa is None:
            pa = parse(a)
        if b is not None and pb is None:
            pb = parse(b)
        if pa is not None and (pb is None or (pa[0] != pb[0] and str(a) < str(b))):
            yield "removed", pa[0], pa[1], ()
            a, pa = next(old, None), None
        elif pb is not None and (pa is None or pa[0] != pb[0]):
            yield "added", pb[0], pb[1], ()
            b, pb = next(new, None), None
        elif pa is not None and pb is not None:
            if pa[1] != pb[1]:
                yield "changed", pb[0], pb[1], _changed_fields(pa[1], pb[1])
            a, b, pa, pb = next(old, None), next(new, None), None, None


def _feed_places(places: _Places, lines: Iterable[str], needed: set[str]) -> None:
    """Only the facts that place the changed entities and the ends of changed ties (found without parsing
    the other lines), and the few cities, districts and clusters."""
    encoded = {dump(node_id) for node_id in needed}
    whole = tuple(f'["N","{label}",' for label in PLACE_LABELS)
    ties = tuple(f'["R","{rel}",' for rel in (*sorted(CLUSTER_TIES), "LOCATED_IN"))
    for line in lines:
        if line.startswith('["N",'):
            if line.startswith(whole) or node_id_of(line) in encoded:
                key, props = parse(line)
                places.add_node(key[1], key[2], props)
        elif line.startswith('["R","PART_OF",'):
            places.add_rel(_rel_key(parse(line)[0]))
        elif line.startswith(ties):
            head = rel_from_of(line)
            if head is not None and head[1] in encoded:
                places.add_rel(_rel_key(parse(line)[0]))


def _rel_key(key: tuple[str, ...]) -> RelKey:
    return key[1], key[2], key[3], key[4], key[5]


def diff_editions(store: GraphStore, old_name: str, new_name: str) -> EditionDiff:
    """What ``diff_snapshots`` says of two editions (or ``current``), by a merge of their sorted line
    streams and a second pass that places only the changes: memory holds the changes, not the graphs."""
    raw: list[RawChange] = []
    with edition_lines(store, old_name) as old, edition_lines(store, new_name) as new:
        raw.extend(merge_changes(old, new))
    result = EditionDiff(old_name, new_name)
    if not raw:
        return result
    needed = {key[2] for _a, key, _p, _f in raw if key[0] == "N"}
    needed |= {end for _a, key, _p, _f in raw if key[0] == "R" for end in (key[3], key[5])}
    places = _Places(store.schema)
    for name in (new_name, old_name):
        with edition_lines(store, name) as lines:
            _feed_places(places, lines, needed)
    places.finish()
    for action, key, props, fields in raw:
        if key[0] == "N":
            result.changes.append(_entity_change(places, action, (key[1], key[2]), props, fields))
        else:
            result.changes.append(_tie_change(places, action, _rel_key(key), props, fields))
    result.changes.sort(key=lambda c: (c.kind, c.action, c.label, c.key))
    return result
