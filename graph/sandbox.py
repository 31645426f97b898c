"""User-typed Cypher on the embedded store, run in a sandboxed child process.

LadybugDB's read-only mode refuses writes, but a read-only connection still runs statements that reach
outside the database — ``INSTALL <extension>`` downloads from the vendor's server, ``LOAD FROM`` reads local
files — and an oversized ``range()`` cannot be interrupted by its timeout. So the console's queries run in a
child process that the operating system confines: a fresh network namespace with no interface but a
downed loopback (``unshare --net``; ``--map-root-user`` when not root), an address-space limit, a wall-clock
limit, and the database opened read-only. Nothing the query asks for can leave the machine or take the app
down; the rows come back as JSON.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from graph.errors import QueryRejectedError, StoreError
from graph.store import QueryResult

QUERY_MEMORY = 3 * 1024**3  # bytes of address space for the query's own work


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
            timeout=timeout_s + 30,
            cwd=Path(__file__).resolve().parent.parent,
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

    try:
        store = EmbeddedStore(path, default_schema(), read_only=True, buffer_pool_mb=256, max_db_size=max_db_size)
        result = store.read(
            request["cypher"], request["params"], timeout_s=request["timeout_s"], row_cap=request["row_cap"]
        )
        _answer({"columns": result.columns, "rows": result.rows, "truncated": result.truncated})
    except (StoreError, MemoryError) as exc:
        _answer({"error": "the query ran out of memory" if isinstance(exc, MemoryError) else str(exc)})


def _answer(payload: dict[str, Any]) -> None:
    """The child's one line of output: its answer to the parent, not a log."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    _child()
