"""An in-memory snapshot of a store's topology, for paths, neighbourhoods, listings and reports at in-memory speed.

A ``Topology`` holds every node (id, class, name_zh, name_en, chain stage, whether it has coordinates, and the few
properties in ``KEPT_PROPERTIES``) and the undirected adjacency with relationship types and directions as a CSR
(numpy int32 arrays). The stage and the coordinates flag are what listings filter and sort on
(queries/topology_lists.py). Nodes are numbered in the order of their ids, so sorting numbers sorts ids. Ids are one
numpy array of fixed-width UTF-8 bytes (searched in C by ``index``), names pyarrow arrays (one buffer each): no
Python object per string. At a million nodes and 3.5 million relationships the snapshot holds roughly 240 MB
(``approx_bytes``; 40 MB of it the kept properties).

One snapshot per store per process (``current``), keyed by the store's tally epoch (graph/aggregates.py), which
every ClusterKG write changes:

- only a store someone ``warm``ed gets snapshots (the app's; a command that reads once and exits does not);
- a caller never waits for a build: the first request starts one in a background thread and gets None (it runs
  its Cypher instead), as does every request until the build is done;
- the epoch is re-read at most once per ``FRESH_S`` second per store: an answer is never older than that. When the
  epoch changed the old snapshot is dropped at once (callers get None, not an older graph) and a new one is built;
- a store without an epoch (never written by ClusterKG: nothing would say when it changed) gets no snapshot;
- above ``max_elements`` nodes + relationships the build is refused (logged once), so memory stays bounded.
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from graph.aggregates import read_epoch
from graph.errors import ClusterKGError
from graph.store import GraphStore

log = logging.getLogger(__name__)

FRESH_S = 1.0  # the staleness bound: the epoch is re-read at most this often
RETRY_S = 30.0  # after a failed build, wait this long before another (unless the epoch changes)
MAX_ELEMENTS = int(os.environ.get("CLUSTERKG_TOPOLOGY_MAX_ELEMENTS", "20000000"))  # nodes + relationships
# up to this many nodes ``rows`` reads them one by one (scale 15: 16 nodes 17 µs, 32 nodes 37 µs; Arrow's take 22, 28)
FEW_ROWS = 24
EPOCH_TRIES = 3  # builds in a row that may see a write land under them before giving up until the next request
CHUNK: int | None = 50_000  # rows to a record on Neo4j (``_read_each``; None: a record per row)
# a relationship's ends and flag as ``_read_each`` reads them on Neo4j, over the relationship alone
TIE_ITEMS = {"a": "startNode(x).id", "b": "endNode(x).id", "derived": "coalesce(x.derived, false)"}

# Node properties kept beside the names, so that a yearly report reads them without the store: where each entity
# comes from (the sources a report lists), an enterprise's columns in a city's key-product list, a lab's research
# field (its key technology) and level (queries/topology_scope.py; read by id from the store, the firms' columns took
# 1.3 s of a big city's 2.7 s report at scale 150). Few distinct values each: kept dictionary-coded.
KEPT_PROPERTIES = (
    *("source_file", "source_row", "source_url", "confidence"),
    *("listed_industry", "roles", "stock_code", "field", "level"),
)

Ints = npt.NDArray[np.int32]


class TopologyTooLargeError(ClusterKGError):
    """The graph has more nodes and relationships than a snapshot may hold."""


@dataclass(frozen=True, eq=False)
class Topology:
    epoch: str
    id_keys: npt.NDArray[np.bytes_]  # the ids as UTF-8 bytes, sorted (node number = position): ``index``, ``ids``
    classes: tuple[str, ...]  # class names; class_codes index them
    class_codes: npt.NDArray[np.int8]
    name_zh: pa.StringArray
    name_en: pa.StringArray
    name_rank: npt.NDArray[np.int32]  # name_zh's place among the sorted names (equal names equal; no name: n + 1)
    stages: tuple[str | None, ...]  # chain stages (None first: no stage); stage_codes index them
    stage_codes: npt.NDArray[np.int16]
    placed: npt.NDArray[np.bool_]  # whether the node has both a latitude and a longitude
    indptr: npt.NDArray[np.int64]  # node n's neighbours are indices[indptr[n]:indptr[n + 1]], in node order
    indices: Ints
    rel_codes: npt.NDArray[np.int8]  # beside indices; rel_types (sorted) index them, so min code = min type
    outgoing: npt.NDArray[np.bool_]  # beside indices: whether the entry's relationship starts at the row's node
    derived: npt.NDArray[np.bool_]  # beside indices: whether the entry's relationship is inferred (``derived``)
    rel_types: tuple[str, ...]
    build_s: float
    properties: dict[str, pa.Array]  # KEPT_PROPERTIES, each in node order (null where the node has none): ``values``

    @property
    def node_count(self) -> int:
        return len(self.id_keys)

    @property
    def approx_bytes(self) -> int:
        arrays = (
            self.id_keys,
            self.class_codes,
            self.name_rank,
            self.stage_codes,
            self.placed,
            self.indptr,
            self.indices,
            self.rel_codes,
            self.outgoing,
            self.derived,
        )
        strings = (self.name_zh, self.name_en, *self.properties.values())
        return int(sum(a.nbytes for a in arrays) + sum(a.nbytes for a in strings))

    def values(self, prop: str, nodes: Ints) -> pa.Array:
        """One of KEPT_PROPERTIES for these nodes, in their order (null where a node has none)."""
        taken = self.properties[prop].take(pa.array(nodes, type=pa.int32()))
        return taken.dictionary_decode() if pa.types.is_dictionary(taken.type) else taken

    def ids(self, nodes: Ints | list[int]) -> list[str]:
        """These nodes' ids (numpy's fixed-width bytes drop only trailing NULs, and no id holds one)."""
        return [key.decode() for key in self.id_keys[nodes].tolist()]

    def index(self, node_id: str) -> int | None:
        """A node's number, or None when the store has no such id: a binary search of the sorted ids' UTF-8 bytes
        (Arrow sorts strings by them; numpy compares them bytewise, and no id holds a NUL byte, which its
        fixed-width strings would drop). 2 µs at a million ids; an Arrow scalar per step took 17 µs."""
        key = node_id.encode()
        position = int(np.searchsorted(self.id_keys, key))
        return position if position < len(self.id_keys) and self.id_keys[position] == key else None

    def hub_mask(self, stops: Iterable[str]) -> npt.NDArray[np.bool_]:
        """Per class code, whether the class is one of ``stops`` (classes the snapshot lacks are ignored)."""
        wanted = set(stops)
        return np.array([c in wanted for c in self.classes], dtype=np.bool_)

    def neighbours(self, nodes: Ints) -> tuple[Ints, Ints]:
        """Every (node, neighbour) entry of these nodes: the sources repeated, and the neighbours."""
        sources, positions = self._entries(nodes)
        return sources, self.indices[positions]

    def typed_neighbours(self, nodes: Ints) -> tuple[Ints, Ints, npt.NDArray[np.int8]]:
        """As ``neighbours``, with each entry's relationship type code (parallel relationships: one entry each)."""
        sources, positions = self._entries(nodes)
        return sources, self.indices[positions], self.rel_codes[positions]

    def _entries(self, nodes: Ints) -> tuple[Ints, npt.NDArray[np.int64]]:
        counts, positions = self._positions(nodes)
        return np.repeat(nodes, counts).astype(np.int32, copy=False), positions

    def entry_positions(self, nodes: Ints) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Every adjacency entry of these nodes: the place in ``nodes`` of the node it belongs to, and its position
        in ``indices`` (and ``rel_codes``, ``outgoing``)."""
        counts, positions = self._positions(nodes)
        return np.repeat(np.arange(len(nodes)), counts), positions

    def _positions(self, nodes: Ints) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Each node's number of entries, and the positions of all their entries (node by node) in one vector."""
        starts, ends = self.indptr[nodes], self.indptr[nodes + 1]
        counts = ends - starts
        total = int(counts.sum())
        if total == 0:
            return counts, np.empty(0, dtype=np.int64)
        # positions starts[i] .. ends[i] - 1 for each i
        return counts, np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)

    def adjacent_to(self, nodes: Ints, node: int) -> npt.NDArray[np.bool_]:
        """Whether each of ``nodes`` is next to ``node`` (a binary search of its row: a hub's has thousands)."""
        row = self.indices[self.indptr[node] : self.indptr[node + 1]]
        at = np.minimum(np.searchsorted(row, nodes), max(len(row) - 1, 0))
        return (row[at] == nodes) if len(row) else np.zeros(len(nodes), dtype=np.bool_)

    def degree_total(self, nodes: Ints) -> int:
        """The adjacency entries of these nodes: the work of expanding them."""
        return int((self.indptr[nodes + 1] - self.indptr[nodes]).sum())

    def neighbour_set(self, nodes: Ints) -> set[int]:
        """These nodes' neighbours as a Python set (for a few: numpy's set operations cost more)."""
        if len(nodes) == 1:
            node = int(nodes[0])
            return set(self.indices[self.indptr[node] : self.indptr[node + 1]].tolist())
        return set(self.neighbours(nodes)[1].tolist())

    def rel_type(self, a: int, b: int) -> str:
        """The least relationship type between two adjacent nodes (parallel relationships: one is named)."""
        return self.rel_types[self.one.rel_code(a, b)]

    def rows(self, nodes: Ints | list[int]) -> tuple[list[str], list[str], list[str | None], list[str | None]]:
        """Ids, classes, Chinese and English names of these nodes, as Python values."""
        if len(nodes) <= FEW_ROWS:  # an Arrow take costs about 15 µs whatever its size; a node read here about 1 µs
            one = self.one
            numbers = nodes if isinstance(nodes, list) else nodes.tolist()
            return (
                [self.id_keys[n].decode() for n in numbers],
                [self.classes[one.codes[n]] for n in numbers],
                one.name_zh.many(numbers),
                one.name_en.many(numbers),
            )
        classes = [self.classes[c] for c in self.class_codes[nodes].tolist()]
        taken = pa.array(nodes, type=pa.int32())
        return self.ids(nodes), classes, self.name_zh.take(taken).to_pylist(), self.name_en.take(taken).to_pylist()

    @cached_property
    def one(self) -> NodeReads:
        """Reads of one node at a time as Python values (the small walks of queries/topology_route.py)."""
        return NodeReads(self)


