"""The delivery loop over the real SQLite ledger's outbox, into a real aiosmtpd server."""

from __future__ import annotations

import email.policy
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aduan_sync.ledger import Ledger
from aduan_sync.mail.deliver import DeliveryReport, default_backoff, deliver_pending
from aduan_sync.mail.outbox import OutboxTransport
from aduan_sync.mail.smtp import SmtpTransport
from aduan_sync.mail.transport import Refused
from aduan_sync.records import QueuedMessage
from tests.smtpserver import HOST, Recorder, SmtpServer, Tls, dead_port, make_tls

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=JAKARTA)
SENDER = "ppid.jenawi@example.go.id"
PPID = "ppid@example.go.id"
UNIT = "trantib@example.go.id"


class Crash(BaseException):
    """The process dying (kill -9, power cut): nothing catches it."""


def mid(n: int) -> str:
    return f"<aduan.{n:03d}-ADUAN-XI-2026.ppid@jenawi.test>"


def queue(ledger: Ledger, n: int, recipients: Sequence[str] = (PPID,), *,
          body: str | None = None, eml: bytes | None = None) -> None:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = SENDER
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = f"[Aduan {n:03d}/ADUAN/XI/2026] Aduan baru"
    msg["Message-ID"] = mid(n)
    msg.set_content(body or f"Aduan nomor {n} menunggu tindak lanjut PPID.\n")
    queued = QueuedMessage(message_id=mid(n), kind="ppid", recipients=list(recipients),
                           subject=str(msg["Subject"]), eml=eml or msg.as_bytes())
    with ledger.transaction() as db:
        assert ledger.queue_message(db, queued, complaint_id=None,
                                    register_no=f"{n:03d}/ADUAN/XI/2026", now=NOW)


def state(ledger: Ledger) -> dict[str, tuple[str, int]]:
    """Message-ID -> (status, attempts)."""
    return {m.message_id: (m.status, m.attempts) for m in ledger.messages()}


def received_ids(server: SmtpServer) -> list[str]:
    return [str(r.message["Message-ID"]) for r in server.received]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "data" / "ledger.sqlite3") as led:
        yield led


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    return make_tls(tmp_path)


@pytest.fixture
def server(tls: Tls) -> Iterator[SmtpServer]:
    with SmtpServer("starttls", tls=tls) as s:
        yield s


def smtp(server_or_port: SmtpServer | int, tls: Tls | None = None, **kw: Any) -> SmtpTransport:
    port = server_or_port if isinstance(server_or_port, int) else server_or_port.port
    kw.setdefault("security", "starttls" if tls else "none")
    return SmtpTransport(HOST, port, sender=SENDER, ca_file=tls.ca_file if tls else None,
                         timeout=5, local_hostname="worker.jenawi.test", **kw)


def run(ledger: Ledger, transport: Any, now: datetime = NOW, max_attempts: int = 8,
        **kw: Any) -> DeliveryReport:
    with transport as t:
        return deliver_pending(ledger, t, now=now, max_attempts=max_attempts, **kw)


def test_two_passes_deliver_each_message_exactly_once(
    ledger: Ledger, server: SmtpServer, tls: Tls
) -> None:
    for n in (1, 2, 3):
        queue(ledger, n)
    first = run(ledger, smtp(server, tls))
    second = run(ledger, smtp(server, tls), NOW + timedelta(minutes=5))
    assert (first.sent, first.ok) == (3, True)
    assert second == DeliveryReport()
    assert received_ids(server) == [mid(1), mid(2), mid(3)]
    assert server.recorder.sessions == 1  # one connection for the pass, none for the empty one
    assert state(ledger) == {mid(n): ("sent", 1) for n in (1, 2, 3)}


def test_server_down_for_a_pass_loses_nothing_and_the_next_pass_delivers_all(
    ledger: Ledger,
) -> None:
    for n in (1, 2, 3):
        queue(ledger, n)
    port = dead_port()
    down = run(ledger, smtp(port))
    assert (down.sent, down.retried, down.deferred) == (0, 1, 2)
    assert "tidak dapat dihubungi" in down.stopped
    assert ledger.outbox_counts() == {"queued": 3}  # the backlog `status` shows in between
    assert state(ledger) == {mid(1): ("queued", 1), mid(2): ("queued", 0), mid(3): ("queued", 0)}

    with SmtpServer("plain", port=port) as server:
        early = run(ledger, smtp(port), NOW + timedelta(minutes=1))  # message 1 not due yet
        later = run(ledger, smtp(port), NOW + timedelta(minutes=5))
    assert (early.sent, later.sent) == (2, 1)
    assert sorted(received_ids(server)) == [mid(1), mid(2), mid(3)]
    assert ledger.outbox_counts() == {"sent": 3}


