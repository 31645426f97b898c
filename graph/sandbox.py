"""User-typed Cypher on the embedded store, run in a sandboxed child process.

LadybugDB's read-only mode refuses writes, but a read-only connection still runs statements that reach
outside the database — ``INSTALL <extension>`` downloads from the vendor's server, ``LOAD FROM`` reads local
files — and an oversized ``range()`` cannot be interrupted by its timeout. So the console's queries run in a
child process that the operating system confines: a fresh network namespace with no interface but a
downed loopback (``unshare --net``; ``--map-root-user`` when not root), an address-space limit, a wall-clock
limit, the database opened read-only, a Landlock rule set (Linux ≥ 5.13) under which the process can open
nothing but the database's own files, for reading — so ``LOAD FROM '/etc/passwd'`` and ``COPY … TO`` fail like
a download does — and an environment with nothing but PATH, the locale and two settings that keep libraries from
starting threads before the rule set applies (no password to read in /proc/self/environ).
Nothing the query asks for can leave the machine, read the machine's files or take the app down; the rows
come back as JSON.

It fails closed and stays bounded: without Landlock in force the child answers nothing (set
CLUSTERKG_LANDLOCK_UNAVAILABLE=1 to see that refusal); at most a few children run at once in the app process
(``CHILD_SLOTS``), each within a stated memory cap, and one more waits for the next query with its libraries
loaded (``SpareChild``); the answer is cut at a byte size, each value bounded in
depth, items and length (graph/result_values.py), and the parent never reads more than that from the child.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import itertools
import json
import logging
import os
import pkgutil
import resource
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from graph.errors import BilingualRejectionError, QueryRejectedError, StoreError, apart, noted
from graph.result_values import bounded_rows
from graph.store import QueryResult

CHILD_MEMORY_MB = 2048  # resident memory of one child (interpreter, buffer pool, the query's work), at most
MAX_CHILDREN = 2  # children running at once in one app process: with CHILD_MEMORY_MB, 4 GiB in all
SPARE_MEMORY_MB = 256  # and the one that waits for the next query (SpareChild), resident, at most
MAX_BYTES = 8 * 1024**2  # the JSON answer, at most; rows beyond it are cut and the answer marked truncated
WALL_CLOCK_MARGIN_S = 10  # the child's start-up, beyond the query's own timeout (which the database enforces)
OUT_OF_MEMORY = "查询耗尽了内存，已停止 / the query was stopped: it ran out of memory"
TIMED_OUT = "查询超过时间上限，已停止 / the query ran past its time limit and was stopped (timeout)"
NO_LANDLOCK_ENV = "CLUSTERKG_LANDLOCK_UNAVAILABLE"  # "1": behave as on a kernel without Landlock (and refuse)

# Landlock system calls (the same numbers on x86-64 and arm64) and the file-system rights each ABI handles.
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_READ_FILE, _FS_READ_DIR = 1 << 2, 1 << 3
_PR_SET_NO_NEW_PRIVS = 38
_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}

log = logging.getLogger(__name__)


class SandboxError(BilingualRejectionError):
    """A console query the sandbox would not run; ``zh`` and ``en`` say why, for the page."""


class ConsoleBusyError(SandboxError):
    """Every child slot stayed taken for the whole wait: the user should try again shortly."""


class LandlockUnavailableError(SandboxError):
    """The file confinement is not in force here, so the console refuses to run queries at all."""


def _landlock_missing() -> LandlockUnavailableError:
    return LandlockUnavailableError(
        "控制台拒绝运行：本机未启用 Landlock 文件隔离（需要 Linux ≥ 5.13），查询可能读取本机文件。",
        "The console refuses to run: Landlock file confinement is not in force here (Linux ≥ 5.13 needed), "
        "so a query could read local files.",
    )


class ChildSlots:
    """A counter shared by every session of the app process: how many console children run at once."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self.running = 0
        self.peak = 0  # the most that ever ran at once (for tests and logs)

    def acquire(self, limit: int, wait_s: float) -> None:
        """Take a slot, waiting at most ``wait_s`` for one; ConsoleBusyError if none came free."""
        with self._turn:
            if not self._turn.wait_for(lambda: self.running < limit, timeout=wait_s):
                raise ConsoleBusyError(
                    f"控制台正忙：已有 {limit} 个查询在运行，请稍后重试。",
                    f"The console is busy: {limit} queries are already running; please try again shortly.",
                )
            self.running += 1
            self.peak = max(self.peak, self.running)

    def release(self) -> None:
        with self._turn:
            self.running -= 1
            self._turn.notify()

    @contextlib.contextmanager
    def hold(self, limit: int, wait_s: float) -> Iterator[None]:
        self.acquire(limit, wait_s)
        try:
            yield
        finally:
            self.release()