class NodeReads:
    """One node's class code, adjacency and names as Python ints and strings, straight from the snapshot's buffers.
    A numpy or Arrow call costs a microsecond or more whatever its size; a walk through a firm's handful of ties
    is a few dozen reads, each a tenth of that here (memoryviews share the arrays: no copy but the class codes')."""

    def __init__(self, topo: Topology) -> None:
        self.codes = topo.class_codes.tobytes()  # codes[n]: node n's class code (an int)
        self.indptr = topo.indptr.data  # ndarray.data: a memoryview
        self.indices = topo.indices.data
        self.rel_codes = topo.rel_codes.data
        self.name_zh = StringReads(topo.name_zh)
        self.name_en = StringReads(topo.name_en)

    def adjacent(self, node: int) -> list[int]:
        """The node's neighbours, in node order (parallel relationships: once each)."""
        return self.indices[self.indptr[node] : self.indptr[node + 1]].tolist()

    def degree(self, node: int) -> int:
        """The node's adjacency entries: the work of expanding it."""
        return int(self.indptr[node + 1] - self.indptr[node])

    def rel_code(self, a: int, b: int) -> int:
        """The least relationship type code between two adjacent nodes: ``b``'s entries in ``a``'s row (sorted,
        so side by side, one per relationship) found by a binary search."""
        indices = self.indices
        first = bisect.bisect_left(indices, b, self.indptr[a], self.indptr[a + 1])
        last = bisect.bisect_right(indices, b, first, self.indptr[a + 1])
        return min(self.rel_codes[first:last].tolist())


