"""What one pass knows of the sheet's state, and what it leaves for the next (`idle.py` keeps
the state and decides what is idle): the version asked before reading, the read's answer and
its digest, each bound to the config, and the state noted after a clean pass, confirmed by one
more read when the pass wrote.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from datetime import datetime

from aduan_sync import idle
from aduan_sync.config import Config
from aduan_sync.errors import AduanSyncError
from aduan_sync.ledger import Ledger
from aduan_sync.pass_result import PassResult
from aduan_sync.sources.base import SheetSnapshot, Source

log = logging.getLogger(__name__)


class SheetWatch:
    """The idle bookkeeping of one pass over `source` (its counts go into `result`)."""

    def __init__(self, cfg: Config, ledger: Ledger, source: Source, result: PassResult) -> None:
        self.cfg, self.ledger, self.source, self.result = cfg, ledger, source, result

    def answer(self, snapshot: SheetSnapshot) -> str:
        """The read's answer as received (`SheetSnapshot.answer`), bound; "" when unknown."""
        return self.bind(f"answer:{snapshot.answer}") if snapshot.answer else ""

    def digest(self, snapshot: SheetSnapshot, answer: str, state: idle.IdleState | None
               ) -> str:
        """The values' digest, bound to this config. When the read came back byte for byte as
        the one the last clean pass noted, its digest is that pass's: nothing is decoded."""
        if answer and state is not None and answer == state.answer:
            return state.digest
        return self.bind(snapshot.digest)

    def version(self) -> str:
        """The sheet's version as the source tells it before any read, bound to this config;
        "" when the source cannot tell (the pass then reads, as always)."""
        asked = self.source.version()
        self.result.api_requests += asked.requests
        return self.bind(f"version:{asked.token}") if asked.token else ""

    def bind(self, token: str) -> str:
        """A digest or version bound to this config (a changed config is never idle)."""
        if not token:
            return ""
        conf = json.dumps(self.cfg.raw, sort_keys=True, default=str)
        return hashlib.sha256(f"{token}/{conf}".encode()).hexdigest()

    def report_idle(self, state: idle.IdleState | None, version: str = "",
                    answer: str = "") -> None:
        """Report the sheet as the last clean pass saw it. Unchanged values under a new version
        (moved by that pass's own write-back, or a format change): note the version, the one
        write an idle pass makes, so that the next pass need not read the sheet, and the
        read's answer, so that a pass that must read need not decode it."""
        assert state is not None
        r = self.result
        r.rows, r.problems, r.idle = state.rows, state.problems, True
        noted = replace(state, version=version or state.version, answer=answer or state.answer)
        if noted != state:
            idle.save(self.ledger, noted)

    def remember(self, digest: str, until: datetime, version: str, answer: str = "", *,
                 wrote: bool = False) -> None:
        """After a clean pass, note what the sheet now holds and when time next matters, so
        that the next passes can tell cheaply that they have nothing to do (`idle.py`).

        `version` was asked before the pass read the sheet. A pass that wrote (`digest` is
        then the one predicted after its write) has made it stale: it asks again and reads the
        sheet once more, and when the sheet holds exactly what it predicted, notes that newer
        version, so the next pass costs one request instead of a full read. Anything else (an
        edit during the pass, a version Drive will not tell) leaves a version that only costs
        the next pass a full read, never a missed change."""
        r = self.result
        if not digest or r.errors or r.mail_retry or r.attachments_pending:
            idle.forget(self.ledger)
            return
        if wrote:
            version, answer = self.confirm(digest) if version else ("", "")
        idle.save(self.ledger, idle.IdleState(digest, until, r.rows, r.problems, version,
                                              answer))

    def confirm(self, digest: str) -> tuple[str, str]:
        """The version under which the sheet holds `digest` (the pass's own write-back), asked
        before a confirming read, and that read's answer (`SheetSnapshot.answer`, bound);
        ("", "") when the read finds anything else, or fails: the pass's work is done, and the
        next pass reads in full."""
        version = self.version()
        if not version:
            return "", ""
        try:
            snapshot = self.source.read()
        except AduanSyncError as e:
            log.info("Pembacaan ulang setelah menulis gagal; proses berikutnya membaca lembar "
                     "kerja seluruhnya. %s", e.message, extra={"event": "confirm_read_failed"})
            return "", ""
        self.result.api_requests += snapshot.requests
        if self.bind(snapshot.digest) != digest:
            return "", ""
        return version, self.answer(snapshot)
