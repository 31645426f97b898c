"""Editions: named, dated states of the graph's facts, kept in the store itself (either store).

An edition (``2025-Q3``) is a snapshot of every fact node and relationship — their properties without the
bookkeeping (``claims_json``, ``record_hash``, ``ingest_run``) — as sorted JSON lines, zlib-compressed and cut
into parts. Each part is an ``Edition`` node (``edition/<name>/part/00000``), and a header node
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
import hashlib
import json
import logging
import os
import re
import shutil
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.errors import ClusterKGError, StoreError
from graph.store import GraphStore

log = logging.getLogger(__name__)

LABEL = "Edition"
BOOKKEEPING = frozenset({"IngestRun", "Edition"})
SKIP_NODE_PROPS = frozenset({"claims_json", "record_hash", "ingest_run"})
SKIP_REL_PROPS = frozenset({"ingest_run"})
PART_BYTES = 2 * 1024 * 1024  # compressed bytes per part (≈ 2.7 MB of base64 text per node)
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
            f"edition name {name!r} is not allowed: letters, digits, '.', '_' and '-', up to 64 characters "
            f"(e.g. 2025-Q3), and not {CURRENT!r}"
        )
    return name


# ---------------------------------------------------------------- snapshot ⇄ lines
def take_snapshot(store: GraphStore) -> Snapshot:
    """Every fact node and relationship of the store (bookkeeping classes and properties left out)."""
    snap = Snapshot()
    for cls in store.schema.node_classes:
        if cls.name in BOOKKEEPING:
            continue
        for node in store.iter_nodes(cls.name):
            props = {k: v for k, v in node.items() if k not in SKIP_NODE_PROPS and k != "id" and v is not None}
            snap.nodes[(cls.name, str(node["id"]))] = props
    for rel in store.schema.relationships.values():
        for edge in store.iter_relationships(rel.name):
            key: RelKey = (
                rel.name,
                edge.pop("from_label"),
                edge.pop("from_id"),
                edge.pop("to_label"),
                edge.pop("to_id"),
            )
            snap.rels[key] = {k: v for k, v in edge.items() if k not in SKIP_REL_PROPS and v is not None}
    return snap


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _lines(snap: Snapshot) -> list[str]:
    dump = _dump
    lines = [dump(["N", label, node_id, props]) for (label, node_id), props in snap.nodes.items()]
    lines += [dump(["R", *key, props]) for key, props in snap.rels.items()]
    lines.sort()
    return lines


def encode(snap: Snapshot) -> tuple[bytes, str]:
    """The snapshot as compressed sorted JSON lines, and the SHA-256 of the uncompressed text."""
    text = ("\n".join(_lines(snap)) + "\n").encode("utf-8")
    return zlib.compress(text, 6), hashlib.sha256(text).hexdigest()


def decode(blob: bytes, digest: str | None = None) -> Snapshot:
    text = zlib.decompress(blob)
    if digest is not None and hashlib.sha256(text).hexdigest() != digest:
        raise EditionError("the edition's snapshot does not match its digest: a part is missing or damaged")
    snap = Snapshot()
    for line in text.decode("utf-8").splitlines():
        item = json.loads(line)
        if item[0] == "N":
            snap.nodes[(item[1], item[2])] = item[3]
        else:
            snap.rels[(item[1], item[2], item[3], item[4], item[5])] = item[6]
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
        rows = store.read(
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
    known = ", ".join(i.name for i in list_editions(store)) or "none yet (ckg edition create NAME)"
    raise EditionError(f"no edition {name!r} in the {store.backend} store; editions: {known}")


def delete_edition(store: GraphStore, name: str) -> bool:
    """Remove an edition and every part of it (also the parts of a create that did not finish)."""
    rows = store.read("MATCH (e:Edition) WHERE e.edition_name = $name RETURN e.id AS id", {"name": name}).rows
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
        raise EditionError(f"edition {name!r} exists already (replace it with --replace)")
    delete_edition(store, name)
    snap = take_snapshot(store)
    blob, digest = encode(snap)
    chunks = [blob[i : i + PART_BYTES] for i in range(0, len(blob), PART_BYTES)] or [b""]
    ids = _part_ids(name, len(chunks))
    for i, (part_id, chunk) in enumerate(zip(ids, chunks, strict=True)):
        data = base64.b64encode(chunk).decode("ascii")
        store.upsert_nodes(LABEL, [{"id": part_id, "edition_name": name, "edition_part": i, "snapshot_data": data}])
    runs = store.read(
        "MATCH (r:IngestRun) WHERE r.ended_at IS NOT NULL RETURN r.id AS id ORDER BY r.ended_at DESC LIMIT 1"
    ).rows
    summary = {"counts": snap.counts(), "last_ingest_run": runs[0]["id"] if runs else None, "note": note}
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    header = {
        "id": _header_id(name),
        "edition_name": name,
        "edition_part": -1,
        "edition_parts": len(chunks),
        "created_at": created,
        "snapshot_bytes": len(blob),
        "snapshot_digest": digest,
        "summary_json": json.dumps(summary, ensure_ascii=False, sort_keys=True),
    }
    store.upsert_nodes(LABEL, [header])  # written last: the edition exists once this does
    log.info("edition %s: %d parts, %d bytes, digest %s", name, len(chunks), len(blob), digest[:12])
    return get_edition(store, name)


def load_snapshot(store: GraphStore, name: str) -> Snapshot:
    """The facts of edition ``name`` (or of the store now, for ``current``)."""
    if name == CURRENT:
        return take_snapshot(store)
    info = get_edition(store, name)
    parts = store.stream(
        "MATCH (e:Edition) WHERE e.edition_name = $name AND e.edition_part >= 0 "
        "RETURN e.edition_part AS part, e.snapshot_data AS data ORDER BY part",
        {"name": name},
    )
    chunks = [base64.b64decode(str(row["data"])) for row in parts]
    if len(chunks) != info.parts:
        raise EditionError(f"edition {name!r} should have {info.parts} parts, the store holds {len(chunks)}")
    return decode(b"".join(chunks), info.digest)


# ---------------------------------------------------------------- reading as of an edition
def restore(snap: Snapshot, target: GraphStore, batch: int = 50_000) -> None:
    """Write a snapshot's facts into an empty store (its schema set up)."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (label, node_id), props in snap.nodes.items():
        by_label[label].append({"id": node_id, **props})
    for label, rows in by_label.items():
        for i in range(0, len(rows), batch):
            target.upsert_nodes(label, rows[i : i + batch])
    by_type: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for (rel, from_label, from_id, to_label, to_id), props in snap.rels.items():
        by_type[(rel, from_label, to_label)].append({"from_id": from_id, "to_id": to_id, **props})
    for (rel, from_label, to_label), rows in by_type.items():
        for i in range(0, len(rows), batch):
            target.upsert_relationships(rel, from_label, to_label, rows[i : i + batch])


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
            restore(load_snapshot(store, name), target)
        finally:
            target.close()
        os.replace(building / "graph.lbdb", path)  # only a complete copy gets the final name
        shutil.rmtree(building, ignore_errors=True)
    reader = EmbeddedStore(path, store.schema, read_only=True, buffer_pool_mb=256)
    try:
        yield reader
    finally:
        reader.close()
