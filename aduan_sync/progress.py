"""Progress bars for long interactive work (a first import of a big sheet, reports).

Silent by default: library code calls `track(...)` freely, and nothing is drawn unless the CLI
opened an `interactive()` block *and* stdout is a terminal. Cron, systemd, the daemon, pipes
and `--json` therefore never see a bar. Short work (fewer than `MIN_ITEMS`) gets no bar
either: a bar that flashes for a tenth of a second is noise.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")

#: Below this many items no bar is drawn.
MIN_ITEMS = 20
#: A bar is redrawn at most this often.
REFRESH_SECONDS = 0.1

_console: Console | None = None


def is_terminal(stream: TextIO) -> bool:
    """True when `stream` is a terminal (never trusting FORCE_COLOR-style overrides)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


@contextmanager
def interactive(stream: TextIO | None = None, enabled: bool = True) -> Iterator[bool]:
    """Within this block `track` draws bars on `stream` (stdout) if it is a terminal.

    Yields whether bars are on. `enabled=False` (e.g. `--json`) keeps them off.
    """
    global _console
    stream = stream or sys.stdout
    previous = _console
    on = enabled and is_terminal(stream)
    _console = Console(file=stream, force_terminal=True) if on else None
    try:
        yield on
    finally:
        _console = previous


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate over `items`, with a bar labelled `description` when bars are on."""
    console = _console
    if total is None:
        total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    if console is None or total is None or total < MIN_ITEMS:
        yield from items
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    # transient: the bar disappears when done, leaving only the command's own summary.
    # Redrawn from this loop, at most every REFRESH_SECONDS, never from a thread of its own:
    # with no other thread alive a pass may fork its rendering workers (fanout.py).
    with Progress(*columns, console=console, transient=True, auto_refresh=False) as progress:
        task = progress.add_task(description, total=total)
        drawn = time.monotonic()
        for done, item in enumerate(items, 1):
            yield item
            if time.monotonic() - drawn >= REFRESH_SECONDS or done == total:
                progress.update(task, completed=done)
                progress.refresh()
                drawn = time.monotonic()
