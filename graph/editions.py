"""Editions: named, dated states of the graph's facts, kept in the store itself (either store).

An edition (``2025-Q3``) is a snapshot of every fact node and relationship — their properties without the
bookkeeping (``claims_json``, ``record_hash``, ``ingest_run``) — as sorted JSON lines (graph/edition_lines.py),
one zlib stream cut into parts of PART_BYTES. Creating, diffing and restoring an edition all stream: the lines
are sorted externally and compressed into parts as they come, and read back a part at a time, so memory does
not grow with the graph (the format is the one editions always had; older editions read the same way).
Each part is an ``Edition`` node (``edition/<name>/part/00000``), and a header node
(``edition/<name>``, ``edition_part = -1``) written last says the edition is complete: a run killed half-way
leaves parts without a header, which ``list_editions`` does not show and the next ``create`` replaces.

Why in the store and not in files beside it: the graph may live on a shared Neo4j that several machines
use; an edition kept there is seen by all of them, and goes wherever the database's backups go. Editions are
bookkeeping like ``IngestRun``: no digest, no RDF and no ingest reads them.

Reading the graph "as of" an edition restores its snapshot into a temporary embedded store (cached by the
snapshot's digest), where the same named queries run unchanged.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import logging
import os
import re
import shutil
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph import aggregates
from graph.edition_lines import parse, sorted_lines, split_text, store_lines
from graph.errors import ClusterKGError, StoreError
from graph.store import STORE_ZH, GraphStore

log = logging.getLogger(__name__)

LABEL = "Edition"
PART_BYTES = 2 * 1024 * 1024  # compressed bytes per part (≈ 2.7 MB of base64 text per node)
INFLATE_BYTES = 1024 * 1024  # uncompressed bytes read back at a time
CURRENT = "current"  # not an edition: the graph as it is now
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

NodeKey = tuple[str, str]  # label, id
RelKey = tuple[str, str, str, str, str]  # type, from label, from id, to label, to id


class EditionError(ClusterKGError):
    """An edition that does not exist, a name that is not allowed, or a snapshot that does not check out."""


@dataclass
class Snapshot:
    """The facts of a graph: nodes by (label, id) and relationships by their ends, with their properties."""

    nodes: dict[NodeKey, dict[str, Any]] = field(default_factory=dict)
    rels: dict[RelKey, dict[str, Any]] = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        nodes: dict[str, int] = defaultdict(int)
        rels: dict[str, int] = defaultdict(int)
        for label, _ in self.nodes:
            nodes[label] += 1
        for key in self.rels:
            rels[key[0]] += 1
        return {"nodes": dict(sorted(nodes.items())), "relationships": dict(sorted(rels.items()))}


@dataclass(frozen=True)
class EditionInfo:
    name: str
    created_at: str
    parts: int
    size_bytes: int  # compressed
    digest: str  # SHA-256 of the uncompressed snapshot
    summary: dict[str, Any]

    @property
    def nodes(self) -> int:
        return int(sum(self.summary.get("counts", {}).get("nodes", {}).values()))

    @property
    def relationships(self) -> int:
        return int(sum(self.summary.get("counts", {}).get("relationships", {}).values()))


def check_name(name: str) -> str:
    if name == CURRENT or not _NAME.match(name):
        raise EditionError(
            f"版本名 {name!r} 不可用：只能用字母、数字、'.'、'_' 和 '-'，至多 64 个字符（如 2025-Q3），且不能是 "
            f"{CURRENT!r} / edition name {name!r} is not allowed: letters, digits, '.', '_' and '-', up to 64 "
            f"characters (e.g. 2025-Q3), and not {CURRENT!r}"
        )
    return name


# ---------------------------------------------------------------- snapshot ⇄ lines
def take_snapshot(store: GraphStore) -> Snapshot:
    """Every fact node and relationship of the store in memory (for small graphs and tests; editions stream)."""
    return snapshot_of(store_lines(store))


def snapshot_of(lines: Iterable[str]) -> Snapshot:
    snap = Snapshot()
    for line in lines:
        key, props = parse(line)
        if key[0] == "N":
            snap.nodes[(key[1], key[2])] = props
        else:
            snap.rels[(key[1], key[2], key[3], key[4], key[5])] = props
    return snap


# ---------------------------------------------------------------- editions in the store
def _header_id(name: str) -> str:
    return f"edition/{name}"


def _part_ids(name: str, parts: int) -> list[str]:
    return [f"edition/{name}/part/{i:05d}" for i in range(parts)]


def _info(row: dict[str, Any]) -> EditionInfo:
    return EditionInfo(
        name=str(row["name"]),
        created_at=str(row["created_at"] or ""),
        parts=int(row["parts"] or 0),
        size_bytes=int(row["size"] or 0),
        digest=str(row["digest"] or ""),
        summary=json.loads(row["summary"] or "{}"),
    )


def list_editions(store: GraphStore) -> list[EditionInfo]:
    """Complete editions, oldest first (a store made before editions existed has none)."""
    if LABEL not in {c.name for c in store.schema.node_classes}:
        return []
    try:
        rows = store.read_all(
            "MATCH (e:Edition) WHERE e.edition_part = -1 RETURN e.edition_name AS name, e.created_at AS created_at, "
            "e.edition_parts AS parts, e.snapshot_bytes AS size, e.snapshot_digest AS digest, "
            "e.summary_json AS summary ORDER BY created_at, name"
        ).rows
    except StoreError as exc:  # an embedded store written before the Edition table existed
        log.info("no editions readable: %s", exc)
        return []
    return [_info(r) for r in rows]


def get_edition(store: GraphStore, name: str) -> EditionInfo:
    for info in list_editions(store):
        if info.name == name:
            return info
    names = [i.name for i in list_editions(store)]
    known_zh = "、".join(names) or "尚无（`ckg edition create NAME`）"
    known_en = ", ".join(names) or "none yet (`ckg edition create NAME`)"
    raise EditionError(
        f"{STORE_ZH.get(store.backend, store.backend)}中没有版本 {name!r}；已有版本：{known_zh} / "
        f"no edition {name!r} in the {store.backend} store; editions: {known_en}"
    )


def delete_edition(store: GraphStore, name: str) -> bool:
    """Remove an edition and every part of it (also the parts of a create that did not finish)."""
    rows = store.read_all("MATCH (e:Edition) WHERE e.edition_name = $name RETURN e.id AS id", {"name": name}).rows
    if rows:
        store.delete_nodes(LABEL, [str(r["id"]) for r in rows])
    return bool(rows)


def create_edition(
    store: GraphStore, name: str, *, note: str = "", replace: bool = False, now: datetime | None = None
) -> EditionInfo:
    """Snapshot the store's facts as edition ``name``. An existing edition of that name is an error unless
    ``replace``; parts of an unfinished create are always replaced."""
    check_name(name)
    try:
        store.read("MATCH (e:Edition) RETURN count(e) AS n")
    except StoreError:  # an embedded store older than the Edition class: give it its table
        store.setup_schema()
    if any(i.name == name for i in list_editions(store)) and not replace:
        raise EditionError(
            f"版本 {name!r} 已存在（用 --replace 替换） / edition {name!r} exists already (replace it with --replace)"
        )
    delete_edition(store, name)
    with sorted_lines(store_lines(store)) as lines:
        written = _write_parts(store, name, lines)
    runs = store.read(
        "MATCH (r:IngestRun) WHERE r.ended_at IS NOT NULL RETURN r.id AS id ORDER BY r.ended_at DESC LIMIT 1"
    ).rows
    summary = {"counts": written.counts(), "last_ingest_run": runs[0]["id"] if runs else None, "note": note}
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    header = {
        "id": _header_id(name),
        "edition_name": name,
        "edition_part": -1,
        "edition_parts": written.parts,
        "created_at": created,
        "snapshot_bytes": written.size,
        "snapshot_digest": written.digest,
        "summary_json": json.dumps(summary, ensure_ascii=False, sort_keys=True),
    }
    store.upsert_nodes(LABEL, [header])  # written last: the edition exists once this does
    log.info("edition %s: %d parts, %d bytes, digest %s", name, written.parts, written.size, written.digest[:12])
    return get_edition(store, name)


def load_snapshot(store: GraphStore, name: str) -> Snapshot:
    """The facts of edition ``name`` (or of the store now, for ``current``) in memory: for small graphs;
    ``edition_lines`` streams them."""
    with edition_lines(store, name) as lines:
        return snapshot_of(lines)


@contextmanager
def edition_lines(store: GraphStore, name: str) -> Iterator[Iterator[str]]:
    """The sorted lines of edition ``name`` (or of the store now, for ``current``), streamed: a part at a time
    from the store, or through an external sort of the store's facts. The digest is checked at the end."""
    if name == CURRENT:
        with sorted_lines(store_lines(store)) as lines:
            yield lines
        return
    yield _read_parts(store, get_edition(store, name))