def test_transient_refusals_back_off_then_fail_after_max_attempts(ledger: Ledger) -> None:
    recorder = Recorder(data_replies=["450 4.2.0 Mailbox busy"] * 10)
    queue(ledger, 1)
    with SmtpServer("plain", recorder=recorder) as server:
        def attempt(minutes: int) -> DeliveryReport:
            return run(ledger, smtp(server), NOW + timedelta(minutes=minutes), max_attempts=3,
                       backoff=lambda attempts: timedelta(minutes=10 * attempts))

        assert attempt(0).retried == 1
        assert attempt(9) == DeliveryReport()  # not due before NOW + 10 min
        assert attempt(10).retried == 1
        assert ledger.messages()[0].next_attempt_at == NOW + timedelta(minutes=30)
        last = attempt(30)
    assert (last.failed, last.retried) == (1, 0)
    msg = ledger.messages()[0]
    assert (msg.status, msg.attempts) == ("failed", 3)
    assert "450" in msg.last_error and "batas tercapai" in msg.last_error
    assert [e["kind"] for e in ledger.events()] == ["mail_failed"]
    assert server.received == []


def test_permanent_refusal_fails_at_once_and_the_pass_goes_on(ledger: Ledger) -> None:
    recorder = Recorder(data_replies=["554 5.6.0 Message content rejected"])
    queue(ledger, 1)
    queue(ledger, 2)
    with SmtpServer("plain", recorder=recorder) as server:
        report = run(ledger, smtp(server))
    assert (report.sent, report.failed) == (1, 1)
    assert "554" in report.errors[mid(1)]
    assert state(ledger) == {mid(1): ("failed", 1), mid(2): ("sent", 1)}
    assert received_ids(server) == [mid(2)]


def test_421_stops_the_pass_and_leaves_the_other_messages_untouched(ledger: Ledger) -> None:
    recorder = Recorder(mail_replies=["421 4.3.2 Service shutting down"])
    for n in (1, 2, 3):
        queue(ledger, n)
    with SmtpServer("plain", recorder=recorder) as server:
        report = run(ledger, smtp(server))
    assert (report.retried, report.deferred, report.sent) == (1, 2, 0)
    assert "421" in report.stopped
    assert state(ledger) == {mid(1): ("queued", 1), mid(2): ("queued", 0), mid(3): ("queued", 0)}


def test_login_refused_stops_the_pass_and_is_retried_not_failed(
    ledger: Ledger, tls: Tls
) -> None:
    recorder = Recorder(accounts={"ppid.jenawi": "benar"})
    queue(ledger, 1)
    queue(ledger, 2)
    with SmtpServer("starttls", tls=tls, recorder=recorder) as server:
        report = run(ledger, smtp(server, tls, username="ppid.jenawi", password="salah"))
    assert (report.retried, report.failed, report.deferred) == (1, 0, 1)
    assert "Login ke server SMTP ditolak" in report.stopped
    assert state(ledger) == {mid(1): ("queued", 1), mid(2): ("queued", 0)}


def test_one_refused_recipient_is_reported_and_the_message_counts_as_sent(
    ledger: Ledger,
) -> None:
    recorder = Recorder(refuse_rcpt={"hilang@example.go.id": "550 5.1.1 No such user"})
    queue(ledger, 1, [PPID, "hilang@example.go.id", UNIT])
    with SmtpServer("plain", recorder=recorder) as server:
        report = run(ledger, smtp(server))
        again = run(ledger, smtp(server), NOW + timedelta(hours=1))
    assert report.sent == 1 and not report.ok
    assert report.refused == {mid(1): {"hilang@example.go.id": "550 5.1.1 No such user"}}
    assert "hilang@example.go.id" in report.errors[mid(1)]
    assert again == DeliveryReport()  # never resent to the ones who accepted it
    assert server.received[0].rcpt_tos == [PPID, UNIT]


class DyingLedger(Ledger):
    """The real ledger, but the process dies at `mark_sent` of message `die_at`."""

    die_at = 2

    def mark_sent(self, msg_id: int, now: datetime) -> None:
        if msg_id == self.die_at:
            raise Crash
        super().mark_sent(msg_id, now)


class DyingTransport(SmtpTransport):
    """A transport whose process dies before transmitting message `die_at`'s data."""

    def send(self, msg: EmailMessage, recipients: Sequence[str]) -> Refused:
        if msg["Message-ID"] == mid(2):
            raise Crash
        return super().send(msg, recipients)


