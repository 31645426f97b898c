"""Arrow columns compared row by row: which values a write would change (the ingest's diff of ties, the embedded
store's write of the nodes it holds)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def same_values(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Row by row: equal values, or absent on both sides (a float NaN equals NaN, and -0.0 does not equal 0.0, as
    written they differ; a list equals a list with the same items in the same order)."""
    a, b = _one_chunk(a), _one_chunk(b)
    if a.type != b.type:
        b = b.cast(a.type)
    if pa.types.is_list(a.type):
        return _same_lists(a, b)
    same = pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False)
    same |= pc.and_(pc.is_null(a), pc.is_null(b)).to_numpy(zero_copy_only=False)
    if pa.types.is_floating(a.type):
        same |= pc.and_(pc.is_nan(a), pc.is_nan(b)).fill_null(False).to_numpy(zero_copy_only=False)
        signs_a = np.signbit(a.fill_null(0.0).to_numpy(zero_copy_only=False))
        same &= signs_a == np.signbit(b.fill_null(0.0).to_numpy(zero_copy_only=False))
    return np.asarray(same, dtype=bool)


def _one_chunk(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _same_lists(a: pa.Array, b: pa.Array) -> np.ndarray:
    """Lists of the same length whose items are equal one by one (absent on both sides: the same; absent and empty:
    not, as a digest of the two differed)."""
    lengths_a = pc.fill_null(pc.list_value_length(a), -1).to_numpy(zero_copy_only=False)
    lengths_b = pc.fill_null(pc.list_value_length(b), -1).to_numpy(zero_copy_only=False)
    same = np.asarray(lengths_a == lengths_b, dtype=bool)
    rows = np.flatnonzero(same & (lengths_a > 0))
    if len(rows):
        items_a = pc.list_flatten(a.take(pa.array(rows)))
        items_b = pc.list_flatten(b.take(pa.array(rows)))
        equal = pc.fill_null(pc.equal(items_a, items_b), False).to_numpy(zero_copy_only=False)
        owners = pc.list_parent_indices(a.take(pa.array(rows))).to_numpy(zero_copy_only=False)
        same[rows[np.unique(owners[~equal])]] = False
    return same