class StringReads:
    """Strings of an Arrow string array read from its buffers, one at a time (an Arrow scalar costs 1 µs)."""

    def __init__(self, array: pa.StringArray) -> None:
        if not isinstance(array, pa.StringArray):  # a large_string array's offsets are 64-bit: read as 32, wrong
            raise TypeError(f"StringReads reads a pyarrow string array, not {type(array).__name__}")
        validity, offsets, data = array.buffers()
        self.base = array.offset
        self.offsets = memoryview(offsets).cast("i") if offsets is not None else memoryview(b"").cast("i")
        self.data = memoryview(data) if data is not None else memoryview(b"")
        self.validity = bytes(memoryview(validity)) if validity is not None and array.null_count else None

    def many(self, numbers: list[int]) -> list[str | None]:
        """The strings at these positions (None where null)."""
        data, offsets, validity, base = self.data, self.offsets, self.validity, self.base
        if validity is None and not base:
            return [str(data[offsets[n] : offsets[n + 1]], "utf-8") for n in numbers]
        return [
            None
            if validity is not None and not validity[(n + base) >> 3] >> ((n + base) & 7) & 1
            else str(data[offsets[n + base] : offsets[n + base + 1]], "utf-8")
            for n in numbers
        ]


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


class _Holder:
    """One store's snapshot, the epoch last read and the build under way."""

    def __init__(self, max_elements: int) -> None:
        self.lock = threading.Lock()
        self.max_elements = max_elements
        self.snapshot: Topology | None = None
        self.epoch: str | None = None
        self.checked = -float("inf")  # monotonic time of the last epoch read
        self.building: threading.Thread | None = None
        self.refused = False  # too large: never built
        self.failed: tuple[str | None, float] | None = None  # (epoch, when) of the last failed build
        self.wanted = False  # warm() asked for snapshots: only then are builds started (the app, benches, tests)


