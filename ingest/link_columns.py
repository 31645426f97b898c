"""Resolved ties held as columns from resolution to their rows: a ``Link`` object each was about 120 bytes a tie
with its list slot (at scale 150, 3.5 M ties: 420 MB); as columns a tie takes about 48 bytes (tracemalloc,
tests/test_link_columns.py).

Names (the type, the ends' labels, the match rule) are kept as 16-bit codes into a small table; match confidences
and priorities as 32-bit codes into their own (any value, read back as it was given); the ends' ids, the stating
row and the statement's own properties as references to objects the resolution already holds. A ``Link`` is made
again only where a rule reads one (``ties[i]``, iteration, ``of_types``); what needs less reads the columns: a
tie's key (``key``, ``keys_of_types``), or its properties and reference for its row (``props``, ``ref``), through
the same functions as ``Link`` (``records.tie_props``, ``tie_ref``). The rows of the ties stated once with no
properties of their own, most of them, come out as columns (``groups``, ``plain_columns``).
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ingest.records import NO_PROPS, STATED_TIE_PROPS, Link, Provenance, stated_tie_values, tie_props, tie_ref

Starts = Collection[tuple[str, str]]  # the (label, id)s of the nodes some ties start from
TieKey = tuple[str, str, str, str, str]  # type, from label, from id, to label, to id
TieGroup = tuple[str, str, str]  # type, from label, to label


class _Codes:
    """Distinct values ↔ small numbers, in the order first seen. Values are told apart by type as well (1, 1.0 and
    True are equal in Python, but a tie's confidence written as 1 must read back as 1)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._numbers: dict[tuple[type, Any], int] = {}

    def number(self, value: Any) -> int:
        key = (type(value), value)
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = len(self.values)
            self.values.append(value)
        return found

    def known(self, value: Any) -> int | None:
        return self._numbers.get((type(value), value))


class LinkColumns:
    """A list of resolved ties, as columns: ``append``, ``add``, ``extend``, ``len``, ``ties[i]``, iteration in
    the order added, ``of_types`` (only the ties of some types, or from some nodes, without making the others'
    ``Link``), and a tie's parts without its ``Link`` (``key``, ``keys_of_types``, ``props``, ``ref``, ``stated``)."""

    def __init__(self, links: Iterable[Link] = ()) -> None:
        self._empty()
        self.extend(links)

    def _empty(self) -> None:
        self._names = _Codes()  # types, labels and match rules: the schema's and the code's, a few dozen
        self._numbers = _Codes()  # match confidences and priorities
        self._rel_types = array("H")
        self._from_labels = array("H")
        self._to_labels = array("H")
        self._rules = array("H")
        self._confidence = array("I")
        self._priorities = array("I")
        self._from_ids: list[str] = []
        self._to_ids: list[str] = []
        self._provenance: list[Provenance | None] = []
        self._extra: list[Mapping[str, Any]] = []

    def add(
        self,
        rel_type: str,
        from_label: str,
        from_id: str,
        to_label: str,
        to_id: str,
        provenance: Provenance | None = None,
        match_rule: str = "",
        match_confidence: float = 1.0,
        priority: int = 50,
        extra: Mapping[str, Any] = NO_PROPS,
    ) -> None:
        """A tie as ``Link(...)`` takes it, without making the ``Link``."""
        number = self._names.number
        self._rel_types.append(number(rel_type))
        self._from_labels.append(number(from_label))
        self._to_labels.append(number(to_label))
        self._rules.append(number(match_rule))
        self._confidence.append(self._numbers.number(match_confidence))
        self._priorities.append(self._numbers.number(priority))
        self._from_ids.append(from_id)
        self._to_ids.append(to_id)
        self._provenance.append(provenance)
        self._extra.append(extra)

    def append(self, link: Link) -> None:
        self.add(
            link.rel_type,
            link.from_label,
            link.from_id,
            link.to_label,
            link.to_id,
            link.provenance,
            link.match_rule,
            link.match_confidence,
            link.priority,
            link.extra,
        )

    def extend(self, links: Iterable[Link]) -> None:
        for link in links:
            self.append(link)

    def __len__(self) -> int:
        return len(self._from_ids)

    def __getitem__(self, i: int) -> Link:
        names = self._names.values
        return Link(
            names[self._rel_types[i]],
            names[self._from_labels[i]],
            self._from_ids[i],
            names[self._to_labels[i]],
            self._to_ids[i],
            provenance=self._provenance[i],
            match_rule=names[self._rules[i]],
            match_confidence=self._numbers.values[self._confidence[i]],
            priority=self._numbers.values[self._priorities[i]],
            extra=self._extra[i],
        )

    def __iter__(self) -> Iterator[Link]:
        for i in range(len(self)):
            yield self[i]

    def of_types(self, rel_types: Collection[str], starts: Starts | None = None) -> Iterator[Link]:
        """The ties of these types, in the order added (a rule that walks a few types reads only theirs); with
        ``starts``, only those from these (label, id)s, found without making the others' ``Link`` (a rule that asks
        for the clusters of a few labs read every firm's IN_CLUSTER tie)."""
        for i in self._positions(rel_types, starts):
            yield self[i]

    def keys_of_types(self, rel_types: Collection[str]) -> Iterator[TieKey]:
        """The keys of the ties of these types, in the order added, without making a ``Link`` (a rule's view of
        the graph needs no more)."""
        return map(self.key, self._positions(rel_types))

    def keys_to(self, rel_type: str, to_label: str) -> Iterator[TieKey]:
        """The keys of the ties of this type that end at a node of this label (a district's few among a million
        entities' places), found by their codes without a look at the others."""
        to_codes = [code for code, name in enumerate(self._names.values) if name == to_label]  # a str subclass too
        if not to_codes:
            return iter(())
        return map(self.key, self._positions([rel_type], to_codes=to_codes))

    def _positions(
        self, rel_types: Collection[str], starts: Starts | None = None, to_codes: Collection[int] = ()
    ) -> list[int]:
        codes = [code for code in map(self._names.known, rel_types) if code is not None]
        if not codes or not len(self):
            return []
        wanted = np.isin(np.frombuffer(self._rel_types, dtype=np.uint16), codes)
        if to_codes:
            wanted &= np.isin(np.frombuffer(self._to_labels, dtype=np.uint16), list(to_codes))
        if starts is not None:
            labels = [code for code in map(self._names.known, {label for label, _ in starts}) if code is not None]
            wanted &= np.isin(np.frombuffer(self._from_labels, dtype=np.uint16), labels)
        positions: list[int] = np.flatnonzero(wanted).tolist()
        if starts is not None:
            names, from_labels, from_ids = self._names.values, self._from_labels, self._from_ids
            positions = [i for i in positions if (names[from_labels[i]], from_ids[i]) in starts]
        return positions

    def props(self, i: int) -> dict[str, Any]:
        """``ties[i].props``, without making the ``Link``."""
        names = self._names.values
        return tie_props(
            self._provenance[i], names[self._rules[i]], self._numbers.values[self._confidence[i]], self._extra[i]
        )

    def ref(self, i: int) -> str:
        """``ties[i].ref``, without making the ``Link``."""
        return tie_ref(self._provenance[i], self._extra[i])

    def stated(self, i: int) -> bool:
        """Whether a source states the tie at ``i`` (else a rule inferred it)."""
        return self._provenance[i] is not None

    def plain(self, i: int) -> bool:
        """Whether the tie at ``i`` is stated and has no properties of its own (most are): its row is
        ``plain_columns``'s."""
        return self._provenance[i] is not None and not self._extra[i]

    def plain_columns(self, positions: Sequence[int]) -> dict[str, list[Any]]:
        """The rows of plain ties (``plain``) as columns, each one statement's: ``from_id``, ``to_id``, the
        ``STATED_TIE_PROPS`` (``tie_props``'s values, None where it leaves one out) and ``source_refs``."""
        names, numbers = self._names.values, self._numbers.values
        provenance, rules, confidence = self._provenance, self._rules, self._confidence
        values = [
            stated_tie_values(provenance[i], names[rules[i]], numbers[confidence[i]])  # type: ignore[arg-type]
            for i in positions
        ]
        columns: dict[str, list[Any]] = {
            "from_id": [self._from_ids[i] for i in positions],
            "to_id": [self._to_ids[i] for i in positions],
        }
        transposed = list(zip(*values, strict=True)) or [()] * len(STATED_TIE_PROPS)  # no position: empty columns
        for name, column in zip(STATED_TIE_PROPS, transposed, strict=True):
            columns[name] = list(column)
        columns["source_refs"] = [[provenance[i].ref] for i in positions]  # type: ignore[union-attr]
        return columns

    def groups(self) -> list[tuple[TieGroup, np.ndarray]]:
        """The positions of the ties of each (type, from label, to label), ascending; the groups in the order their
        first ties were added. As arrays: as lists, 3.5 M positions at scale 150 were 126 MB."""
        if not len(self):
            return []
        codes = np.frombuffer(self._rel_types, dtype=np.uint16).astype(np.uint64) << np.uint64(32)
        codes |= np.frombuffer(self._from_labels, dtype=np.uint16).astype(np.uint64) << np.uint64(16)
        codes |= np.frombuffer(self._to_labels, dtype=np.uint16).astype(np.uint64)
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        by_group = np.argsort(inverse, kind="stable")  # positions, a group's together and ascending
        ends = np.cumsum(np.bincount(inverse))
        names = self._names.values
        groups: dict[TieGroup, list[np.ndarray]] = {}
        for group in np.argsort(first).tolist():
            i = int(first[group])
            key = (names[self._rel_types[i]], names[self._from_labels[i]], names[self._to_labels[i]])
            start = int(ends[group - 1]) if group else 0
            groups.setdefault(key, []).append(by_group[start : int(ends[group])])
        # names equal but of two types (a str and a NumPy str) have two codes and are one group
        return [(key, parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))) for key, parts in groups.items()]

    def key(self, i: int) -> TieKey:
        """(type, from label, from id, to label, to id) of the tie at ``i``, without making its ``Link``."""
        names = self._names.values
        return (
            names[self._rel_types[i]],
            names[self._from_labels[i]],
            self._from_ids[i],
            names[self._to_labels[i]],
            self._to_ids[i],
        )

    def clear(self) -> None:
        self._empty()