def _read_parts(store: GraphStore, info: EditionInfo) -> Iterator[str]:
    inflate = zlib.decompressobj()
    digest = hashlib.sha256()

    def pieces() -> Iterator[str]:
        text = codecs.getincrementaldecoder("utf-8")()
        for part_id in _part_ids(info.name, info.parts):
            rows = store.read("MATCH (e:Edition) WHERE e.id = $id RETURN e.snapshot_data AS data", {"id": part_id})
            if not rows.rows:
                raise EditionError(
                    f"版本 {info.name!r}：存储中缺少分块 {part_id} / edition {info.name!r}: part {part_id} is missing "
                    "from the store"
                )
            try:
                data = base64.b64decode(str(rows.rows[0]["data"]))
                while data:  # a megabyte of text at a time: a part inflates ten-fold
                    raw = inflate.decompress(data, INFLATE_BYTES)
                    data = inflate.unconsumed_tail
                    digest.update(raw)
                    yield text.decode(raw)
            except (zlib.error, ValueError) as exc:
                raise EditionError(
                    f"版本 {info.name!r}：分块 {part_id} 已损坏 / "
                    f"edition {info.name!r}: part {part_id} is damaged ({exc})"
                ) from exc
        raw = inflate.flush()
        digest.update(raw)
        yield text.decode(raw, final=True)
        if info.digest and digest.hexdigest() != info.digest:
            raise EditionError(
                "版本快照与其摘要不符：有分块缺失或损坏 / "
                "the edition's snapshot does not match its digest: a part is missing or damaged"
            )

    return split_text(pieces())


