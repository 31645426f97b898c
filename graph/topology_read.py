"""Reading a store's whole topology into a ``Topology`` (graph/topology_model.py), as Arrow columns: no Python
object per id, name or end of a relationship. A write landing during the reads changes the tally epoch, and the
build starts again."""

from __future__ import annotations

import logging
import os
import time

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from graph.aggregates import read_epoch
from graph.errors import ClusterKGError
from graph.store import GraphStore
from graph.topology_model import KEPT_PROPERTIES, Topology

log = logging.getLogger(__name__)

MAX_ELEMENTS = int(os.environ.get("CLUSTERKG_TOPOLOGY_MAX_ELEMENTS", "20000000"))  # nodes + relationships
EPOCH_TRIES = 3  # builds in a row that may see a write land under them before giving up until the next request
CHUNK: int | None = 50_000  # rows to a record on Neo4j (``_read_each``; None: a record per row)
# a relationship's ends and flag as ``_read_each`` reads them on Neo4j, over the relationship alone
TIE_ITEMS = {"a": "startNode(x).id", "b": "endNode(x).id", "derived": "coalesce(x.derived, false)"}


class TopologyTooLargeError(ClusterKGError):
    """The graph has more nodes and relationships than a snapshot may hold."""


def build(store: GraphStore, max_elements: int = MAX_ELEMENTS) -> Topology:
    """Read the store's whole topology (streamed, label by label and type by type). A write landing during the
    reads changes the epoch: the build then starts again (EPOCH_TRIES times at most)."""
    for _ in range(EPOCH_TRIES):
        started = time.perf_counter()
        epoch = read_epoch(store)
        if epoch is None:
            raise ClusterKGError("the store has no tally epoch: its changes could not be seen")
        size = sum(store.node_counts().values()) + sum(store.relationship_counts().values())
        if size > max_elements:
            raise TopologyTooLargeError(f"{size} nodes and relationships, above the bound of {max_elements}")
        topology = _read(store, epoch, started)
        if read_epoch(store) == epoch:
            log.info(
                "topology of %s: %d nodes, %d entries, %.1f s, about %d MB",
                store.backend,
                topology.node_count,
                len(topology.indices),
                topology.build_s,
                topology.approx_bytes // 2**20,
            )
            return topology
        log.info("topology: the graph changed during the build; building again")
    raise ClusterKGError("the graph kept changing during the topology build")


