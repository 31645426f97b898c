"""Explanations a curator can read: which node a name resolves to and why, and why a node has its ties."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from graph.store import GraphStore
from ingest.build import build
from ingest.report import Report
from ingest.resolve import EntityIndex
from ingest.stored import read_stored

ORGANISATION_CLASSES = ("Enterprise", "University", "ResearchInstitution", "Laboratory", "GovernmentAgency")


@dataclass
class NameResolution:
    name: str
    node_id: str | None = None
    label: str | None = None
    rule: str = ""
    confidence: float = 0.0
    node_names: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # file#row of every record merged into the node
    kept_apart: list[str] = field(default_factory=list)  # curated distinct names that stop a join

    def describe(self) -> str:
        if self.node_id is None:
            return (
                f"{self.name!r} 未消解到任何节点；提到它的关系会报为未消解"
                "（映射写明 create: true 时则以此名新建节点） / "
                f"{self.name!r} resolves to no node; a link naming it is reported as unresolved "
                "(or, where the mapping says create: true, makes a new node from the name)"
            )
        rule = f"“{self.rule}”, 置信度 / confidence {self.confidence}"
        lines = [
            f"{self.name!r} → {self.label} {self.node_id}: 规则 / rule {rule}",
            f"  节点的名称 / the node's names: {', '.join(self.node_names)}",
            f"  陈述来源 / stated by: {', '.join(self.sources)}",
        ]
        if self.kept_apart:
            lines.append(f"  经人工确认不同于 / curated as distinct from: {', '.join(self.kept_apart)}")
        return "\n".join(lines)


def stored_index(store: GraphStore, data_dir: Path) -> EntityIndex:
    """The entity index of the statements the store holds, as the next ingest would build it."""
    stored = read_stored(store)
    return build(stored.statements, store.schema, data_dir, Report(), reported_sources=(), inferences=()).index


def explain_name(index: EntityIndex, name: str, classes: tuple[str, ...] = ORGANISATION_CLASSES) -> NameResolution:
    entity, rule, confidence = index.find_by_name(name, classes)
    result = NameResolution(name=name)
    curated = [n for pair in index.curation.distinct for n in pair]
    if entity is None:
        return result
    names = sorted(set(entity.names()))
    result.node_id, result.label, result.rule, result.confidence = entity.id, entity.label, rule, confidence
    result.node_names = names
    result.sources = sorted({r.provenance.ref for r in entity.records})
    result.kept_apart = sorted(
        n for n in curated if index.curation.kept_apart(names, [n]) and n not in {k.lower() for k in names}
    )
    return result
