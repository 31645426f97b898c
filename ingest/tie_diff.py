"""A run's ties beside the store's, column by column: which it adds, changes, leaves alone, and which it drops.

The stored ties of a relationship type and pair of labels come from the store as one Arrow table
(``GraphStore.relationship_tables``; ``read_stored`` dictionary-encodes its text), the run's as the table it would
write; the two are joined on their ends and each property column compared, with no dict or digest per tie (a re-run
of scale 15 spent 5.5 s of its 23 s reading 350,000 stored ties as dicts, hashing them and hashing the run's). Two
ties are the same when every property but ``UNHASHED`` (the run stamp) holds the same value or is absent on both
sides.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.arrow_compare import same_values
from graph.arrow_rows import REL_ENDS, UNFIT
from graph.errors import SchemaError
from ingest.build import UNHASHED, RelKey
from ingest.row_tables import RelGroup

_NEW, _OLD = "__new_position", "__old_position"
MAX_COLUMNS = 63  # the properties whose differences a tie's 64-bit code holds


@dataclass
class TieComparison:
    """A run's table of a group beside the stored one: by the run's rows, which the store has (``stored``) and which
    columns of those differ (``differs``: bit i for ``columns[i]``, 0 for the same tie); by the stored rows, which
    the run has (``kept``)."""

    stored: np.ndarray
    differs: np.ndarray
    columns: list[str]
    kept: np.ndarray

    @property
    def changed(self) -> np.ndarray:
        return np.asarray(self.differs != 0, dtype=bool)

    def writes(self) -> TieWrites:
        """What to write: the ties the store lacks, whole; each changed one, its differing columns alone."""
        changed: dict[tuple[str, ...], np.ndarray] = {}
        rows = np.flatnonzero(self.differs)
        codes = self.differs[rows]
        for code in np.unique(codes).tolist():
            names = tuple(name for bit, name in enumerate(self.columns) if code >> bit & 1)
            changed[names] = rows[codes == code]
        return TieWrites(~self.stored, changed)


@dataclass
class TieWrites:
    """The rows of a group a run writes: those it adds, with every column; those it changes, grouped by which columns
    differ, with just those. LadybugDB's ``SET`` costs about 45 µs a tie and column, whether the value changed or
    not: the 227,357 firms' ``IN_CLUSTER`` ties of scale 15 took 134.8 s with their twelve columns set, and 33.8 s
    with the three a shifted row changes (``source_row``, ``source_refs`` and the run stamp)."""

    added: np.ndarray
    changed: dict[tuple[str, ...], np.ndarray]  # the differing columns → the positions of the rows

    @property
    def count(self) -> int:
        return int(self.added.sum()) + sum(len(rows) for rows in self.changed.values())

    def written(self) -> np.ndarray:
        """By the run's rows: true for each tie it adds or changes."""
        rows = self.added.copy()
        for positions in self.changed.values():
            rows[positions] = True
        return rows

    def added_table(self, table: pa.Table) -> pa.Table | None:
        """The ties of the group's table the store lacks, every column (None: none)."""
        if len(self.added) and self.added.all():
            return table
        return table.filter(pa.array(self.added)) if self.added.any() else None

    def changed_tables(self, table: pa.Table) -> Iterator[pa.Table]:
        """The changed ties of the group's table, a table for each set of differing columns: the ends and those
        columns (to update the stored ties, never to create one: ``GraphStore.update_relationship_table``)."""
        for names, rows in self.changed.items():
            part = table.select(list(REL_ENDS)).take(pa.array(rows))
            for name in names:  # a column only the stored ties have: cleared
                column = table[name].take(pa.array(rows)) if name in table.column_names else None
                part = part.append_column(name, column if column is not None else pa.nulls(len(rows)))
            yield part