Ties = LinkColumns | list[Link]  # resolved ties, as columns or (a rule's own, a test's) as a list


def keys_of_types(links: Ties, rel_types: Collection[str]) -> Iterator[TieKey]:
    """The keys of the ties of these types among ``links``, columns or a list."""
    if isinstance(links, LinkColumns):
        return links.keys_of_types(rel_types)
    wanted = frozenset(rel_types)
    return ((k.rel_type, k.from_label, k.from_id, k.to_label, k.to_id) for k in links if k.rel_type in wanted)


def keys_to(links: Ties, rel_type: str, to_label: str) -> Iterator[TieKey]:
    """The keys of the ties of this type ending at a node of this label among ``links``, columns or a list."""
    if isinstance(links, LinkColumns):
        return links.keys_to(rel_type, to_label)
    return (
        (k.rel_type, k.from_label, k.from_id, k.to_label, k.to_id)
        for k in links
        if k.rel_type == rel_type and k.to_label == to_label
    )


def of_types(links: Ties, rel_types: Collection[str], starts: Starts | None = None) -> Iterator[Link]:
    """The ties of these types among ``links``, columns or a list; with ``starts``, only those from these nodes."""
    if isinstance(links, LinkColumns):
        return links.of_types(rel_types, starts)
    wanted = frozenset(rel_types)
    return (
        link
        for link in links
        if link.rel_type in wanted and (starts is None or (link.from_label, link.from_id) in starts)
    )