_holders: weakref.WeakKeyDictionary[GraphStore, _Holder] = weakref.WeakKeyDictionary()
_holders_lock = threading.Lock()


def _holder(store: GraphStore, max_elements: int | None = None) -> _Holder:
    with _holders_lock:
        holder = _holders.get(store)
        if holder is None:
            holder = _holders[store] = _Holder(MAX_ELEMENTS if max_elements is None else max_elements)
        elif max_elements is not None:
            holder.max_elements = max_elements
        return holder


def current(store: GraphStore) -> Topology | None:
    """The store's snapshot if it is ready and of the current epoch (read at most FRESH_S ago); else None, after
    starting a build where one is due. Never waits for a build."""
    holder = _holder(store)
    if time.monotonic() - holder.checked >= FRESH_S:
        with holder.lock:
            if time.monotonic() - holder.checked >= FRESH_S:
                try:
                    holder.epoch = read_epoch(store)
                except ClusterKGError:
                    return None  # the caller's own read reports what is wrong
                holder.checked = time.monotonic()
                if holder.snapshot is not None and holder.snapshot.epoch != holder.epoch:
                    holder.snapshot = None  # a changed graph: never answer from the old one
    snapshot = holder.snapshot
    if snapshot is not None and snapshot.epoch == holder.epoch:
        return snapshot
    _start(store, holder)
    return None


def warm(store: GraphStore, *, max_elements: int | None = None) -> None:
    """Keep a snapshot of this store from now on (the app, when it opens its store), bounded by ``max_elements``;
    the first build starts now. A store never warmed gets none: a command that reads once and exits answers with
    Cypher and starts no whole-graph read behind it."""
    _holder(store, max_elements).wanted = True
    current(store)


def kept(store: GraphStore) -> bool:
    """Whether snapshots of this store are kept (it was ``warm``ed)."""
    return _holder(store).wanted


def ready(store: GraphStore, timeout_s: float) -> Topology | None:
    """Wait up to ``timeout_s`` for the store's snapshot, warming it first (tests and benchmarks; never a page)."""
    _holder(store).wanted = True
    deadline = time.monotonic() + timeout_s
    while True:
        snapshot = current(store)
        if snapshot is not None or time.monotonic() >= deadline:
            return snapshot
        holder = _holder(store)
        thread = holder.building
        if thread is not None:
            thread.join(max(0.0, min(deadline - time.monotonic(), FRESH_S)))
        elif holder.refused or holder.epoch is None:
            return None
        else:
            time.sleep(0.01)


def _start(store: GraphStore, holder: _Holder) -> None:
    with holder.lock:
        if not holder.wanted or holder.building is not None or holder.refused or holder.epoch is None:
            return
        if holder.failed and holder.failed[0] == holder.epoch and time.monotonic() - holder.failed[1] < RETRY_S:
            return
        thread = threading.Thread(target=_build_into, args=(store, holder), name="ckg-topology", daemon=True)
        holder.building = thread
    thread.start()


def _build_into(store: GraphStore, holder: _Holder) -> None:
    try:
        snapshot = build(store, holder.max_elements)
    except TopologyTooLargeError as exc:
        log.warning("no topology snapshot for %s (paths run as Cypher): %s", store.backend, exc)
        with holder.lock:
            holder.refused = True
    except Exception as exc:  # a build is an optimisation: any failure leaves the Cypher answering
        log.warning("topology build failed for %s (paths run as Cypher): %s", store.backend, exc)
        with holder.lock:
            holder.failed = (holder.epoch, time.monotonic())
    else:
        with holder.lock:
            holder.snapshot = snapshot
    finally:
        with holder.lock:
            holder.building = None
