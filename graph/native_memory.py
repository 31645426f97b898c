"""The C heap of a process that runs LadybugDB: how many arenas glibc's allocator may keep, and giving freed pages
back to the system.

glibc gives each new thread that allocates its own heap arena, up to eight per core, and a page freed in one arena
is kept for that arena's later use. LadybugDB's worker threads allocate and free a great deal while they write: at
scale 150 (bench/rss_parts.py) the embedded write then held about 1.9 GB of freed C heap beside a 2 GiB buffer
pool, and with the arenas capped at the cores' number it held none of it (peak of the write 3,843 → about
1,960 MB, the same time). glibc settles its limit once, the first time a process has more than eight arenas: the cap
must come before that, so graph/embedded_store.py sets it when it is imported, before any store's threads start.
Other C libraries (musl, macOS) have no such arenas: nothing is done there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


@functools.cache
def _libc_function(name: str) -> Callable[..., Any] | None:
    library = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(library), name) if library else None
    except (OSError, AttributeError):  # not glibc: its allocator has no such call
        return None


def cap_malloc_arenas(arenas: int) -> bool:
    """At most ``arenas`` heap arenas from now on (threads started later share them); whether the C library took
    the cap. Without effect once the process had more than eight arenas (glibc's limit is then settled)."""
    mallopt = _libc_function("mallopt")
    done = bool(mallopt(M_ARENA_MAX, max(1, arenas))) if mallopt is not None else False
    if not done:
        log.debug("the C library took no arena cap")
    return done


def trim_heap() -> None:
    """Hand the C heap's freed pages back to the system (every arena's)."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)
