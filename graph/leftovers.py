"""What a process leaves in the temporary folder (a run's row tables, a copy's Parquet file), named with its process
id after a prefix, and its removal once that process is gone: a process killed before it could clean up leaves
its files behind, and the next one to make such files removes them."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def sweep(parent: Path, prefix: str) -> None:
    """Remove the files and folders in ``parent`` named ``prefix``, a process id and a dash, whose process is gone."""
    for entry in parent.glob(f"{prefix}*"):
        pid = entry.name.removeprefix(prefix).split("-", 1)[0]
        if not pid.isdigit() or running(int(pid)):
            continue
        try:
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
        except OSError as exc:  # another user's, in a shared folder: left, and the work goes on
            log.info("could not remove %s, left by a process that did not finish: %s", entry, exc)
            continue
        log.info("removed %s, left by a process that did not finish", entry)


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
