"""The embedded store's name index: SQLite FTS5 (trigram tokenizer) in a file beside the ``.lbdb``.

LadybugDB's own full-text extension downloads from the vendor's server when installed, which this machine and
intranet users cannot reach; SQLite ships with Python, and its ``trigram`` tokenizer matches any substring of
three or more characters in any script (Chinese included). Each entity is one row: its class, its id and its
names (``name_zh``, ``name_en``, ``aliases``) lower-cased, one per line. The index only proposes candidates;
queries/search.py checks each candidate against the graph with the exact test of ``search_entities``.

In step with the graph: the file records the tally epoch (graph/aggregates.py) of the graph it indexes. The
ingest updates it after its write commits (the changed entities only, when the file was in step before the
write; a first load's whole index is built beside the run, graph/name_index_ahead.py); a reader that finds it
missing or at another epoch rebuilds it from the graph (into a new file, then renamed, so a concurrent reader
sees the old file or the new one).
"""

from __future__ import annotations

import logging
import operator
import os
import re
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from graph import aggregates
from graph.errors import ClusterKGError
from graph.store import GraphStore

log = logging.getLogger(__name__)

SUFFIX = ".names.sqlite"
FORMAT = "2"  # the file's layout: a file of another layout is rebuilt
TRIGRAM = 3  # the shortest text the trigram index answers
BIGRAM = 2  # two letters or digits: the bigram index; shorter text, or other characters: a scan of the names
# A write that changed at least this share of the indexed entities rebuilds the index rather than re-index them one
# by one: at scale 150, re-indexing the 825,000 firms a shifted row changed took about 180 s after the write, and a
# rebuild of all 960,765 entities takes about 21 s.
REBUILD_SHARE = 0.1
_SCHEMA = (
    # the store's own size(name_zh) is kept so that candidates come out in the query's order (shortest first)
    "CREATE TABLE entities (rid INTEGER PRIMARY KEY, label TEXT NOT NULL, id TEXT NOT NULL UNIQUE, size INTEGER)",
    "CREATE INDEX entities_order ON entities (size IS NULL, size, id)",
    "CREATE VIRTUAL TABLE names USING fts5(text, tokenize = 'trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE grams USING fts5(pairs, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
)
_FULL_TEXT = ("names", "grams")
_AUTOMERGE = 4  # FTS5's default
_LOOKUP_BATCH = 5_000
COMMON = 5_000  # above this many possible matches, walking the entities in order finds a page sooner


def sidecar_path(store: GraphStore) -> Path | None:
    """Where the store's name index lives; None for a store without a file (Neo4j: its own full-text index)."""
    path = getattr(store, "path", None)
    return Path(f"{path}{SUFFIX}") if store.backend == "embedded" and path is not None else None


def name_text(row: dict[str, Any]) -> str:
    names = [row.get("name_zh"), row.get("name_en"), *(row.get("aliases") or [])]
    return "\n".join(str(n).lower() for n in names if n)


# Runs of two or more letters or digits: ``[^\W_]`` is exactly ``str.isalnum`` (``\w`` is it plus the underscore).
_ALNUM_RUNS = re.compile(r"[^\W_]{2,}")


def bigrams(text: str) -> str:
    """Every pair of adjacent letters or digits, as words for the unicode61 tokenizer (a 2-character search).
    The pairs of each run are made in C (``map``): 15 % faster than testing each character in Python."""
    pairs: set[str] = set()
    for run in _ALNUM_RUNS.findall(text):
        pairs.update(map(operator.add, run, run[1:]))
    return " ".join(sorted(pairs))