@dataclass
class _Written:
    parts: int = 0
    size: int = 0
    digest: str = ""
    nodes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rels: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def counts(self) -> dict[str, dict[str, int]]:
        return {"nodes": dict(sorted(self.nodes.items())), "relationships": dict(sorted(self.rels.items()))}


def _write_parts(store: GraphStore, name: str, lines: Iterable[str]) -> _Written:
    """Compress the lines as one zlib stream and store it in parts of PART_BYTES as it comes (the format of
    every edition so far: a reader joins the parts and inflates them in order)."""
    written = _Written()
    deflate = zlib.compressobj(6)
    digest = hashlib.sha256()
    pending = bytearray()

    def flush_parts(final: bool) -> None:
        while len(pending) >= PART_BYTES or (final and (pending or written.parts == 0)):
            chunk = bytes(pending[:PART_BYTES])
            del pending[:PART_BYTES]
            row = {"id": _part_ids(name, written.parts + 1)[-1], "edition_name": name,
                   "edition_part": written.parts, "snapshot_data": base64.b64encode(chunk).decode("ascii")}  # fmt: skip
            store.upsert_nodes(LABEL, [row])
            written.parts += 1
            written.size += len(chunk)

    batch: list[str] = []
    for line in lines:
        _count(written, line)
        batch.append(line)
        if len(batch) >= 4096:
            _feed(batch, deflate, digest, pending)
            batch = []
            flush_parts(final=False)
    _feed(batch, deflate, digest, pending)
    pending += deflate.flush()
    flush_parts(final=True)
    written.digest = digest.hexdigest()
    return written


def _feed(batch: list[str], deflate: Any, digest: Any, pending: bytearray) -> None:
    if batch:
        raw = ("\n".join(batch) + "\n").encode("utf-8")
        digest.update(raw)
        pending += deflate.compress(raw)


def _count(written: _Written, line: str) -> None:
    # '["N","Label",…' / '["R","TYPE",…': the second field is a plain name (an ontology identifier)
    end = line.index('"', 6)
    (written.nodes if line[2] == "N" else written.rels)[line[6:end]] += 1


# ---------------------------------------------------------------- reading as of an edition
def restore(lines: Iterable[str], target: GraphStore, batch: int = 50_000) -> None:
    """Write an edition's facts (its lines) into an empty store (its schema set up), a batch at a time."""
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rels: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        key, props = parse(line)
        if key[0] == "N":
            rows = nodes[key[1]]
            rows.append({"id": key[2], **props})
            if len(rows) >= batch:
                target.upsert_nodes(key[1], rows)
                rows.clear()
            continue
        if nodes:  # every node line sorts before every relationship line: write the rest before any tie
            _flush_nodes(nodes, target)
        group = rels[(key[1], key[2], key[4])]
        group.append({"from_id": key[3], "to_id": key[5], **props})
        if len(group) >= batch:
            target.upsert_relationships(key[1], key[2], key[4], group)
            group.clear()
    _flush_nodes(nodes, target)
    for (rel, from_label, to_label), group in rels.items():
        if group:
            target.upsert_relationships(rel, from_label, to_label, group)
    aggregates.refresh(target)  # the counts the whole-graph queries read (bookkeeping, not in the lines)


def _flush_nodes(nodes: dict[str, list[dict[str, Any]]], target: GraphStore) -> None:
    for label, rows in nodes.items():
        if rows:
            target.upsert_nodes(label, rows)
    nodes.clear()


def cache_dir() -> Path:
    base = os.environ.get("CLUSTERKG_EDITION_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "clusterkg", "editions"
    )
    return Path(base)


@contextmanager
def edition_store(store: GraphStore, name: str, *, cache: Path | None = None) -> Iterator[GraphStore]:
    """A read-only embedded store holding edition ``name``'s facts, for the named queries to run on.

    Restored once per snapshot digest into the cache folder; later readers open the cached copy."""
    from graph.embedded_store import EmbeddedStore

    info = get_edition(store, name)
    folder = cache or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{info.digest[:24]}.lbdb"
    if not path.exists():
        building = folder / f"{info.digest[:24]}.{os.getpid()}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        target = EmbeddedStore(building / "graph.lbdb", store.schema, buffer_pool_mb=4096)
        try:
            target.setup_schema()
            with edition_lines(store, name) as lines:
                restore(lines, target)
        finally:
            target.close()
        os.replace(building / "graph.lbdb", path)  # only a complete copy gets the final name
        shutil.rmtree(building, ignore_errors=True)
    reader = EmbeddedStore(path, store.schema, read_only=True, buffer_pool_mb=1024, read_limits=store.read_limits)
    try:
        yield reader
    finally:
        reader.close()
