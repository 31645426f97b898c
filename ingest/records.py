"""Frozen records at the ingest boundary: what a source row says, before and after entity resolution."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# The properties of a statement that has none of its own, shared: a dict per statement was tens of megabytes per
# 100,000 ties.
NO_PROPS: Mapping[str, Any] = MappingProxyType({})
INFERENCE_SOURCE = "inference"  # the source an inferred tie counts as, the lowest in rank (ingest/inference.py)


@dataclass(frozen=True, slots=True)
class Provenance:
    source: str  # the mapping (source) name
    file: str  # path relative to the data folder
    row: int
    url: str | None = None
    confidence: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.file}#{self.row}"


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """One source row's claim that an entity exists, with its properties."""

    label: str
    id: str  # the id this row would give the node; entity resolution may pick another record's id
    props: dict[str, Any]
    provenance: Provenance
    names: tuple[str, ...]  # names and aliases to match it by
    priority: int = 50  # lower wins when records merge (which id and which values survive)
    merge_by_name: bool = True  # False where a code is the identity and equal names are different entities
    prop_priority: tuple[tuple[str, int], ...] = ()  # per-property precedence overriding ``priority``
    from_reference: bool = False  # made by link resolution from a name, not stated by a row

    def precedence(self, prop: str) -> int:
        """This record's rank for one property: lower wins."""
        for name, rank in self.prop_priority:
            if name == prop:
                return rank
        return self.priority

    @property
    def order_key(self) -> tuple[int, str, str, int, str, str]:
        """A total order on records that does not depend on the order sources were read or run."""
        p = self.provenance
        return (self.priority, p.source, p.file, p.row, self.label, self.id)


@dataclass(frozen=True, slots=True)
class TargetRef:
    """A relationship's far end as the source states it: text to resolve, or a known id."""

    text: str
    resolver: str  # "place", "cluster", "organization", "id", …
    classes: tuple[str, ...] = ()
    create: bool = False  # create a node when the text names no known entity (rule recorded)


@functools.lru_cache(maxsize=1 << 16)  # the same few cities, clusters and hosts on most rows
def target_ref(text: str, resolver: str, classes: tuple[str, ...], create: bool = False) -> TargetRef:
    """The far end, one object for each distinct one (rows and stored statements name the same few places)."""
    return TargetRef(text=text, resolver=resolver, classes=classes, create=create)


@dataclass(frozen=True, slots=True)
class LinkKind:
    """What the ties of one mapping column (or rule) have in common, shared by them rather than held by each."""

    rel_type: str
    from_label: str
    column: str | None = None
    inbound: bool = False  # the row's node is the relationship's end, not its start
    required: bool = False
    props: Mapping[str, Any] = field(default_factory=lambda: NO_PROPS)


def link_kind(
    rel_type: str,
    from_label: str,
    column: str | None = None,
    inbound: bool = False,
    required: bool = False,
    props: Mapping[str, Any] = NO_PROPS,
) -> LinkKind:
    """The kind, one object for every tie with no properties of its own (nearly all): at scale 150 the 3.3 M ties
    read took 104 bytes each with these fields in each, 64 with a shared kind."""
    if props:
        return LinkKind(rel_type, from_label, column, inbound, required, props)
    return _shared_kind(rel_type, from_label, column, inbound, required)


@functools.lru_cache(maxsize=1 << 12)  # a kind per mapping column and class: a few hundred
def _shared_kind(rel_type: str, from_label: str, column: str | None, inbound: bool, required: bool) -> LinkKind:
    return LinkKind(rel_type, from_label, column, inbound, required)


def clear_caches() -> None:
    """Forget the shared far ends and kinds (an ingest, once its rows are made: ingest/collector.give_back)."""
    target_ref.cache_clear()
    _shared_kind.cache_clear()


@dataclass(frozen=True, slots=True)
class PendingLink:
    """A relationship a row states, its far end not yet resolved."""

    kind: LinkKind
    from_id: str
    target: TargetRef
    provenance: Provenance

    @classmethod
    def of(
        cls,
        rel_type: str,
        from_label: str,
        from_id: str,
        target: TargetRef,
        provenance: Provenance,
        *,
        column: str | None = None,
        inbound: bool = False,
        required: bool = False,
        props: Mapping[str, Any] = NO_PROPS,
    ) -> PendingLink:
        return cls(link_kind(rel_type, from_label, column, inbound, required, props), from_id, target, provenance)

    @property
    def rel_type(self) -> str:
        return self.kind.rel_type

    @property
    def from_label(self) -> str:
        return self.kind.from_label

    @property
    def column(self) -> str | None:
        return self.kind.column

    @property
    def inbound(self) -> bool:
        return self.kind.inbound

    @property
    def required(self) -> bool:
        return self.kind.required

    @property
    def props(self) -> Mapping[str, Any]:
        return self.kind.props


@dataclass(frozen=True, slots=True)
class Link:
    """A resolved relationship statement; several statements of one relationship merge by ``rank``.

    A stated tie keeps the row that states it and how its far end was matched; an inferred one keeps its
    properties (derived, rule, evidence…) in ``extra``. Its properties, rank and reference are made when asked:
    held for every tie from resolution to the rows, they were about 400 bytes a tie."""

    rel_type: str
    from_label: str
    from_id: str
    to_label: str
    to_id: str
    provenance: Provenance | None = None  # the stating row; None for an inferred tie
    match_rule: str = ""
    match_confidence: float = 1.0
    priority: int = 50  # the stating record's: lower wins
    # the statement's own properties (a role); all of an inferred tie's
    extra: Mapping[str, Any] = field(default_factory=lambda: NO_PROPS)

    @property
    def props(self) -> dict[str, Any]:
        return tie_props(self.provenance, self.match_rule, self.match_confidence, self.extra)

    @property
    def rank(self) -> tuple[int, int, str, str, int]:
        """(inferred?, priority, source, file, row): a stated tie before an inferred one, then by precedence."""
        p = self.provenance
        if p is None:
            return (1, 100, INFERENCE_SOURCE, str(self.extra.get("rule", "")), 0)
        return (0, self.priority, p.source, p.file, p.row)

    @property
    def ref(self) -> str:
        return tie_ref(self.provenance, self.extra)


# What a stated tie's row says besides its own properties: its row, and how its far end was matched
STATED_TIE_PROPS = ("source_file", "source_row", "source_url", "confidence", "match_rule", "match_confidence")


def stated_tie_values(provenance: Provenance, match_rule: str, match_confidence: float) -> tuple[Any, ...]:
    """The values of ``STATED_TIE_PROPS``, in that order (None where absent)."""
    return (provenance.file, provenance.row, provenance.url, provenance.confidence, match_rule, match_confidence)


def tie_props(
    provenance: Provenance | None, match_rule: str, match_confidence: float, extra: Mapping[str, Any]
) -> dict[str, Any]:
    """A tie's written properties (a fresh dict): its row and how its far end was matched, then its own; an
    inferred tie's own only."""
    if provenance is None:
        return dict(extra)
    props = dict(zip(STATED_TIE_PROPS, stated_tie_values(provenance, match_rule, match_confidence), strict=True))
    props.update(extra)
    return {k: v for k, v in props.items() if v is not None}  # absent, as the stores hold no nulls


def tie_ref(provenance: Provenance | None, extra: Mapping[str, Any]) -> str:
    """file#row of a stated tie, rule:<id> of an inferred one."""
    return provenance.ref if provenance is not None else f"rule:{extra.get('rule', '')}"
