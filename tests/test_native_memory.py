"""The embedded store's module caps glibc's heap arenas when it is imported (graph/native_memory.py): threads that
allocate afterwards share at most as many arenas as there are cores. Each case runs in a fresh process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graph.embedded_pool import CORES

# More threads than cores, alive together, each allocate and keep blocks big enough to bypass Python's own allocator,
# so that each goes to the C heap's arena of its thread; then the process counts its arenas from glibc's malloc_info.
THREADS_THEN_COUNT = """
import ctypes, ctypes.util, sys, tempfile, threading
from pathlib import Path
if sys.argv[1] == "store":
    from graph.embedded_store import EmbeddedStore
    from graph.schema import default_schema
    EmbeddedStore(Path(sys.argv[2]) / "g.lbdb", default_schema(), buffer_pool_mb=64)
held = []
count = int(sys.argv[3])
alive = threading.Barrier(count)
def allocate():
    held.extend(bytearray(4096) for _ in range(200))
    alive.wait()  # no thread ends (giving its arena to the next) before all have allocated
threads = [threading.Thread(target=allocate) for _ in range(count)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
out = Path(sys.argv[2]) / "malloc_info.xml"
f = libc.fopen(str(out).encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(f))
libc.fclose(ctypes.c_void_p(f))
print(out.read_text().count("<heap nr="))
"""


def _arenas(tmp_path: Path, mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(THREADS_THEN_COUNT), mode, str(tmp_path), str(CORES + 2)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_threads_after_the_store_opens_share_at_most_one_arena_a_core(tmp_path: Path) -> None:
    without = _arenas(tmp_path, "plain")
    assert without > CORES  # the threads would each get an arena: the check below can fail
    assert _arenas(tmp_path, "store") <= CORES
