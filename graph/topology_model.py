"""The in-memory topology snapshot's data (graph/topology.py keeps one per store; graph/topology_read.py reads it).

A ``Topology`` holds every node (id, class, name_zh, name_en, chain stage, whether it has coordinates, and the few
properties in ``KEPT_PROPERTIES``) and the undirected adjacency with relationship types and directions as a CSR
(numpy int32 arrays). The stage and the coordinates flag are what listings filter and sort on
(queries/topology_lists.py). Nodes are numbered in the order of their ids, so sorting numbers sorts ids. Ids are one
numpy array of fixed-width UTF-8 bytes (searched in C by ``index``), names pyarrow arrays (one buffer each): no
Python object per string. At a million nodes and 3.5 million relationships the snapshot holds roughly 240 MB
(``approx_bytes``; 40 MB of it the kept properties).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pyarrow as pa

# up to this many nodes ``rows`` reads them one by one (scale 15: 16 nodes 17 µs, 32 nodes 37 µs; Arrow's take 22, 28)
FEW_ROWS = 24

# Node properties kept beside the names, so that a yearly report reads them without the store: where each entity
# comes from (the sources a report lists), an enterprise's columns in a city's key-product list, a lab's research
# field (its key technology) and level (queries/topology_scope.py; read by id from the store, the firms' columns took
# 1.3 s of a big city's 2.7 s report at scale 150). Few distinct values each: kept dictionary-coded.
KEPT_PROPERTIES = (
    *("source_file", "source_row", "source_url", "confidence"),
    *("listed_industry", "roles", "stock_code", "field", "level"),
)

Ints = npt.NDArray[np.int32]


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
