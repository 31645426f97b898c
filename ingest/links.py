"""Resolving pending links to nodes: places, clusters, organisations, industry codes and known ids."""

from __future__ import annotations

import re
from collections.abc import Iterable

from graph.ids import match_key
from ingest.link_columns import LinkColumns
from ingest.normalize import strip_note
from ingest.records import PendingLink
from ingest.report import Level, Report
from ingest.resolve import Entity, EntityIndex

# (source, label) → record id → the record's priority: nested, a tuple key per record was about 100 MB at scale 150
Priorities = dict[tuple[str, str], dict[str, int]]
OUTSIDE_GUANGDONG = ("澳门", "香港", "macau", "macao", "hong kong")
Problem = tuple[str, str]  # why a far end was not found: in Chinese, in English (the report shows both)
NO_PROBLEM: Problem = ("", "")


class Lookups:
    """Name → entity tables for places and clusters, built once from the resolved entities."""

    def __init__(self, index: EntityIndex) -> None:
        self.index = index
        self.places: dict[str, list[Entity]] = {}
        self.clusters: dict[str, Entity] = {}
        # Answers per distinct text: the same few place and cluster names recur on most rows.
        self._place_cache: dict[str, tuple[Entity | None, Problem]] = {}
        self._cluster_keys: dict[str, str] = {}
        for entity in index.entities:
            if entity.label in ("City", "District"):
                props = entity.merged_props()
                for key in self._place_keys(props):
                    bucket = self.places.setdefault(key, [])
                    if entity not in bucket:
                        bucket.append(entity)
            elif entity.label == "IndustryCluster":
                props = entity.merged_props()
                for name in [props.get("cluster_code"), *entity.names()]:
                    if name:
                        self.clusters[match_key(str(name))] = entity

    @staticmethod
    def _place_keys(props: dict[str, object]) -> list[str]:
        keys = []
        code = str(props.get("admin_code") or "")
        if code:
            keys.append(code)
            if code.endswith("00"):
                keys.append(code[:4])  # 4-digit city codes, as some lists give them
        for name in (props.get("name_zh"), props.get("name_en")):
            if isinstance(name, str) and name:
                keys.append(match_key(name))
                short = re.sub(r"(市|区|县)$", "", name)
                if short != name and len(short) >= 2:
                    keys.append(match_key(short))
        return keys

    def place(self, text: str) -> tuple[Entity | None, Problem]:
        if text not in self._place_cache:
            self._place_cache[text] = self._place(text)
        return self._place_cache[text]

    def _place(self, text: str) -> tuple[Entity | None, Problem]:
        cleaned = re.sub(r"^广东省?(?=.)", "", strip_note(text))  # "广东广州" in the MOST lists
        candidates = self.places.get(cleaned) or self.places.get(match_key(cleaned)) or []
        cities = [e for e in candidates if e.label == "City"]
        if len(cities) == 1:
            return cities[0], NO_PROBLEM
        if len(candidates) == 1:
            return candidates[0], NO_PROBLEM
        if len(candidates) > 1:
            count = len(candidates)
            return None, (f"地名有歧义（对应 {count} 个地点）", f"ambiguous place name (matches {count} places)")
        if any(word in cleaned.lower() for word in OUTSIDE_GUANGDONG):
            return None, ("广东省外的地点", "a place outside Guangdong")
        return None, (
            "未知地点（不是广东的市、区县名称或代码）",
            "unknown place (not a Guangdong city or district name or code)",
        )

    def cluster(self, text: str) -> tuple[Entity | None, Problem]:
        key = self._cluster_keys.get(text)
        if key is None:
            key = self._cluster_keys[text] = match_key(strip_note(text))
        entity = self.clusters.get(key)
        return (entity, NO_PROBLEM) if entity else (None, ("未知的产业集群", "unknown industry cluster"))


def resolve_links(
    pending: Iterable[PendingLink],
    index: EntityIndex,
    report: Report,
    priority: Priorities | None = None,
    reported_sources: Iterable[str] | None = None,
) -> LinkColumns:
    """Pending links → links between entities. ``priority`` ranks each statement by the precedence of
    the record that states it ((source, label) → id → priority); problems are reported only for the
    ``reported_sources`` (all when None)."""
    lookups = Lookups(index)
    reported = None if reported_sources is None else set(reported_sources)
    links = LinkColumns()
    for item in pending:
        source = index.get(item.from_label, item.from_id)
        if source is None:
            continue  # the row's own node was rejected; already reported
        target, rule, confidence, problem = _resolve_target(item, index, lookups)
        prov = item.provenance
        if target is None:
            if reported is None or prov.source in reported:
                zh, en = problem
                report.add(
                    Level.ERROR if item.required else Level.WARNING,
                    prov.file,
                    f"{item.rel_type}：{zh}，未建立关系 / {item.rel_type}: {en}; relationship not made",
                    row=prov.row,
                    column=item.column,
                    value=item.target.text,
                )
            continue
        if target is source:
            continue
        start, end = (target, source) if item.inbound else (source, target)
        links.add(
            item.rel_type,
            start.label,
            start.id,
            end.label,
            end.id,
            provenance=prov,
            match_rule=rule,
            match_confidence=confidence,
            priority=(priority or {}).get((prov.source, item.from_label), {}).get(item.from_id, 50),
            extra=item.props,
        )
    return links


def _resolve_target(
    item: PendingLink, index: EntityIndex, lookups: Lookups
) -> tuple[Entity | None, str, float, Problem]:
    ref = item.target
    if ref.resolver == "id":
        for label in ref.classes:
            entity = index.get(label, ref.text)
            if entity is not None:
                return entity, "id", 1.0, NO_PROBLEM
        classes = "/".join(ref.classes)
        return None, "", 0.0, (f"没有标识为 {ref.text} 的 {classes}", f"no {classes} with id {ref.text}")
    if ref.resolver == "place":
        entity, problem = lookups.place(ref.text)
        return entity, "place name or code", 1.0, problem
    if ref.resolver == "cluster":
        entity, problem = lookups.cluster(ref.text)
        return entity, "cluster name or code", 1.0, problem
    if ref.resolver == "category":
        entity = index.get("IndustryCategory", f"industry/{strip_note(ref.text)}")
        unknown = ("未知的 GB/T 4754-2017 行业代码", "unknown GB/T 4754-2017 code")
        return entity, "GB/T 4754 code", 1.0, NO_PROBLEM if entity else unknown
    name = strip_note(ref.text)
    entity, rule, confidence = index.find_by_name(name, ref.classes)
    if entity is not None:
        return entity, rule, confidence, NO_PROBLEM
    if ref.create:
        created = index.create_from_reference(ref, item.provenance)
        if created is not None:
            return created, "new node from the reference's name", 0.6, NO_PROBLEM
    known = "/".join(ref.classes) or "organisation"
    return None, "", 0.0, (f"未找到所指的 {known}（未消解的引用）", f"names no known {known} (unresolved reference)")