def _read(store: GraphStore, epoch: str, started: float) -> Topology:
    # read as Arrow columns (GraphStore.read_columns): no Python object per id, name or end of a relationship
    ids: list[pa.Array] = []
    zh: list[pa.Array] = []
    en: list[pa.Array] = []
    stage: list[pa.Array] = []
    placed: list[npt.NDArray[np.bool_]] = []
    codes: list[npt.NDArray[np.int8]] = []
    kept: dict[str, list[pa.Array | int]] = {p: [] for p in KEPT_PROPERTIES}  # a class without it: its row count
    classes = tuple(cls.name for cls in store.schema.node_classes)
    for code, cls in enumerate(store.schema.node_classes):
        # a class without a property has none to read (LadybugDB refuses an unknown property)
        has = set(cls.property_names)
        read = ("name_zh", "name_en", "chain_stage", *KEPT_PROPERTIES)
        columns = {"id": "x.id", **{p: f"x.{p}" if p in has else "NULL" for p in read}}
        columns["placed"] = (
            "x.latitude IS NOT NULL AND x.longitude IS NOT NULL" if {"latitude", "longitude"} <= has else "false"
        )
        table = _read_each(store, f"(x:{cls.name})", columns)
        ids.append(_strings(table, "id"))
        zh.append(_strings(table, "name_zh"))
        en.append(_strings(table, "name_en"))
        stage.append(_strings(table, "chain_stage"))
        placed.append(table.column("placed").to_numpy(zero_copy_only=False).astype(np.bool_))
        codes.append(np.full(table.num_rows, code, dtype=np.int8))
        for prop, parts in kept.items():
            parts.append(table.column(prop).combine_chunks() if prop in has else table.num_rows)
    unsorted = pa.concat_arrays(ids)
    del ids
    order = pc.sort_indices(unsorted)
    sorted_ids = unsorted.take(order)
    if len(pc.unique(sorted_ids)) != len(sorted_ids):
        raise ClusterKGError("an id is held by two nodes: a snapshot cannot tell them apart")
    rel_types = tuple(sorted(store.schema.relationships))
    starts: list[pa.Array] = []
    finishes: list[pa.Array] = []
    rel_codes: list[npt.NDArray[np.int8]] = []
    inferred: list[npt.NDArray[np.bool_]] = []
    for rel_code, rel_type in enumerate(rel_types):
        rel = store.schema.rel_type(rel_type)
        for from_label, to_label in rel.pairs:
            ends = {"a": "a.id", "b": "b.id", "derived": "coalesce(x.derived, false)"}
            table = _read_each(store, f"(a:{from_label})-[x:{rel.name}]->(b:{to_label})", ends, TIE_ITEMS)
            if table.num_rows:
                starts.append(_strings(table, "a"))
                finishes.append(_strings(table, "b"))
                rel_codes.append(np.full(table.num_rows, rel_code, dtype=np.int8))
                inferred.append(table.column("derived").to_numpy(zero_copy_only=False).astype(np.bool_))
    n = len(sorted_ids)
    if rel_codes:
        # node numbers by one hash join in Arrow over every end (each join builds its table of a million ids anew)
        numbers = pc.index_in(pa.concat_arrays([*starts, *finishes]), value_set=sorted_ids).to_numpy()
        del starts, finishes
        half = len(numbers) // 2
        src = numbers.astype(np.int64)
        dst = np.concatenate([numbers[half:], numbers[:half]]).astype(np.int64)
        rels = np.concatenate(rel_codes * 2)
        flags = np.concatenate(inferred * 2)
        out = np.arange(len(numbers)) < half  # the first half of the entries are read from their start
    else:
        src, dst, rels = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int8)
        out, flags = np.empty(0, np.bool_), np.empty(0, np.bool_)
    by_pair = np.argsort(src * n + dst, kind="stable")  # each node's neighbours in node (= id) order
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    by_id = order.to_numpy()
    class_codes = np.concatenate(codes)[by_id] if codes else np.empty(0, np.int8)
    stages, stage_codes = _codes_of(pa.concat_arrays(stage).take(order))
    placed_flags = np.concatenate(placed)[by_id] if placed else np.empty(0, np.bool_)
    arrays = (
        class_codes,
        indptr,
        dst[by_pair].astype(np.int32),
        rels[by_pair],
        stage_codes,
        placed_flags,
        out[by_pair],
        flags[by_pair],
    )
    for array in arrays:
        array.flags.writeable = False  # shared by every thread
    name_zh = pa.concat_arrays(zh).take(order)
    return Topology(
        epoch=epoch,
        id_keys=_keys(sorted_ids),
        classes=classes,
        class_codes=arrays[0],
        name_zh=name_zh,
        name_en=pa.concat_arrays(en).take(order),
        name_rank=_ranks(name_zh),
        stages=stages,
        stage_codes=arrays[4],
        placed=arrays[5],
        indptr=arrays[1],
        indices=arrays[2],
        rel_codes=arrays[3],
        outgoing=arrays[6],
        derived=arrays[7],
        rel_types=rel_types,
        build_s=time.perf_counter() - started,
        properties={prop: _kept_column(parts).take(order) for prop, parts in kept.items()},
    )


def _keys(ids: pa.Array) -> npt.NDArray[np.bytes_]:
    """Sorted ids as fixed-width UTF-8 bytes (23 MB for a million ids of 23 characters)."""
    if len(ids) and pc.any(pc.match_substring(ids, "\x00")).as_py():
        raise ClusterKGError("an id holds a NUL character: a snapshot cannot look it up")
    keys: npt.NDArray[np.bytes_] = ids.cast(pa.binary()).to_numpy(zero_copy_only=False).astype(np.bytes_)
    keys.flags.writeable = False  # shared by every thread
    return keys


