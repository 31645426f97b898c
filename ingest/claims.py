"""Each source's statements about a node, kept on the node so that any later run can rebuild the graph.

A node's ``claims_json`` holds, per source, the records that resolved to it and the relationships those
records state (as written in the source, before resolution). An ingest takes the stored statements of
every source it does not read, adds the fresh statements of the sources it read completely, and
resolves them all again: the graph is a function of the set of statements, whatever the order of runs,
and a run of one source never changes what another source said.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from graph.json_text import compact, compact_bytes, loads
from ingest.records import NO_PROPS, NodeRecord, PendingLink, Provenance, target_ref
from ingest.tie_text import LinkTexts, link_to_json, provenance_json

SourceName = str


@dataclass
class SourceStatements:
    """What one source stated: records and the relationships they state."""

    records: list[NodeRecord] = field(default_factory=list)
    links: list[PendingLink] = field(default_factory=list)


def record_to_json(record: NodeRecord) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "label": record.label,
        "id": record.id,
        "props": record.props,
        "prov": provenance_json(record.provenance),
        "names": list(record.names),
        "priority": record.priority,
    }
    if not record.merge_by_name:
        doc["merge_by_name"] = False
    if record.prop_priority:
        doc["prop_priority"] = [list(pair) for pair in record.prop_priority]
    return doc


def claims_to_json(claims: dict[SourceName, SourceStatements], ties: LinkTexts | None = None) -> str:
    """The statements as one JSON text, keys sorted, a source's records in row order and its links in the order of
    their own texts. Each statement is encoded once and the text is joined around them: sorting the links by their
    compact text orders them exactly as sorting by the spaced text did (a space follows the same separators in
    both). Encoding each link again for its sort key cost the node rows' step at scale 15 1.2 s of its 6.75 s.
    ``ties`` keeps the parts that the run's ties share encoded (ingest/tie_text.py): pass one for many nodes."""
    ties = LinkTexts() if ties is None else ties
    parts = []
    for source, part in sorted(claims.items()):
        if not (part.records or part.links):
            continue
        links = ",".join(sorted(map(ties.text, part.links)))
        records = ",".join(compact(record_to_json(r)) for r in sorted(part.records, key=lambda r: r.order_key))
        parts.append(f'{compact(source)}:{{"links":[{links}],"records":[{records}]}}')
    return "{" + ",".join(parts) + "}"


def claims_from_json(
    text: str, counted: Collection[SourceName] = (), prints: dict[SourceName, StatementPrints] | None = None
) -> dict[SourceName, SourceStatements]:
    """A node's statements as its ``claims_json`` keeps them. A row's record and its ties share one provenance, the
    far ends are shared (``target_ref``), and the names a store repeats on every node (sources, files, labels,
    confidences) are interned: a re-run reads the statements of every source it does not read from the store.
    Those of the ``counted`` sources (a run replaces them) go into ``prints`` as digests only."""
    doc = loads(text) if text else {}
    shared: dict[tuple[Any, ...], Provenance] = {}
    statements = {}
    for name, part in doc.items():
        source = sys.intern(name)
        if prints is not None and source in counted:
            prints.setdefault(source, StatementPrints()).add_written(part)
            continue
        statements[source] = SourceStatements(
            records=[_record(source, r, shared) for r in part.get("records", [])],
            links=[_link(source, k, shared) for k in part.get("links", [])],
        )
    return statements


def _prov(source: str, values: list[Any], shared: dict[tuple[Any, ...], Provenance]) -> Provenance:
    """The provenance, shared with the node's other statements of the same row. Only the written form is shared
    (text or null, a row number): a hand-edited value (1 against true, a list) is read as it stands."""
    file, row, url, confidence = values
    plain = type(row) is int and all(v is None or type(v) is str for v in (file, url, confidence))
    key = (source, file, row, url, confidence)
    found = shared.get(key) if plain else None
    if found is None:
        file, confidence = (sys.intern(v) if type(v) is str else v for v in (file, confidence))
        found = Provenance(source=source, file=file, row=int(row), url=url, confidence=confidence)
        if plain:
            shared[key] = found
    return found


