"""Give the memory a pass has let go back to the system.

CPython hands objects larger than 512 bytes (most of a complaint's texts and dicts) and
large buffers to the C library's `malloc`. After a first import's write-back lets go of its
records, the free pages stay in the process, scattered: the confirming read's ~17 MB answer
then does not fit in them and the process grows past what it ever held at once. glibc's
`malloc_trim` returns free pages, also from the middle of the heap. Elsewhere (musl, macOS)
this does nothing.

glibc also gives each thread that allocates its own arena (up to 8 per core) and keeps
each arena's free pages for it: a first import's download threads, running beside the
archive step, left 15-20 MB more resident at 50,000 rows. `limit_arenas` caps them.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

#: glibc's `mallopt` parameter for the most arenas (`M_ARENA_MAX` in malloc.h).
_M_ARENA_MAX = -8
#: Arenas a pass keeps: its threads (downloads) allocate under the GIL, one at a time.
ARENAS = 2


@functools.cache
def _libc_function(name: str) -> Callable[..., int] | None:
    try:
        return getattr(ctypes.CDLL(None), name)  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def limit_arenas(count: int = ARENAS) -> bool:
    """Let the C heap keep at most `count` arenas (threads then share them). Call it before
    threads start: arenas made already stay. False where it cannot be set (not glibc)."""
    mallopt = _libc_function("mallopt")
    return mallopt is not None and mallopt(_M_ARENA_MAX, count) == 1


def release_freed() -> None:
    """Return the C heap's free pages to the system (a few ms)."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)