CHILD_SLOTS = ChildSlots()


def landlock_problem() -> str | None:
    """Why this process could not confine a console child's files, "中文 / English" (None: it can): checked before
    a query."""
    if os.environ.get(NO_LANDLOCK_ENV) == "1":
        return f"按 {NO_LANDLOCK_ENV}=1 视为没有 Landlock / Landlock treated as unavailable ({NO_LANDLOCK_ENV}=1)"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), _LANDLOCK_CREATE_RULESET_VERSION) < 1:
        return (
            "内核没有 Landlock（需要启用了 Landlock 的 Linux ≥ 5.13） / "
            "the kernel has no Landlock (Linux ≥ 5.13 with Landlock enabled is needed)"
        )
    return None


def sandbox_command() -> list[str]:
    """The command prefix that cuts the child off the network, or an error if this system cannot."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise StoreError(
            "控制台需要 `unshare`（util-linux）才能在断网的环境中运行查询 / "
            "the console needs `unshare` (util-linux) to run queries without network access"
        )
    return [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--net", "--map-root-user"]


def run_sandboxed(
    path: Path,
    cypher: str,
    params: dict[str, Any],
    *,
    timeout_s: float,
    row_cap: int,
    max_bytes: int = MAX_BYTES,
    memory_mb: int = CHILD_MEMORY_MB,
    max_children: int = MAX_CHILDREN,
    wait_s: float = 0.0,
) -> QueryResult:
    """One query in a confined child; ``truncated`` with fewer than ``row_cap`` rows means cut at ``max_bytes``."""
    problem = landlock_problem()
    if problem is not None:  # fail closed: without the file confinement no query runs at all
        log.warning("控制台查询被拒绝：%s / console query refused: %s", *apart(problem))
        raise _landlock_missing()
    request = json.dumps(
        {
            "path": str(path),
            "cypher": cypher,
            "params": params,
            "timeout_s": timeout_s,
            "row_cap": row_cap,
            "max_bytes": max_bytes,
            "memory_mb": memory_mb,
        }
    )
    env = child_env()
    try:
        with CHILD_SLOTS.hold(max_children, wait_s):
            proc, errors = SPARE.take(env)
            with errors:
                out, returncode = _run_child(proc, request, timeout_s + WALL_CLOCK_MARGIN_S, max_bytes + 64 * 1024)
                errors.seek(0)
                stderr = errors.read()[-4000:].decode(errors="replace")
    finally:
        SPARE.refill(env)  # after the query, not during it: two children loading at once slowed both
    # Split on "\n" only: str.splitlines() would also split inside strings at U+2028, U+2029 and U+0085.
    lines = [line for line in out.decode(errors="replace").split("\n") if line.startswith("{")]
    if not lines:
        if stderr.strip():
            log.warning(  # the child's own words, once, after the English
                "控制台子进程（退出码 %s）输出了错误信息 / console child (exit %s) said: %s",
                *(returncode, returncode, stderr.strip()),
            )
        if returncode < 0 or "bad_alloc" in stderr:
            raise QueryRejectedError(OUT_OF_MEMORY)
        raise QueryRejectedError("查询已停止：执行失败 / the query was stopped: it failed")
    try:
        answer = json.loads(lines[-1])
    except ValueError:
        raise QueryRejectedError("无法读取查询的结果 / the query's answer could not be read") from None
    if answer.get("landlock") is False:
        log.warning(
            "控制台子进程拒绝运行：无法启用 Landlock / console child refused to run: Landlock could not be put in force"
        )
        raise _landlock_missing()
    if "error" in answer:
        raise QueryRejectedError(answer["error"])
    return QueryResult(columns=answer["columns"], rows=answer["rows"], truncated=answer["truncated"])


def child_env() -> dict[str, str]:
    """A child's whole environment: PATH, the locale and no library threads before the query (no password to read
    in /proc/self/environ; Landlock binds the thread that applies it and its later threads, not one an import has
    already started: the child refuses to run a query if any is)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",  # no worker pool started by importing numpy
        "JE_ARROW_MALLOC_CONF": "background_thread:false",  # nor a purging thread by Arrow's jemalloc
    }
    if os.environ.get(NO_LANDLOCK_ENV) == "1":
        env[NO_LANDLOCK_ENV] = "1"
    return env


