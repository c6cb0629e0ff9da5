"""A warm process that forks one pass process per request, so no pass pays Python's imports.

`python -m tests.crash.forkserver` imports the worker's modules once, says `ready` on stdout,
then for each JSON line on stdin (`{"argv": [...], "out": path, "err": path}`) forks a child
that runs exactly what `python -m aduan_sync ARGV...` runs (`runpy` on the `aduan_sync`
package, with stdout and stderr in the given files), answers `pid N`, waits for the child and
answers `exit CODE` (negative: killed by that signal). The harness kills the child by its pid
with SIGKILL; nothing here reaches into the product.

Importing the worker (which now pulls in matplotlib and fpdf through `rekap`) costs about as
much CPU as a pass; forking moves that cost out of every trial.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from typing import Any


def _warm_up() -> None:
    # What a pass imports, eagerly or lazily; anything missed is imported after the fork.
    import holidays.countries.indonesia  # noqa: F401  (loaded lazily by the calendar)

    import aduan_sync.cli  # noqa: F401
    import aduan_sync.mail.smtp  # noqa: F401
    import aduan_sync.passrun  # noqa: F401
    import aduan_sync.scheduler  # noqa: F401
    import aduan_sync.sources.gsheets  # noqa: F401
    import aduan_sync.sources.xlsx  # noqa: F401


def _say(text: str) -> None:
    os.write(1, (text + "\n").encode())


def _child(request: dict[str, Any]) -> None:
    """In the forked child: wire stdio to the files, run the CLI, exit with its code."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    code = 0
    try:
        sys.argv = ["aduan-sync", *request["argv"]]
        runpy.run_module("aduan_sync", run_name="__main__", alter_sys=True)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
    except BaseException:  # a crash of the worker is an outcome too: print it, exit 1
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def main() -> None:
    """Serve fork requests until stdin closes."""
    _warm_up()
    _say("ready")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        _say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"exit {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
