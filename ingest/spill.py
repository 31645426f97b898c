"""The folder a run's row tables wait in for the write (ingest/row_tables.py): one per run, in ``TMPDIR`` or a
given folder, removed when the run ends. A run killed before it could remove its folder leaves it behind (at scale
150, 2.3 GB): the next run removes the folders of runs whose process is gone."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graph import leftovers

PREFIX = "clusterkg-rows-"  # then the run's tag (its process id and PID namespace) and a random part


@contextmanager
def spill_folder(parent: Path | None = None) -> Iterator[Path]:
    """A new folder for this run's tables. Its removal never fails the run: the run's changes are committed by then,
    and a folder left behind is removed by the next run."""
    where = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    sweep(where)
    named = f"{PREFIX}{leftovers.tag()}-"
    with tempfile.TemporaryDirectory(prefix=named, dir=where, ignore_cleanup_errors=True) as name:
        yield Path(name)


def sweep(parent: Path) -> None:
    """Remove the folders that runs no longer running left in ``parent``."""
    leftovers.sweep(parent, PREFIX)