def compare(new: pa.Table, old: pa.Table | None) -> TieComparison:
    """Join the run's ties and the stored ones on their ends and compare their properties."""
    stored = np.zeros(new.num_rows, dtype=bool)
    differs = np.zeros(new.num_rows, dtype=np.uint64)
    if old is None or not old.num_rows:
        kept = np.zeros(0 if old is None else old.num_rows, dtype=bool)
        return TieComparison(stored, differs, [], kept)
    kept = np.zeros(old.num_rows, dtype=bool)
    left = pa.table([*(new[end] for end in REL_ENDS), pa.array(np.arange(new.num_rows))], names=[*REL_ENDS, _NEW])
    old_ends = [plain(old[end]) for end in REL_ENDS]
    right = pa.table([*old_ends, pa.array(np.arange(old.num_rows))], names=[*REL_ENDS, _OLD])
    pairs = left.join(right, keys=list(REL_ENDS), join_type="inner")
    at_new = pairs[_NEW].to_numpy()
    at_old = pairs[_OLD].to_numpy()
    take_new, take_old = pa.array(at_new), pa.array(at_old)
    columns = _compared(new, old)
    if len(columns) > MAX_COLUMNS:
        raise SchemaError(f"a relationship has {len(columns)} properties; a run compares at most {MAX_COLUMNS}")
    codes = np.zeros(len(at_new), dtype=np.uint64)
    for bit, name in enumerate(columns):
        if name in new.column_names and name in old.column_names:
            same = same_values(new[name].take(take_new), plain(old[name].take(take_old)))
        else:  # a column one side lacks holds nothing there
            present = new[name].take(take_new) if name in new.column_names else old[name].take(take_old)
            same = pc.is_null(present).to_numpy(zero_copy_only=False)
        codes[~same] |= np.uint64(1 << bit)
    if UNFIT in old.column_names:  # read with its ends alone: every column is written again
        unfit = pc.fill_null(old[UNFIT].take(take_old), False).to_numpy(zero_copy_only=False)
        codes[unfit] = np.uint64((1 << len(columns)) - 1)
    stored[at_new] = True
    np.bitwise_or.at(differs, at_new, codes)  # a tie stored twice differs where either copy does
    kept[at_old] = True
    return TieComparison(stored, differs, columns, kept)


def _compared(new: pa.Table, old: pa.Table) -> list[str]:
    skipped = {*REL_ENDS, *UNHASHED, UNFIT}
    names = [n for n in new.column_names if n not in skipped]
    return names + [n for n in old.column_names if n not in skipped and n not in names]


def dropped(group: RelGroup, old: pa.Table, kept: np.ndarray, read_files: Collection[str]) -> Iterator[RelKey]:
    """The keys of the stored ties a run drops: those it does not have, but a tie written before statements were kept
    (no ``source_refs``) only where its file was read again completely (the rule of that version). A tie stored twice
    is named once."""
    rel_type, from_label, to_label = group
    rows = np.flatnonzero(_gone(old, kept, read_files))
    if not len(rows):
        return
    positions = pa.array(rows)
    ends = zip(old["from_id"].take(positions).to_pylist(), old["to_id"].take(positions).to_pylist(), strict=True)
    for from_id, to_id in dict.fromkeys(ends):
        yield (rel_type, from_label, str(from_id), to_label, str(to_id))


def held_back(old: pa.Table, kept: np.ndarray, read_files: Collection[str]) -> bool:
    """Whether a stored tie that the run does not have stays all the same (one written before statements were
    kept, whose file the run did not read again): a run that wrote the type again whole would lose it."""
    return bool((~kept & ~_gone(old, kept, read_files)).any())


def _gone(old: pa.Table, kept: np.ndarray, read_files: Collection[str]) -> np.ndarray:
    """By the stored rows: true for each one the run drops (``dropped``)."""
    gone = ~kept
    legacy = pc.is_null(old["source_refs"]).to_numpy(zero_copy_only=False)
    if UNFIT in old.column_names:  # a value read as absent because it was of another type: not an old tie
        legacy &= ~pc.fill_null(old[UNFIT], False).to_numpy(zero_copy_only=False)
    if legacy.any():
        files = pa.array(sorted(read_files), pa.string())
        read_again = pc.fill_null(pc.is_in(plain(old["source_file"]), value_set=files), False)
        gone &= ~legacy | read_again.to_numpy(zero_copy_only=False)
    return gone


def plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A stored column as its values (``read_stored`` dictionary-encodes the text ones)."""
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
