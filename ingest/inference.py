"""Ties no source states, inferred by reviewed rules after resolution: one more source, the lowest in rank.

Every inferred relationship carries ``derived = true``, the rule's id, the evidence that made it fire and
a confidence; a relationship that any source states keeps that source's provenance instead
(``ingest.build.relationship_rows``). Rules are pure functions of the resolved graph, so re-running
them is idempotent and the graph stays a function of the sources' statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from graph.schema import Schema
from ingest.build import Inference
from ingest.records import Link
from ingest.resolve import Entity, EntityIndex

INFERENCE_SOURCE = "inference"
# The relationships through which an organisation answers for what it hosts, operates, leads or manages.
HOST_TYPES = ("HOSTED_BY", "OPERATED_BY", "LED_BY", "MANAGED_BY")


def inferred_link(
    rel_type: str, start: Entity, end: Entity, *, rule: str, evidence: str, confidence: str, source_file: str
) -> Link:
    props = {
        "derived": True,
        "rule": rule,
        "evidence": evidence,
        "confidence": confidence,
        "source_file": source_file,
    }
    return Link(
        rel_type,
        start.label,
        start.id,
        end.label,
        end.id,
        props,
        rank=(1, 100, INFERENCE_SOURCE, rule, 0),
        ref=f"rule:{rule}",
    )


def name_of(entity: Entity) -> str:
    return str(entity.merged_props().get("name_zh") or entity.id)


class LinkView:
    """The resolved links by start node and type, for rules that walk the graph."""

    def __init__(self, index: EntityIndex, links: Iterable[Link]) -> None:
        self.entity = {(e.label, e.id): e for e in index.entities}
        self.out: dict[tuple[str, str], dict[str, list[Entity]]] = defaultdict(lambda: defaultdict(list))
        for link in links:
            target = self.entity.get((link.to_label, link.to_id))
            if target is not None:
                self.out[(link.from_label, link.from_id)][link.rel_type].append(target)

    def targets(self, entity: Entity, rel_type: str) -> list[Entity]:
        found = self.out.get((entity.label, entity.id))
        return list(found.get(rel_type, [])) if found else []


def place_from_host(schema: Schema) -> Inference:
    """Rule ``place.from_host``: an entity that no source places is where its host (or operator, lead
    organisation, manager) is, when that host has exactly one stated place."""
    located = schema.rel_type("LOCATED_IN")

    def infer(index: EntityIndex, links: list[Link]) -> list[Link]:
        view = LinkView(index, links)
        out: list[Link] = []
        for entity in index.entities:
            if view.targets(entity, "LOCATED_IN"):
                continue
            for rel_type in HOST_TYPES:
                hosts = view.targets(entity, rel_type)
                places = {id(p): (host, p) for host in hosts for p in view.targets(host, "LOCATED_IN")}
                if len(places) != 1:
                    continue
                host, place = next(iter(places.values()))
                if located.allows(entity.label, place.label):
                    evidence = f"{rel_type} {name_of(host)} → LOCATED_IN {name_of(place)}"
                    out.append(
                        inferred_link(
                            "LOCATED_IN",
                            entity,
                            place,
                            rule="place.from_host",
                            evidence=evidence,
                            confidence="medium",
                            source_file="ingest/inference.py",
                        )
                    )
                break
        return out

    return infer


def default_inferences(schema: Schema) -> list[Inference]:
    """The rules every ingest applies, in order (a later rule sees the earlier rules' ties)."""
    return [place_from_host(schema)]
