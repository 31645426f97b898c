"""A large run's collect (reading, resolving, the rows and the diff) in a forked process of its own, so that the write
starts from a process that never held the records.

What a process has freed it does not give back whole: Python's allocator keeps an arena of 1 MiB while one object in
it lives, and the C heap keeps freed pages between its used ones. After a scale-150 collect that was about 450 MB more
than a fresh process. With each ``COPY``'s freed heap handed back (graph/embedded_writes.py) the write's peak is its
largest ``COPY`` on top of what the process holds: at scale 150, 2,988–3,013 MB from 304 MB against 3,166 MB from
784 MB (docs/SCALE.md). A child made by ``fork`` shares the run's state as it is (the rule tables, the stored
statements, the report so far), reads and resolves, leaves its tables in the run's spill folder
(ingest/row_tables.py) and hands back the rest in a pickle; when it ends, all it held is gone.

The child never touches the store: the parent holds it open, and a database's threads do not survive a fork. It ends
with ``os._exit``, so that nothing the parent owns (the spill folder, the store's files, temporary files) is closed or
removed by it. Only where ``fork`` exists (Linux, macOS); elsewhere the collect stays in the run's own process.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from graph.errors import ClusterKGError

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # prctl's option (linux/prctl.h): a signal for this process when its parent dies


class CollectApartError(ClusterKGError):
    """The collect's own process ended without an answer (killed, out of memory) or with one that cannot be read."""


def available() -> bool:
    return hasattr(os, "fork")


def in_own_process(work: Callable[[], T], answer: Path) -> T:
    """``work()`` run in a forked child, its value (or the exception it raised) carried back through the file
    ``answer``, which is removed once read. An interrupt of the parent stops the child too."""
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: whatever happens, it leaves through os._exit
        _child(work, answer, parent)
    try:
        _, status = os.waitpid(pid, 0)
    except BaseException:  # an interrupt, a signal: the child does not outlive the run
        _stop(pid)
        raise
    try:
        return cast(T, _answer(answer, status))
    finally:
        answer.unlink(missing_ok=True)


def _child(work: Callable[[], T], answer: Path, parent: int) -> None:
    code = 1
    try:
        _die_with(parent)
        try:
            outcome: tuple[str, object] = ("value", work())
        except BaseException as exc:  # carried back and raised in the parent, as if raised there
            outcome = ("raised", exc)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            if outcome[0] == "raised":
                pickle.loads(data)  # an exception whose class takes other arguments than its message cannot be made
        except Exception as exc:  # an exception that cannot be pickled, or made again: its words, at least
            failed = outcome[1] if outcome[0] == "raised" else exc
            data = pickle.dumps(("failed", f"{type(failed).__name__}: {failed}"))
        answer.write_bytes(data)
        code = 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with(parent: int) -> None:
    """The child is killed when the run's process dies (Linux: a killed run leaves no collect running on)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the child finishes its collect and ends
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the run died before the request was made
        os._exit(1)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _answer(answer: Path, status: int) -> object:
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not answer.exists():
        how = (
            f"signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else f"exit code {os.waitstatus_to_exitcode(status)}"
        )
        raise CollectApartError(
            f"读取与解析数据的子进程异常结束（{how}，可能是内存不足）；图未作任何更改 / "
            f"the process that read and resolved the data ended without an answer ({how}; out of memory?); "
            "nothing in the graph was changed"
        )
    try:
        kind, value = pickle.loads(answer.read_bytes())
    except Exception as exc:
        raise CollectApartError(
            f"读取与解析数据的子进程的结果无法读取（{exc}）；图未作任何更改 / "
            f"the answer of the process that read and resolved the data cannot be read ({exc}); nothing was changed"
        ) from exc
    if kind == "raised":
        raise value
    if kind == "failed":
        raise CollectApartError(f"读取与解析数据时出错：{value} / reading and resolving the data failed: {value}")
    return value
