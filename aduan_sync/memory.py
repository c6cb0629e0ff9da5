"""Give the memory a pass has let go back to the system.

CPython hands objects larger than 512 bytes (most of a complaint's texts and dicts) and
large buffers to the C library's `malloc`. After a first import's write-back lets go of its
records, the free pages stay in the process, scattered: the confirming read's ~17 MB answer
then does not fit in them and the process grows past what it ever held at once. glibc's
`malloc_trim` returns free pages, also from the middle of the heap. Elsewhere (musl, macOS)
this does nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def release_freed() -> None:
    """Return the C heap's free pages to the system (a few ms)."""
    trim = _trim()
    if trim is not None:
        trim(0)
