"""`memory.release_freed`: pages a step let go of go back to the system (glibc)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from aduan_sync.memory import release_freed

# In a child process: the test runner's own heap would blur the figures.
CHILD = r"""
from aduan_sync.memory import release_freed

def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])

texts = [("x" * 1000) + str(i) for i in range(100_000)]  # ~100 MB through malloc
pinned = ("y" * 1000) + str(len(texts))  # above them in the heap: free() cannot shrink it
before = rss_kb()
del texts
freed = rss_kb()
release_freed()
print(before, freed, rss_kb())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="malloc_trim is glibc's")
def test_memory_a_step_let_go_of_is_returned_to_the_system():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True).stdout
    before, freed, released = (int(x) for x in out.split())
    assert before - freed < 20_000  # free() kept most of the ~100 MB in the process
    assert freed - released > 60_000  # release_freed gave it back


def test_release_freed_is_harmless_when_nothing_was_freed():
    release_freed()
    release_freed()


ARENAS_CHILD = r"""
import ctypes, sys, threading
from aduan_sync.memory import limit_arenas

if sys.argv[1] == "limited":
    assert limit_arenas(2)
barrier = threading.Barrier(9)
kept = []

def work():
    kept.append(bytes(50_000))  # through malloc (above pymalloc, below mmap's threshold)
    barrier.wait()  # all alive at once: none hands its arena to the next
    barrier.wait()

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
barrier.wait()
libc = ctypes.CDLL(None)
libc.malloc_info(0, ctypes.c_void_p.in_dll(libc, "stdout"))
libc.fflush(None)
barrier.wait()
for t in threads:
    t.join()
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt(M_ARENA_MAX) is glibc's")
def test_threads_share_the_arenas_once_limited():
    def heaps(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", ARENAS_CHILD, mode], capture_output=True,
                             text=True, check=True).stdout
        return out.count("<heap nr=")

    assert heaps("default") > 2  # glibc: an arena per thread, up to 8 per core
    assert heaps("limited") <= 2
