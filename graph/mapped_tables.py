"""Arrow tables read zero-copy from a file mapping, whose read pages can be let go of.

A mapped page, once read, counts as the process's resident memory for as long as the mapping lives, though the
system could drop it and read it again. At scale 150 the ingest's tables waiting in their files (ingest/row_tables.py)
held 1.5 GB resident while the first of them was copied into the store: the diff had read every table's ids, and the
copy each firm's row. ``let_go_of_read_pages`` gives such pages back (``madvise(MADV_DONTNEED)`` on the mapping,
which is read-only and shared, so its data stays in the file and the page cache and is read again when needed).
Only mappings made here are ever given back: on memory the process owns, the same call would erase it.
"""

from __future__ import annotations

import mmap
import threading
import weakref
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc

# start address → (length, the mapping) of every live mapping made by ``mapped_table``
_mappings: dict[int, tuple[int, weakref.ReferenceType[mmap.mmap]]] = {}
_lock = threading.RLock()  # re-entrant: a mapping collected while it is held calls _forget
_DONT_NEED: int | None = getattr(mmap, "MADV_DONTNEED", None)


def mapped_table(file: Path) -> pa.Table:
    """The Arrow IPC file's table, its columns pointing into a read-only mapping of the file (no copy: the system
    loads the pages as they are read). The mapping lives as long as any column of the table does."""
    with open(file, "rb") as handle:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    buffer = pa.py_buffer(mapping)
    start = buffer.address
    with _lock:
        _mappings[start] = (buffer.size, weakref.ref(mapping, lambda ref: _forget(start, ref)))
    return pa.ipc.open_file(buffer).read_all()


def _forget(start: int, ref: weakref.ReferenceType[mmap.mmap]) -> None:
    """Called once a mapping is collected (it may already be unmapped, and its address taken by a new mapping,
    whose entry then stays)."""
    with _lock:
        if start in _mappings and _mappings[start][1] is ref:
            del _mappings[start]


def let_go_of_read_pages(table: pa.Table) -> int:
    """Drops from this process's resident memory the pages of the mappings this table's columns point into (the
    table stays whole: a page read again is loaded again). A column not in such a mapping is left alone. Returns
    how many mappings were given back."""
    if _DONT_NEED is None:  # a system without madvise (Windows): the pages stay until the mapping goes
        return 0
    found: dict[int, mmap.mmap] = {}
    with _lock:
        entries = _mappings.copy()  # one C call: a collection in the loop below may call _forget (same thread)
    spans = [(start, length, ref()) for start, (length, ref) in entries.items()]
    addresses = {b.address for column in table.columns for chunk in column.chunks for b in chunk.buffers() if b}
    for start, length, mapping in spans:
        if mapping is not None and any(start <= address < start + length for address in addresses):
            found[start] = mapping
    for mapping in found.values():
        mapping.madvise(_DONT_NEED)
    return len(found)