@pytest.mark.parametrize(("where", "duplicates"), [("after-accept", 1), ("before-send", 0)])
def test_a_crash_in_the_send_window_resends_only_that_message(
    tmp_path: Path, where: str, duplicates: int
) -> None:
    path = tmp_path / "ledger.sqlite3"
    with SmtpServer("plain") as server:
        with (DyingLedger if where == "after-accept" else Ledger)(path) as dying:
            for n in (1, 2, 3):
                queue(dying, n)
            transport = DyingTransport if where == "before-send" else SmtpTransport
            with pytest.raises(Crash):
                run(dying, transport(HOST, server.port, security="none", sender=SENDER))
        with Ledger(path) as ledger:  # the next pass, a fresh process
            assert state(ledger)[mid(2)] == ("sending", 1)
            assert state(ledger)[mid(3)] == ("queued", 0)
            report = run(ledger, smtp(server), NOW + timedelta(minutes=5))
            assert state(ledger) == {mid(1): ("sent", 1), mid(2): ("sent", 2), mid(3): ("sent", 1)}
    assert (report.sent, report.resent_after_crash) == (2, 1)
    counts = Counter(received_ids(server))
    assert counts == {mid(1): 1, mid(2): 1 + duplicates, mid(3): 1}


def test_a_message_that_keeps_crashing_the_worker_ends_as_failed(ledger: Ledger) -> None:
    queue(ledger, 1)
    queue(ledger, 2)
    for _ in range(3):  # three passes died while sending message 1
        ledger.mark_sending(1, NOW)
    ledger.mark_sending(2, NOW)  # message 2 died once, at its last allowed attempt
    ledger.mark_sending(2, NOW)
    with SmtpServer("plain") as server:
        report = run(ledger, smtp(server), max_attempts=2)
    assert (report.failed, report.sent, report.resent_after_crash) == (1, 1, 1)
    assert state(ledger) == {mid(1): ("failed", 3), mid(2): ("sent", 3)}
    assert received_ids(server) == [mid(2)]


def test_queued_message_over_a_lowered_limit_fails_without_being_sent(ledger: Ledger) -> None:
    queue(ledger, 1)
    ledger.mark_sending(1, NOW)
    ledger.mark_retry(1, "450 busy", NOW)
    report = run(ledger, smtp(dead_port()), max_attempts=1)  # would raise if it connected
    assert (report.failed, report.stopped) == (1, "")
    assert state(ledger) == {mid(1): ("failed", 1)}


BODY = (
    "Yth. Bapak/Ibu PPID,\n\nAduan dari Sri Rahayu Ngadiyem 🙏:\n"
    "«Jalan di Dusun Ngrambe berlubang — mohon segera diperbaiki» 🚧\n"
)


def test_stored_utf8_message_is_sent_as_stored(ledger: Ledger) -> None:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = SENDER
    msg["To"] = PPID
    msg["Subject"] = "[Aduan 001/ADUAN/XI/2026] Aduan baru — Ngrambe 🚧"
    msg["Message-ID"] = mid(1)
    msg.set_content(BODY, cte="8bit")
    queue(ledger, 1, eml=msg.as_bytes())
    with SmtpServer("plain") as server:
        assert run(ledger, smtp(server)) == DeliveryReport(sent=1)
    got = server.received[0]
    assert got.message["Subject"] == "[Aduan 001/ADUAN/XI/2026] Aduan baru — Ngrambe 🚧"
    assert got.message.get_content().replace("\r\n", "\n") == BODY
    assert "BODY=8BITMIME" in got.mail_options


def test_header_smuggled_into_a_stored_message_adds_no_recipient(ledger: Ledger) -> None:
    base = EmailMessage(policy=email.policy.SMTP)
    base["From"] = SENDER
    base["To"] = PPID
    base["Subject"] = "Aduan"
    base["Message-ID"] = mid(1)
    base.set_content("isi\n")
    eml = base.as_bytes().replace(b"Subject: Aduan\r\n",
                                  b"Subject: Aduan\r\nBcc: penyusup@evil.test\r\n")
    queue(ledger, 1, eml=eml)
    with SmtpServer("plain") as server:
        assert run(ledger, smtp(server)).sent == 1
    assert server.received[0].rcpt_tos == [PPID]
    assert b"penyusup" not in server.received[0].data


def test_outbox_backend_over_two_passes_writes_each_message_once(
    ledger: Ledger, tmp_path: Path
) -> None:
    for n in (1, 2):
        queue(ledger, n)
    outbox = tmp_path / "outbox"
    first = run(ledger, OutboxTransport(outbox))
    second = run(ledger, OutboxTransport(outbox), NOW + timedelta(hours=1))
    assert (first.sent, second.sent) == (2, 0)
    assert len(list(outbox.iterdir())) == 2