def _entity_names(store: GraphStore, label: str, ids: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
    returns = "n.id AS id, n.name_zh AS name_zh, n.name_en AS name_en, n.aliases AS aliases, size(n.name_zh) AS size"
    if ids is None:
        yield from store.stream(f"MATCH (n:{label}) RETURN {returns}")
        return
    wanted = sorted(ids)
    for start in range(0, len(wanted), _LOOKUP_BATCH):
        batch = wanted[start : start + _LOOKUP_BATCH]
        yield from store.read_in_write(f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN {returns}", {"ids": batch})


def _insert(db: sqlite3.Connection, label: str, rows: Iterable[dict[str, Any]], batch: int = 20_000) -> int:
    """Add entities, a batch of rows per statement (row ids given here, so the three tables share them)."""
    top = db.execute("SELECT coalesce(max(rid), 0) FROM entities").fetchone()[0]
    count = 0
    pending: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        count += 1
        pending.append((top + count, row))
        if len(pending) >= batch:
            _insert_batch(db, label, pending)
            pending = []
    _insert_batch(db, label, pending)
    return count


def _insert_batch(db: sqlite3.Connection, label: str, rows: list[tuple[int, dict[str, Any]]]) -> None:
    texts = [(rid, name_text(row)) for rid, row in rows]
    db.executemany(
        "INSERT INTO entities (rid, label, id, size) VALUES (?, ?, ?, ?)",
        [(rid, label, row["id"], row.get("size")) for rid, row in rows],
    )
    db.executemany("INSERT INTO names (rowid, text) VALUES (?, ?)", texts)
    db.executemany("INSERT INTO grams (rowid, pairs) VALUES (?, ?)", [(rid, bigrams(text)) for rid, text in texts])


def _delete(db: sqlite3.Connection, ids: Iterable[str]) -> None:
    for node_id in ids:
        row = db.execute("SELECT rid FROM entities WHERE id = ?", (node_id,)).fetchone()
        if row is not None:
            for table in ("names", "grams"):
                db.execute(f"DELETE FROM {table} WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM entities WHERE rid = ?", (row[0],))


def _set_epoch(db: sqlite3.Connection, epoch: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('epoch', ?), ('format', ?)", (epoch, FORMAT))


def _epoch_of(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(path)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:  # a damaged or foreign file: rebuilt
        return None
    return str(meta["epoch"]) if meta.get("format") == FORMAT and "epoch" in meta else None


def rebuild(store: GraphStore, path: Path, epoch: str) -> None:
    """Index every entity's names afresh, into a new file renamed over the old one."""
    entities = ((cls.name, _entity_names(store, cls.name)) for cls in store.schema.entity_classes)
    building, count = build_file(path, entities)
    install(building, path, epoch)
    log.info("name index %s rebuilt: %d entities at epoch %s", path, count, epoch)


def build_file(path: Path, entities: Iterable[tuple[str, Iterable[dict[str, Any]]]]) -> tuple[Path, int]:
    """A new index of these entities (class, rows as ``_entity_names`` gives them) in a file of its own beside
    ``path``, not yet in its place and without an epoch (``install``); its name and how many entities it holds."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".building")  # one per caller
    os.close(handle)
    building = Path(name)
    count = 0
    try:
        with closing(sqlite3.connect(building)) as db:
            # Nobody reads the file before ``install``, whose commit syncs it: no journal, no sync till then, and no
            # merging of the full-text segments while they are bulk-loaded (scale 150: 25.4 → 21.4 s in all).
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            for statement in _SCHEMA:
                db.execute(statement)
            for table in _FULL_TEXT:
                db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', ?)", (0,))
            for label, rows in entities:
                count += _insert(db, label, rows)
            for table in _FULL_TEXT:  # later updates (``follow_write``) merge as usual
                db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', ?)", (_AUTOMERGE,))
            db.commit()
    except BaseException:
        building.unlink(missing_ok=True)  # a half-built file is never left behind
        raise
    return building, count


def install(building: Path, path: Path, epoch: str) -> None:
    """Stamp a file ``build_file`` made with the epoch of the graph it indexes and rename it over ``path`` (a
    reader sees the old file or the new one)."""
    try:
        with closing(sqlite3.connect(building)) as db:
            _set_epoch(db, epoch)
            db.commit()  # synced: the rows inserted without a sync are on disk before the file is in its place
        building.chmod(0o644)  # readable like the store beside it (mkstemp makes it private)
        os.replace(building, path)
    except BaseException:
        building.unlink(missing_ok=True)  # nothing left behind, in its place or beside it
        raise


def follows_entity_by_entity(store: GraphStore, before: str | None) -> bool:
    """Whether ``follow_write`` after a write from epoch ``before`` re-indexes the entities the write changed, and
    so needs them: not when the store keeps no index, nor when the index is rebuilt whole (a store never counted,
    or an index not in step with it)."""
    path = sidecar_path(store)
    return path is not None and before is not None and _epoch_of(path) == before


def follow_write(
    store: GraphStore, before: str | None, after: str | None, changed: Iterable[tuple[str, str]] | None
) -> None:
    """After an ingest committed: re-index the entities it wrote or dropped — (label, id) pairs — when the index
    was in step with the graph before the write (epoch ``before``), else rebuild it. ``changed`` None: the writer
    did not list them (``follows_entity_by_entity`` said no before the write), so the index is rebuilt even if a
    reader has rebuilt it at ``before`` since. A write that changed ``REBUILD_SHARE`` or more of the indexed
    entities also rebuilds it."""
    path = sidecar_path(store)
    if path is None or after is None or after == before:
        return
    if changed is None or not follows_entity_by_entity(store, before):
        rebuild(store, path, after)
        return
    by_label: dict[str, set[str]] = defaultdict(set)
    entity_labels = {cls.name for cls in store.schema.entity_classes}  # the concrete ones, pasted as labels
    for label, node_id in changed:
        if label in entity_labels:
            by_label[label].add(node_id)
    with closing(sqlite3.connect(path)) as db:
        indexed = int(db.execute("SELECT count(*) FROM entities").fetchone()[0])
    if sum(map(len, by_label.values())) >= REBUILD_SHARE * indexed:
        rebuild(store, path, after)
        return
    with closing(sqlite3.connect(path)) as db:
        for label, ids in by_label.items():
            _delete(db, ids)
            _insert(db, label, _entity_names(store, label, ids))
        _set_epoch(db, after)
        db.commit()
    log.info("name index %s: %d entities re-indexed, epoch %s", path, sum(map(len, by_label.values())), after)


def _matches_at_most(db: sqlite3.Connection, needle: str) -> int:
    """An upper bound of the entities whose names hold ``needle``: the fewest documents of any of its trigrams
    (or of its one bigram), from the indexes' vocabularies."""
    if len(needle) >= TRIGRAM:
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.names_vocab USING fts5vocab(main, names, row)")
        grams = {needle[i : i + TRIGRAM] for i in range(len(needle) - TRIGRAM + 1)}
        table = "names_vocab"
    else:
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.grams_vocab USING fts5vocab(main, grams, row)")
        grams, table = {needle}, "grams_vocab"
    counts = [db.execute(f"SELECT doc FROM temp.{table} WHERE term = ?", (g,)).fetchone() for g in grams]
    return min((int(c[0]) if c else 0) for c in counts)


def candidates(store: GraphStore, text: str, page: int = 200) -> Iterator[list[tuple[str, str]]]:
    """Pages of (class, id) of the entities one of whose names holds ``text`` (case-insensitive), in the order of
    ``search_entities`` (the store's size of ``name_zh``, then id), from an index kept in step with the graph.

    A superset of the exact answer only where the text spans two names (they are indexed one per line)."""
    path = sidecar_path(store)
    if path is None:
        raise ValueError(f"the {store.backend} store keeps no name index file")
    epoch = aggregates.read_epoch(store) or "none"
    if _epoch_of(path) != epoch:
        rebuild(store, path, epoch)
    needle = text.lower()
    order = "ORDER BY e.size IS NULL, e.size, e.id"
    # A walk of the entities in the query's order, each one's names checked, stopped by the caller after a page
    # (CROSS JOIN keeps entities the outer loop, read through the entities_order index): fast when many match.
    walk = (
        "SELECT e.label, e.id FROM entities e CROSS JOIN names ON names.rowid = e.rid "
        f"WHERE instr(names.text, ?) > 0 {order}"
    )
    if len(needle) >= TRIGRAM:  # an FTS5 string: the trigrams in a row, that is a substring
        sql = f"SELECT e.label, e.id FROM names JOIN entities e ON e.rid = names.rowid WHERE names MATCH ? {order}"
        arg = '"' + needle.replace('"', '""') + '"'
    elif len(needle) == BIGRAM and needle.isalnum():
        sql = f"SELECT e.label, e.id FROM grams JOIN entities e ON e.rid = grams.rowid WHERE grams MATCH ? {order}"
        arg = f'"{needle}"'
    else:  # one character, or two with punctuation: the walk (a common character is found in the first rows)
        sql, arg = walk, needle
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        if sql != walk and _matches_at_most(db, needle) > COMMON:  # a common word (科技: most firms): the walk
            sql, arg = walk, needle
        cursor = db.execute(sql, (arg,))
        while batch := cursor.fetchmany(page):
            yield [(str(label), str(node_id)) for label, node_id in batch]


def class_of(store: GraphStore, node_id: str) -> str | None:
    """The class of the entity with this id, from the index when it is in step with the graph (its epoch is the
    store's); None when it is not, the store keeps no index file, or no entity has the id."""
    path = sidecar_path(store)
    if path is None or not path.exists():
        return None
    try:
        epoch = aggregates.read_epoch(store)
    except ClusterKGError:  # a store written before the tallies existed, opened read-only: no Tally table
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if epoch is None or meta.get("format") != FORMAT or meta.get("epoch") != epoch:
                return None
            row = db.execute("SELECT label FROM entities WHERE id = ?", (node_id,)).fetchone()
    except sqlite3.DatabaseError:  # damaged or being replaced: the caller scans
        return None
    return str(row[0]) if row else None