def _record(source: str, doc: dict[str, Any], shared: dict[tuple[Any, ...], Provenance]) -> NodeRecord:
    return NodeRecord(
        label=sys.intern(doc["label"]),
        id=doc["id"],
        props=doc["props"],
        provenance=_prov(source, doc["prov"], shared),
        names=tuple(doc["names"]),
        priority=int(doc["priority"]),
        merge_by_name=bool(doc.get("merge_by_name", True)),
        prop_priority=tuple((str(k), int(v)) for k, v in doc.get("prop_priority", [])),
    )


def _link(source: str, doc: dict[str, Any], shared: dict[tuple[Any, ...], Provenance]) -> PendingLink:
    text, resolver, classes, create = doc["to"]
    return PendingLink.of(
        rel_type=doc["type"],
        from_label=doc["from"][0],
        from_id=doc["from"][1],
        target=target_ref(text, resolver, tuple(classes), bool(create)),
        provenance=_prov(source, doc["prov"], shared),
        column=doc.get("column"),
        inbound=bool(doc.get("inbound", False)),
        required=bool(doc.get("required", False)),
        props=doc.get("props") or NO_PROPS,
    )


def group_by_source(records: Iterable[NodeRecord], links: Iterable[PendingLink]) -> dict[str, SourceStatements]:
    grouped: dict[str, SourceStatements] = {}
    for record in records:
        grouped.setdefault(record.provenance.source, SourceStatements()).records.append(record)
    for link in links:
        grouped.setdefault(link.provenance.source, SourceStatements()).links.append(link)
    return grouped


RecordPrint = tuple[str, str, str, bytes]  # label, id, file, and the digest of what the record says


@dataclass
class StatementPrints:
    """One source's statements as digests of their JSON: what a run needs of the statements it replaces, to count
    those it adds, changes and removes (as whole statements, they took a full re-run of scale 50 from 5.2 to 6.7 GB).

    A digest leaves out the statement's row number: a row taken out near the top of a list moves every later row
    up one, and the run then counted each of those statements removed and added again (about 81,500 of each at
    synthetic scale 15 for 40 rows taken out). Its ties are still written again with their new rows."""

    records: Counter[RecordPrint] = field(default_factory=Counter)  # how many times each record is stated
    links: Counter[bytes] = field(default_factory=Counter)  # a link's digest → how many times it is stated

    def add(self, part: SourceStatements) -> None:
        for r in part.records:
            self.records[record_print(r)] += 1
        for k in part.links:
            self.links[_rowless_digest(link_to_json(k))] += 1

    def add_written(self, part: dict[str, Any]) -> None:
        """A source's statements as a node's claims keep them (their parsed JSON, changed here: the caller lets
        it go), digested as they stand, with no statement made of them. For a text ClusterKG wrote these are the
        digests ``add`` gives the statements read from it (a re-run of scale 15 spent a tenth of its time making
        those statements, only to digest them). A statement edited by hand into a form ClusterKG does not write (a
        confidence as a number) counts as changed: the run writes it again."""
        for r in part.get("records", []):
            key = (sys.intern(str(r["label"])), r["id"], sys.intern(str(r["prov"][0])))
            self.records[(*key, _rowless_digest(r))] += 1
        for k in part.get("links", []):
            self.links[_rowless_digest(k)] += 1

    @property
    def empty(self) -> bool:
        return not self.records and not self.links


def record_print(record: NodeRecord) -> RecordPrint:
    """A record as ``StatementPrints`` counts it (a label and a file are shared by thousands of records: one string
    each)."""
    file = sys.intern(str(record.provenance.file))
    return (sys.intern(str(record.label)), record.id, file, _rowless_digest(record_to_json(record)))


def _rowless_digest(doc: dict[str, Any]) -> bytes:
    """The digest of a statement's JSON with its row number left out (``prov`` is [file, row, url, confidence])."""
    prov = doc["prov"]
    doc["prov"] = [prov[0], None, *prov[2:]] if isinstance(prov, list) and len(prov) > 1 else prov
    return digest(doc)


def digest(doc: Mapping[str, Any]) -> bytes:
    """16 bytes of BLAKE2b over the sorted JSON (1, 1.0 and true differ, as they do in the stored text), for what a
    run compares within itself: a statement (``StatementPrints``). Both sides are digested in one run and none is
    stored, so orjson's own text serves, with no look for the floats where it differs from the stored text's
    (``compact``): 0.3 µs a statement rather than 1.1."""
    try:
        text = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an int past 64 bits, a lone surrogate: the standard library's text
        text = compact_bytes(doc)
    return hashlib.blake2b(text, digest_size=16).digest()
