"""An edition's facts as one stream of sorted JSON lines, made and read without holding the graph in memory.

A line is ``["N", label, id, {props}]`` or ``["R", type, from label, from id, to label, to id, {props}]``
(compact JSON, keys sorted, non-ASCII kept). Lines are sorted as strings. The key part of a line (everything
before its properties) is a sequence of JSON strings, which are prefix-free, so two lines with different keys
sort exactly as their keys do: a merge of two such streams can compare lines without parsing them.

Sorting is an external sort: lines are made label by label from the store's streaming iterators, sorted in
chunks of ``CHUNK_LINES``, spilled to temporary files and merged (``heapq.merge``), so memory holds one
chunk whatever the size of the graph.
"""

from __future__ import annotations

import heapq
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from graph.json_text import compact, loads
from graph.store import GraphStore

log = logging.getLogger(__name__)

BOOKKEEPING = frozenset({"IngestRun", "Edition", "Tally"})
SKIP_NODE_PROPS = frozenset({"claims_json", "record_hash", "ingest_run"})
SKIP_REL_PROPS = frozenset({"ingest_run"})
CHUNK_LINES = 250_000  # lines sorted in memory at a time (≈ 60 MB of text at the synthetic graphs' line length)

# A JSON string as json.dumps writes it (an escaped quote never ends it).
_JSON_STR = r'"(?:[^"\\]|\\.)*"'
_NODE_HEAD = re.compile(rf"\[\"N\",{_JSON_STR},({_JSON_STR}),")
_REL_HEAD = re.compile(rf"\[\"R\",({_JSON_STR}),{_JSON_STR},({_JSON_STR}),")


def dump(value: Any) -> str:
    return compact(value)


def node_line(label: str, node: dict[str, Any]) -> str:
    props = {k: v for k, v in node.items() if k not in SKIP_NODE_PROPS and k != "id" and v is not None}
    return dump(["N", label, str(node["id"]), props])


def rel_line(rel_type: str, edge: dict[str, Any]) -> str:
    ends = (edge["from_label"], str(edge["from_id"]), edge["to_label"], str(edge["to_id"]))
    skip = SKIP_REL_PROPS | {"from_label", "from_id", "to_label", "to_id"}
    props = {k: v for k, v in edge.items() if k not in skip and v is not None}
    return dump(["R", rel_type, *ends, props])


def store_lines(store: GraphStore) -> Iterator[str]:
    """Every fact node and relationship of the store as a line, in the store's order (not sorted)."""
    for cls in store.schema.node_classes:
        if cls.name in BOOKKEEPING:
            continue
        for node in store.iter_nodes(cls.name):
            yield node_line(cls.name, node)
    for rel in store.schema.relationships.values():
        for edge in store.iter_relationships(rel.name):
            yield rel_line(rel.name, edge)


@contextmanager
def sorted_lines(lines: Iterable[str], chunk_lines: int | None = None) -> Iterator[Iterator[str]]:
    """The lines sorted (and exact repeats dropped), by an external sort whose spill files live as long as
    the block."""
    size = chunk_lines or CHUNK_LINES
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ckg-edition-sort-")))
        spills: list[Path] = []
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= size:
                spills.append(_spill(sorted(chunk), folder / f"{len(spills):05d}.txt"))
                chunk = []
        chunk.sort()
        if not spills:
            yield _unique(iter(chunk))
            return
        spills.append(_spill(chunk, folder / f"{len(spills):05d}.txt"))
        del chunk
        log.info("edition sort: %d chunks of up to %d lines", len(spills), size)
        files = [stack.enter_context(path.open(encoding="utf-8", newline="\n")) for path in spills]
        yield _unique(heapq.merge(*(_stripped(f) for f in files)))


def _spill(chunk: list[str], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(line + "\n" for line in chunk)
    return path


def _stripped(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        yield line[:-1] if line.endswith("\n") else line


def _unique(lines: Iterator[str]) -> Iterator[str]:
    previous = None
    for line in lines:
        if line != previous:
            yield line
        previous = line


def split_text(chunks: Iterable[str]) -> Iterator[str]:
    """Lines of a text given in pieces, split on newline only (a name may hold U+2028, which splitlines
    would cut)."""
    rest = ""
    for piece in chunks:
        if not piece:
            continue
        parts = (rest + piece).split("\n")
        rest = parts.pop()
        yield from (p for p in parts if p)
    if rest:
        yield rest


def parse(line: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """A line's key (its tag "N"/"R" first) and its properties."""
    item = loads(line)
    return tuple(item[:-1]), item[-1]


def node_id_of(line: str) -> str | None:
    """The JSON-encoded id of a node line (as ``dump`` writes it), without parsing the line; else None."""
    found = _NODE_HEAD.match(line)
    return found.group(1) if found else None


def rel_from_of(line: str) -> tuple[str, str] | None:
    """The JSON-encoded type and from id of a relationship line, without parsing the line; else None."""
    found = _REL_HEAD.match(line)
    return (found.group(1), found.group(2)) if found else None
