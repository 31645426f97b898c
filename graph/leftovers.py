"""What a process leaves in the temporary folder (a run's row tables, a copy's Parquet file), and its removal once
that process is gone: a process killed before it could clean up leaves its files behind, and the next one to make
such files removes them.

Each name holds, after its prefix, the process's ``tag``: its id and its PID namespace. Processes that share a
temporary folder but not a PID namespace (containers mounting one ``/tmp``) cannot see each other's processes, so
a leftover of another namespace is never taken for a dead one's; one named without a namespace (before the tag had
one) is judged by its process id alone, as it was then. A name whose id is not a process id is not ours."""

from __future__ import annotations

import logging
import os
import shutil
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

PID_MAX = 1 << 22  # Linux's largest process id (kernel.pid_max is at most 2**22)


def tag() -> str:
    """This process's id and PID namespace, as its leftovers are named after their prefix (then a dash)."""
    return f"{os.getpid()}-n{_namespace()}"


@cache
def _namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # no /proc (another system): every process is taken as in one namespace
        return 0


def sweep(parent: Path, prefix: str) -> None:
    """Remove the files and folders in ``parent`` named ``prefix`` and a ``tag`` whose process is gone. One that
    cannot be removed (another user's, in a shared folder) is left, and the work goes on."""
    for entry in parent.glob(f"{prefix}*"):
        if not _gone(entry.name.removeprefix(prefix)):
            continue
        try:
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
        except OSError as exc:
            log.info("could not remove %s, left by a process that did not finish: %s", entry, exc)
            continue
        log.info("removed %s, left by a process that did not finish", entry)


def _gone(named: str) -> bool:
    """Whether the process a leftover's name (after the prefix) tags is gone: a process id of this namespace, or of
    a name without one, that no process has."""
    pid, _, rest = named.partition("-")
    if not (pid.isascii() and pid.isdigit() and 0 < int(pid) <= PID_MAX):
        return False
    namespace = rest.partition("-")[0].removeprefix("n")
    tagged = rest.startswith("n") and namespace.isascii() and namespace.isdigit()
    if tagged and int(namespace) != _namespace():
        return False
    return not running(int(pid))


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
