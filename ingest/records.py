"""Frozen records at the ingest boundary: what a source row says, before and after entity resolution."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True, slots=True)
class PendingLink:
    rel_type: str
    from_label: str
    from_id: str
    target: TargetRef
    provenance: Provenance
    column: str | None = None
    inbound: bool = False  # the row's node is the relationship's end, not its start
    required: bool = False
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Link:
    """A resolved relationship statement; several statements of one relationship merge by ``rank``."""

    rel_type: str
    from_label: str
    from_id: str
    to_label: str
    to_id: str
    props: dict[str, Any]
    rank: tuple[int, int, str, str, int] = (0, 50, "", "", 0)  # (inferred?, priority, source, file, row)
    ref: str = ""  # file#row of a stated tie, rule:<id> of an inferred one
