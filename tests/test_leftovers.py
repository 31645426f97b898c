"""Leftovers in the temporary folder (graph/leftovers.py): only a dead process's of this PID namespace are removed;
a name that is not a process's tag is left alone, and none crashes the sweep."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph import leftovers

PREFIX = "clusterkg-test-"


def _dead_pid() -> int:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    return int(ended.stdout)


def test_a_dead_process_of_this_namespace_is_swept_and_others_kept(tmp_path: Path) -> None:
    dead, namespace = _dead_pid(), leftovers.tag().split("-")[1]
    ours = tmp_path / f"{PREFIX}{dead}-{namespace}-abc"
    untagged = tmp_path / f"{PREFIX}{dead}-xyz"  # named before the tag held the namespace: judged by its id
    elsewhere = tmp_path / f"{PREFIX}{dead}-n1-abc"  # another namespace: its processes are not ours to see
    alive = tmp_path / f"{PREFIX}{leftovers.tag()}-def"
    for path in (ours, untagged, elsewhere, alive):
        path.write_bytes(b"left")
    (tmp_path / f"{PREFIX}{dead}-{namespace}-dir").mkdir()
    leftovers.sweep(tmp_path, PREFIX)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([elsewhere.name, alive.name])


@pytest.mark.parametrize(
    "pid", ["99999999999999999999", "2147483648", "4194305", "0", "²", "١٢", "", "-5", "12a"], ids=repr
)
def test_a_name_whose_id_is_not_a_process_id_is_left_alone(tmp_path: Path, pid: str) -> None:
    """Anyone who can write to the temporary folder can name a file so: it must neither crash the sweep (an id past
    a C long, a superscript digit) nor be taken for a dead process's."""
    odd = tmp_path / f"{PREFIX}{pid}-abc"
    odd.write_bytes(b"someone else's")
    leftovers.sweep(tmp_path, PREFIX)
    assert odd.exists()


def test_a_process_of_another_user_counts_as_running(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(pid: int, signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", refused)
    assert leftovers.running(12345)


def test_the_tag_is_this_process_and_its_namespace() -> None:
    pid, namespace = leftovers.tag().split("-")
    assert int(pid) == os.getpid() and namespace == f"n{os.stat('/proc/self/ns/pid').st_ino}"