def test_unexpected_transport_bug_propagates_and_leaves_one_message_sending(
    ledger: Ledger,
) -> None:
    class Broken(OutboxTransport):
        def send(self, msg: EmailMessage, recipients: Sequence[str]) -> Refused:
            raise TypeError("bug")

        def send_raw(self, eml: bytes, message_id: str, recipients: Sequence[str], *,
                     durable: bool = True) -> Refused:
            raise TypeError("bug")

    queue(ledger, 1)
    queue(ledger, 2)
    with pytest.raises(TypeError):
        run(ledger, Broken(Path("/nonexistent")))
    assert state(ledger) == {mid(1): ("sending", 1), mid(2): ("queued", 0)}


def test_default_backoff_doubles_from_five_minutes_up_to_six_hours() -> None:
    assert [default_backoff(a) for a in (1, 2, 3, 7, 8, 30)] == [
        timedelta(minutes=m) for m in (5, 10, 20, 320, 360, 360)
    ]


# -- the outbox folder: batches written, synced once, then marked sent ---------------------------


class CountingOutbox(OutboxTransport):
    """The real outbox transport, counting its syncs and failing on chosen messages."""

    def __init__(self, folder: Path, fail: dict[str, BaseException] | None = None) -> None:
        super().__init__(folder)
        self.flushes = 0
        self.fail = fail or {}

    def send_raw(self, eml: bytes, message_id: str, recipients: Sequence[str], *,
                 durable: bool = True) -> Refused:
        if message_id in self.fail:
            raise self.fail[message_id]
        return super().send_raw(eml, message_id, recipients, durable=durable)

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_outbox_batches_sync_once_per_batch_and_send_everything(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aduan_sync.mail.deliver.BATCH", 4)
    for n in range(1, 11):
        queue(ledger, n)
    outbox = CountingOutbox(tmp_path / "outbox")
    report = run(ledger, outbox)
    assert (report.sent, report.deferred, outbox.flushes) == (10, 0, 3)  # 4 + 4 + 2
    assert set(state(ledger).values()) == {("sent", 1)}
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 10


def test_outbox_full_mid_batch_stops_and_requeues_the_untried_untouched(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aduan_sync.errors import MailConnectionError

    monkeypatch.setattr("aduan_sync.mail.deliver.BATCH", 4)
    for n in range(1, 11):
        queue(ledger, n)
    full = MailConnectionError("Folder outbox tidak dapat ditulisi.")
    report = run(ledger, CountingOutbox(tmp_path / "outbox", {mid(6): full}))
    st = state(ledger)
    # 1-5 written and sent; 6 refused by the disk: retried later; 7, 8 (its batch) and
    # 9, 10 (never started) queued with no attempt counted.
    assert [st[mid(n)] for n in range(1, 6)] == [("sent", 1)] * 5
    assert st[mid(6)] == ("queued", 1)
    assert [st[mid(n)] for n in range(7, 11)] == [("queued", 0)] * 4
    assert (report.sent, report.retried, report.deferred) == (5, 1, 4)
    assert report.stopped
    later = run(ledger, CountingOutbox(tmp_path / "outbox"), NOW + timedelta(hours=1))
    assert later.sent == 5
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 10


def test_outbox_bug_mid_batch_keeps_what_was_written_and_leaves_one_sending(
    ledger: Ledger, tmp_path: Path
) -> None:
    for n in range(1, 6):
        queue(ledger, n)
    with pytest.raises(TypeError):
        run(ledger, CountingOutbox(tmp_path / "outbox", {mid(3): TypeError("bug")}))
    st = state(ledger)
    assert (st[mid(1)], st[mid(2)], st[mid(3)]) == (("sent", 1), ("sent", 1), ("sending", 1))
    assert (st[mid(4)], st[mid(5)]) == (("queued", 0), ("queued", 0))


def test_outbox_batch_killed_before_its_sync_is_written_again_without_a_duplicate(
    ledger: Ledger, tmp_path: Path
) -> None:
    class DiesBeforeSync(CountingOutbox):
        def flush(self) -> None:
            raise Crash

    for n in range(1, 4):
        queue(ledger, n)
    with pytest.raises(Crash):
        run(ledger, DiesBeforeSync(tmp_path / "outbox"))
    assert set(state(ledger).values()) == {("sending", 1)}
    report = run(ledger, CountingOutbox(tmp_path / "outbox"), NOW + timedelta(minutes=5))
    assert (report.sent, report.resent_after_crash) == (3, 3)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3  # the same three files, rewritten with the same bytes