def _codes_of(values: pa.Array) -> tuple[tuple[str | None, ...], npt.NDArray[np.int16]]:
    """The distinct strings of a column as (None, the sorted values), and each row's code into them (0: null)."""
    distinct = sorted(v for v in pc.unique(values).to_pylist() if v is not None)
    if len(distinct) >= 2**15 - 1:
        raise ClusterKGError(f"{len(distinct)} distinct values of one property: more than a snapshot codes")
    positions = pc.index_in(values, value_set=pa.array(distinct, type=pa.string()))
    codes = pc.fill_null(pc.add(positions, 1), 0).to_numpy(zero_copy_only=False).astype(np.int16)
    return (None, *distinct), codes


def _read_each(store: GraphStore, match: str, columns: dict[str, str], items: dict[str, str] | None = None) -> pa.Table:
    """``MATCH match RETURN expression AS name, …`` as Arrow columns (``columns``: name → expression; ``x`` is the node
    or relationship matched). On Neo4j the rows come CHUNK to a record, as lists (``items``: name → expression over
    ``x`` alone; by default ``columns``): its driver takes about 10 µs of the app's CPU to decode a record, and far
    less for an item of a list (IN_CLUSTER's 2.3 million ties at scale 150: 25 s as rows, 0.4 s as one list). The
    server collects references to what it matched, not their values."""
    if store.backend != "neo4j" or CHUNK is None:
        return store.read_columns(f"MATCH {match} RETURN " + ", ".join(f"{e} AS {c}" for c, e in columns.items()))
    lists = ", ".join(f"[x IN part | {e}] AS {c}" for c, e in (items or columns).items())
    text = f"MATCH {match} WITH collect(x) AS found UNWIND range(0, size(found) - 1, $chunk) AS i "
    table = store.read_columns(f"{text}WITH found[i..i + $chunk] AS part RETURN {lists}", {"chunk": CHUNK})
    if not table.num_rows:
        return pa.table({c: pa.array([]) for c in columns})
    return pa.table({c: pc.list_flatten(table.column(c).combine_chunks()) for c in columns})


def _ranks(names: pa.Array) -> npt.NDArray[np.int32]:
    """Each name's dense rank in code point order (UTF-8 bytes, as Arrow, Python and LadybugDB sort strings), no name
    ranked len + 1: sorting by these ranks sorts by the names (a city's 700,000 key products: 0.05 s, not 0.2)."""
    ranks = pc.rank(names, sort_keys=[("", "ascending", "at_end")], tiebreaker="dense").to_numpy()
    found = np.where(pc.is_null(names).to_numpy(zero_copy_only=False), len(names) + 1, ranks).astype(np.int32)
    found.flags.writeable = False  # shared by every thread
    return found


def _kept_column(parts: list[pa.Array | int]) -> pa.Array:
    """One kept property over every class as one array, from each class's values, or its row count where the class
    lacks the property (nulls). A store may type a column with no value as null, or give large strings; strings
    and lists of them come out as ``string``, strings dictionary-coded."""
    typed = [p.type for p in parts if isinstance(p, pa.Array) and not pa.types.is_null(p.type)]
    kind = _plain(typed[0]) if typed else pa.string()
    column = pa.concat_arrays([_as_kind(part, kind) for part in parts])
    return column.dictionary_encode() if pa.types.is_string(kind) else column


def _as_kind(part: pa.Array | int, kind: pa.DataType) -> pa.Array:
    if isinstance(part, int):
        return pa.nulls(part, kind)
    return pa.nulls(len(part), kind) if pa.types.is_null(part.type) else part.cast(kind)


def _plain(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pa.string()
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.list_(_plain(kind.value_type))
    return pa.int64() if pa.types.is_integer(kind) else kind


def _strings(table: pa.Table, column: str) -> pa.Array:
    """One column as a single string array (a store may give chunks, large strings, or nulls typed as null)."""
    return table.column(column).combine_chunks().cast(pa.string())
