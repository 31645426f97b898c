"""User-typed Cypher on the embedded store, run in a sandboxed child process.

LadybugDB's read-only mode refuses writes, but a read-only connection still runs statements that reach
outside the database — ``INSTALL <extension>`` downloads from the vendor's server, ``LOAD FROM`` reads local
files — and an oversized ``range()`` cannot be interrupted by its timeout. So the console's queries run in a
child process that the operating system confines: a fresh network namespace with no interface but a
downed loopback (``unshare --net``; ``--map-root-user`` when not root), an address-space limit, a wall-clock
limit, the database opened read-only, a Landlock rule set (Linux ≥ 5.13) under which the process can open
nothing but the database's own files, for reading — so ``LOAD FROM '/etc/passwd'`` and ``COPY … TO`` fail like
a download does — and an environment with nothing but PATH (no password to read in /proc/self/environ).
Nothing the query asks for can leave the machine, read the machine's files or take the app down; the rows
come back as JSON.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import logging
import os
import pkgutil
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from graph.errors import QueryRejectedError, StoreError
from graph.store import QueryResult

QUERY_MEMORY = 3 * 1024**3  # bytes of address space for the query's own work
WALL_CLOCK_MARGIN_S = 10  # the child's start-up, beyond the query's own timeout (which the database enforces)

# Landlock system calls (the same numbers on x86-64 and arm64) and the file-system rights each ABI handles.
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_READ_FILE, _FS_READ_DIR = 1 << 2, 1 << 3
_PR_SET_NO_NEW_PRIVS = 38
_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}

log = logging.getLogger(__name__)


def sandbox_command() -> list[str]:
    """The command prefix that cuts the child off the network, or an error if this system cannot."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise StoreError("the console needs `unshare` (util-linux) to run queries without network access")
    return [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--net", "--map-root-user"]


def run_sandboxed(path: Path, cypher: str, params: dict[str, Any], *, timeout_s: float, row_cap: int) -> QueryResult:
    request = json.dumps(
        {"path": str(path), "cypher": cypher, "params": params, "timeout_s": timeout_s, "row_cap": row_cap}
    )
    try:
        proc = subprocess.run(
            [*sandbox_command(), sys.executable, "-m", "graph.sandbox"],
            input=request,
            capture_output=True,
            text=True,
            timeout=timeout_s + WALL_CLOCK_MARGIN_S,
            cwd=Path(__file__).resolve().parent.parent,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            check=False,  # the child reports its own errors as JSON
        )
    except subprocess.TimeoutExpired:
        raise QueryRejectedError("the query ran past its time limit and was stopped (timeout)") from None
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        reason = "it ran out of memory" if proc.returncode < 0 or "bad_alloc" in proc.stderr else "it failed"
        raise QueryRejectedError(f"the query was stopped: {reason}")
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise QueryRejectedError(answer["error"])
    return QueryResult(columns=answer["columns"], rows=answer["rows"], truncated=answer["truncated"])


def _child() -> None:
    """Inside the sandbox: open read-only, run one query, print one JSON line."""
    request = json.loads(sys.stdin.read())
    path = Path(request["path"])
    # LadybugDB reserves address space for the whole database file; allow that, plus the query's budget.
    max_db_size = 1 << max(30, (4 * path.stat().st_size).bit_length())
    limit = max_db_size + 256 * 1024**2 + QUERY_MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from graph.embedded_store import EmbeddedStore
    from graph.schema import default_schema

    schema = default_schema()  # reads the ontology: before the file system closes
    _import_all("ladybug")  # the driver imports some of its modules lazily, on first open
    database_files = [f for f in path.parent.glob(path.name + "*") if f.is_file()]  # the file and its WAL
    if not deny_file_access(database_files):
        log.warning("Landlock is not available: console queries on the embedded store can read local files")
    try:
        store = EmbeddedStore(path, schema, read_only=True, buffer_pool_mb=256, max_db_size=max_db_size)
        result = store.read(
            request["cypher"], request["params"], timeout_s=request["timeout_s"], row_cap=request["row_cap"]
        )
        _answer({"columns": result.columns, "rows": result.rows, "truncated": result.truncated})
    except (StoreError, MemoryError) as exc:
        _answer({"error": "the query ran out of memory" if isinstance(exc, MemoryError) else str(exc)})


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # struct landlock_path_beneath_attr is packed: { __u64 allowed_access; __s32 parent_fd; }
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def deny_file_access(readable: list[Path]) -> bool:
    """From now on this process, and every thread it starts, may open only the ``readable`` files, for
    reading; False if the kernel has no Landlock. Threads that already run are not covered (Landlock binds
    the calling thread and its future children), so this is called before the database starts its own."""
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), _LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return False
    rights = _FS_RIGHTS_BY_ABI[max(v for v in _FS_RIGHTS_BY_ABI if v <= abi)]
    attr = ctypes.c_uint64(rights)  # struct landlock_ruleset_attr { __u64 handled_access_fs; }
    ruleset = libc.syscall(_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), 0)
    if ruleset < 0:
        return False
    try:
        for path in readable:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
            rule = _PathBeneath(_FS_READ_FILE, target)
            added = libc.syscall(_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
            os.close(target)
            if added != 0:
                return False
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return bool(libc.syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0) == 0)
    finally:
        os.close(ruleset)


def _import_all(package_name: str) -> None:
    """Import a package's modules now, while files can still be read (its optional backends may fail)."""
    package = importlib.import_module(package_name)
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        with contextlib.suppress(Exception):
            importlib.import_module(module.name)


def _answer(payload: dict[str, Any]) -> None:
    """The child's one line of output: its answer to the parent, not a log."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    _child()