def _start_child(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """A child cut off the network, loading its libraries; it waits for its request on stdin. With the file its
    error output goes to."""
    command = [*sandbox_command(), sys.executable, "-m", "graph.sandbox"]
    errors = tempfile.TemporaryFile()  # noqa: SIM115  (it lives as long as the child: closed by the caller)
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
        )
    except BaseException:
        errors.close()
        raise
    return proc, errors


def _stop_child(proc: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for stream in (proc.stdin, proc.stdout, errors):
        if stream is not None:
            stream.close()


class SpareChild:
    """One child started ahead, its libraries loaded, waiting for the next query: the interpreter, LadybugDB and
    the schema take ≈ 0.45 s of a query's 0.7 s to load. It is the same command with the same environment as a
    child started for the query, and it confines itself at the same point — when the request names the database,
    before it opens it. At most one waits per app process, holding at most SPARE_MEMORY_MB."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: tuple[dict[str, str], subprocess.Popen[bytes], IO[bytes]] | None = None

    def take(self, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
        """A child for this query: the waiting one if it has this environment and lives, else a new one."""
        with self._lock:
            waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting[0] == env and waiting[1].poll() is None:
            return waiting[1], waiting[2]
        if waiting is not None:
            _stop_child(waiting[1], waiting[2])
        return _start_child(env)

    def refill(self, env: dict[str, str]) -> None:
        """Start a child to wait for the next query, unless one waits already. Best effort: a child that cannot
        be started now (no process or memory to spare, no ``unshare``) leaves none waiting, and the query that
        needs one starts its own and says what failed."""
        with self._lock:
            if self._waiting is not None:
                return
            try:
                self._waiting = (env, *_start_child(env))
            except (OSError, subprocess.SubprocessError, StoreError) as exc:
                log.warning("未能预先启动备用的控制台子进程%s / no spare console child started: %s", *noted(exc))

    @property
    def waiting_pid(self) -> int | None:
        with self._lock:
            return self._waiting[1].pid if self._waiting is not None else None

    def close(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, None
        if waiting is not None:
            _stop_child(waiting[1], waiting[2])


SPARE = SpareChild()
atexit.register(SPARE.close)


def _run_child(proc: subprocess.Popen[bytes], request: str, wall_s: float, max_out: int) -> tuple[bytes, int]:
    """Hand the started child the request, read at most ``max_out`` bytes of its answer within ``wall_s``."""
    assert proc.stdin is not None and proc.stdout is not None
    deadline = time.monotonic() + wall_s
    chunks: list[bytes] = []
    size = 0
    unsent = memoryview(request.encode())
    try:
        with selectors.DefaultSelector() as selector:
            # The request is written under the same deadline as the answer is read: a child reads it only once its
            # libraries are loaded, and a request longer than the pipe holds would block a plain write until then.
            os.set_blocking(proc.stdin.fileno(), False)
            selector.register(proc.stdin, selectors.EVENT_WRITE)
            selector.register(proc.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                ready = selector.select(left)
                if any(key.fileobj is proc.stdin for key, _ in ready):
                    try:
                        unsent = unsent[os.write(proc.stdin.fileno(), unsent) :]
                    except BrokenPipeError:  # a child that died early: its exit status tells
                        unsent = unsent[:0]
                    if not unsent:
                        selector.unregister(proc.stdin)
                        proc.stdin.close()
                if not any(key.fileobj is proc.stdout for key, _ in ready):
                    continue
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_out:  # the child cuts its own answer; one that does not is not read further
                    raise QueryRejectedError(
                        "查询的结果超出控制台能接收的大小 / the query's answer was larger than the console takes"
                    )
                chunks.append(chunk)
            else:
                raise QueryRejectedError(TIMED_OUT)
        return b"".join(chunks), proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdin.close()
        proc.stdout.close()


def _child() -> None:
    """Inside the sandbox: load the libraries, wait for the request, then confine this process, open the database
    read-only, run one query and print one JSON line."""
    from graph.embedded_pool import CORES
    from graph.embedded_store import EmbeddedStore
    from graph.schema import default_schema

    schema = default_schema()  # reads the ontology: before the file system closes
    _import_all("ladybug")  # the driver imports some of its modules lazily, on first open
    text = sys.stdin.read()  # a spare child waits here (SpareChild)
    if not text:
        return  # the app closed without a query for it
    request = json.loads(text)
    path = Path(request["path"])
    # LadybugDB reserves address space for the whole database file (resident only as far as its buffer pool
    # fills) and for the buffer pool: allow the first, and hold everything else, the pool included, to the
    # child's memory cap, so that what is resident stays under the cap.
    max_db_size = 1 << max(30, (4 * path.stat().st_size).bit_length())
    memory = int(request["memory_mb"]) * 1024**2
    buffer_pool_mb = max(64, int(request["memory_mb"]) // 2)  # results are materialised there
    resource.setrlimit(resource.RLIMIT_AS, (max_db_size + memory, max_db_size + memory))
    database_files = [f for f in path.parent.glob(path.name + "*") if f.is_file()]  # the file and its WAL
    threads = len(os.listdir("/proc/self/task"))  # counted before the file system closes
    if os.environ.get(NO_LANDLOCK_ENV) == "1" or not deny_file_access(database_files) or _can_list_root():
        _answer({"landlock": False})  # fail closed: no query runs where it could read the machine's files
        return
    if threads > 1:  # Landlock binds the thread that applied it and the threads it starts, not one already running
        _answer(
            {
                "error": f"控制台子进程有 {threads - 1} 个未受隔离的线程，不运行查询 / "
                f"the console's child had {threads - 1} unconfined threads; it runs no query"
            }
        )
        return
    try:
        # One query at a time here: worker threads for the cores only (more would pass the address-space cap).
        store = EmbeddedStore(
            path,
            schema,
            read_only=True,
            buffer_pool_mb=buffer_pool_mb,
            max_db_size=max_db_size,
            query_workers=CORES,
        )
        # Streamed, not store.read(): rows are bounded and counted as they arrive, so a wide answer stops at
        # the byte cap instead of being built whole first (5,000 rows of 30 nodes outgrew the memory cap).
        rows = store.stream(request["cypher"], request["params"], timeout_s=float(request["timeout_s"]))
        _, texts, cut = bounded_rows(itertools.islice(rows, int(request["row_cap"])), int(request["max_bytes"]))
        truncated = cut or next(rows, None) is not None
    except (StoreError, MemoryError, RuntimeError, AttributeError) as exc:
        _answer({"error": _child_error(exc)})
        return
    columns = json.dumps(list(json.loads(texts[0])) if texts else [], ensure_ascii=False)
    sys.stdout.write(f'{{"columns": {columns}, "truncated": {json.dumps(truncated)}, "rows": [{", ".join(texts)}]}}\n')


def _child_error(exc: Exception) -> str:
    if isinstance(exc, MemoryError):
        return OUT_OF_MEMORY
    if isinstance(exc, AttributeError):  # several statements: the driver answers with a list of results
        return "控制台一次只运行一条语句 / the console runs one statement at a time"
    if str(exc).strip() == "Interrupted.":
        return TIMED_OUT
    return str(exc)


def _can_list_root() -> bool:
    """After the rule set: True if the file system is still open (a kernel that accepted it but did not apply)."""
    try:
        os.listdir("/")
    except PermissionError:
        return False
    return True


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
