"""What the store holds before a run: every source's statements, each node's hash, and the stored ties.

The statements of the sources a run does not read (or read incompletely) come from here; those of the sources it
replaces are kept only as digests, to count what changed; the hashes and the stored ties' tables tell the run what
it adds, changes, leaves alone and drops.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from graph.ids import split_ref
from graph.store import GraphStore
from ingest.claims import SourceStatements, StatementPrints, claims_from_json
from ingest.row_tables import RelGroup

log = logging.getLogger(__name__)

NodeKey = tuple[str, str]  # label, id
# what a run reads of each stored node (its other properties are in its statements)
NODE_COLUMNS = ("id", "record_hash", "claims_json", "source_refs", "source_file")
HASH_SCHEMA = pa.schema([("id", pa.string()), ("record_hash", pa.string())])
# LadybugDB keeps every page a read loaded in its buffer pool until the pool is full (by the end of reading the
# stored graph of scale 150, 1.7 GB of a 3 GiB pool): the store lets go of them after about this much was read
LET_GO_AFTER_BYTES = 256 << 20
# ... and at the end of the read only if this much is left: each letting go reopens the database and moves the file's
# version, so that every reader in another process (the app) reopens too; a small store's read is not worth it
LET_GO_AT_END_BYTES = 16 << 20


@dataclass
class StoredGraph:
    statements: dict[str, SourceStatements] = field(default_factory=dict)
    prints: dict[str, StatementPrints] = field(default_factory=dict)  # the replaced sources' (``counted``)
    # by label, each stored node's id and record hash ("" for none) as a table (``HASH_SCHEMA``): 80 MB at scale
    # 150, about a third of a dict of (label, id) keys
    node_hashes: dict[str, pa.Table] = field(default_factory=dict)
    # every stored tie, by type and ends' labels, as the store's table with its text columns but the start's id
    # dictionary-encoded (``dictionary_encoded``; ingest/tie_diff.py compares them)
    ties: dict[RelGroup, pa.Table] = field(default_factory=dict)
    # Written by a version before statements were kept: no statements to rebuild them from, so a run
    # drops one only where all its files were read again completely (the rule of that version; a tie's in
    # ingest/tie_diff.py: ``dropped``).
    legacy_nodes: dict[NodeKey, list[str]] = field(default_factory=dict)  # key → files
    # what the store's ``written_version`` stood at when it was read (its letting go of the read's pages may move
    # it: ``GraphStore.let_go_of_cache``); None when unknown or another write came between
    version: object | None = None

    @property
    def sources(self) -> set[str]:
        kept = {name for name, part in self.statements.items() if part.records or part.links}
        return kept | {name for name, prints in self.prints.items() if not prints.empty}


def read_stored(store: GraphStore, counted: Collection[str] = (), version: object | None = None) -> StoredGraph:
    """The store's statements, hashes and legacy rows; the statements of the ``counted`` sources (those a run
    replaces) as digests only (``StoredGraph.prints``). ``version``: the store's ``written_version`` before."""
    stored = StoredGraph()
    cache = _ReadPages(store, version)
    absent = store.absent_tables()  # a dry run on a store never written to
    for cls in store.schema.node_classes:
        if cls.name in ("IngestRun", "Edition", "Tally") or cls.name in absent:  # bookkeeping, not statements
            continue
        hashes: list[pa.RecordBatch] = []
        for columns in store.node_columns(cls.name, NODE_COLUMNS):
            ids = [str(node_id) for node_id in columns[0]]
            row_hashes = ["" if row_hash is None else str(row_hash) for row_hash in columns[1]]
            hashes.append(pa.record_batch([ids, row_hashes], schema=HASH_SCHEMA))
            for node_id, text, refs, file in zip(ids, *columns[2:], strict=True):
                if text is None:
                    stored.legacy_nodes[(cls.name, node_id)] = [split_ref(str(r))[0] for r in (refs or [file or ""])]
                    continue
                cache.read(len(text))
                for source, part in claims_from_json(str(text), counted, stored.prints).items():
                    mine = stored.statements.setdefault(source, SourceStatements())
                    mine.records.extend(part.records)
                    mine.links.extend(part.links)
        if hashes:
            stored.node_hashes[cls.name] = pa.Table.from_batches(hashes).combine_chunks()
    parts: dict[RelGroup, list[pa.Table]] = {}
    for rel in store.schema.relationships.values():
        if rel.name not in absent:
            for from_label, to_label, table in store.relationship_tables(rel.name):
                cache.read(table.nbytes)
                parts.setdefault((rel.name, from_label, to_label), []).append(dictionary_encoded(table))
    for group in list(parts):
        stored.ties[group] = pa.concat_tables(parts.pop(group), promote_options="default")  # ``UNFIT`` in some
    if stored.legacy_nodes:
        log.warning(
            "%d 个节点由旧版 ClusterKG 写入，没有其来源的陈述；完整运行一次 `ckg ingest` 即可重建 / "
            "%d nodes were written by an older ClusterKG without their sources' statements; "
            "a full `ckg ingest` rebuilds them",
            *(len(stored.legacy_nodes), len(stored.legacy_nodes)),
        )
    stored.version = cache.let_go() if cache.pending >= LET_GO_AT_END_BYTES else cache.version
    return stored


class _ReadPages:
    """What a whole read has loaded into the store's cache, let go of every ``LET_GO_AFTER_BYTES`` read (and at the
    end, ``read_stored``), with the store's version carried through each letting go."""

    def __init__(self, store: GraphStore, version: object | None) -> None:
        self.store, self.version, self.pending = store, version, 0

    def read(self, size: int) -> None:
        self.pending += size
        if self.pending >= LET_GO_AFTER_BYTES:
            self.let_go()

    def let_go(self) -> object | None:
        self.version = self.store.let_go_of_cache(self.version)
        self.pending = 0
        return self.version


def dictionary_encoded(table: pa.Table) -> pa.Table:
    """The table with every text column but the start's id dictionary-encoded, and the other columns copied: most
    text repeats a few values (the run, the file, the rule, the far end's id), and a table the store hands over
    shares one allocation among its columns, so that one column kept as it came holds all the others' memory. At
    scale 150 the stored ties took 1,217 MB as read, and about 400 MB so."""
    columns = [
        pc.dictionary_encode(column)
        if pa.types.is_string(column.type) and name != "from_id"
        else pa.chunked_array([pa.concat_arrays(column.chunks)] if column.num_chunks else [], column.type)
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]
    return pa.table(columns, names=table.column_names)
