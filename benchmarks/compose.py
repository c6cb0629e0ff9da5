"""Composing one message, alone: `python -m benchmarks.compose [--messages N]`.

Issue 9 leaves about 1.5 ms per complaint for registering, archiving and rendering it, and a
complaint yields about 1.3 messages; this measures the part that turns a rendered message into
the bytes the ledger stores. The messages are the packaged templates rendered for complaints
of 2–6 KB of Indonesian text, from a citizen whose name has accents and an emoji.
Prints the CPU time per message (best of `--rounds`; CPU time, since other work on the
machine would blur wall-clock figures) of `compose_bytes` and of the stdlib composer it
replaced (an `EmailMessage` turned into bytes), kept in the tests as their reference.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from aduan_sync.config import PACKAGED_TEMPLATES
from aduan_sync.mail import Rendered, make_environment, render_message
from aduan_sync.mail.compose import compose_bytes

WIB = timezone(timedelta(hours=7))
WHEN = datetime(2026, 11, 28, 9, 21, tzinfo=WIB)
SENTENCES = [
    "Jalan di Dusun Ngrayudan rusak berat dan licin saat hujan, banyak warga terjatuh.",
    "Lampu penerangan jalan di depan balai desa sudah padam sejak dua minggu yang lalu.",
    "Mohon Bapak/Ibu segera menindaklanjuti karena anak-anak lewat sini setiap pagi 🙏.",
    "Saluran air tersumbat sampah sehingga rumah warga di RT 03/RW 02 tergenang.",
    "Pelayanan KTP-el di kantor kecamatan lambat; antrean sampai siang hari.",
]
NAMES = ["Ṣūryā Dewi Rahayu 🙏", "Bambang Sutejo, S.Pd.", "Siti Nur'aini", "R. Ngt. \"Tien\""]
KINDS = ["receipt", "ppid_notification", "unit_notification", "clarification_request"]


def corpus(n: int) -> list[tuple[Rendered, str]]:
    """`n` rendered messages (and their citizen's name), of 2–6 KB of complaint text."""
    env = make_environment(PACKAGED_TEMPLATES)
    out = []
    for i in range(n):
        size = 2000 + (i * 397) % 4000
        text = ""
        while len(text.encode()) < size:
            text += SENTENCES[(i + len(text)) % len(SENTENCES)] + (" " if i % 3 else "\n")
        name = NAMES[i % len(NAMES)]
        ctx = {
            "office": {"name": "Kecamatan Jenawi", "regency": "Karanganyar",
                       "address": "Jl. Raya Jenawi", "camat_name": "Drs. Sutarno"},
            "ppid": {"name": "PPID Kecamatan Jenawi", "email": "ppid.jenawi@example.go.id"},
            "complaint": {"register_no": f"{i + 1:03d}/ADUAN/XI/2026", "name": name,
                          "desa": "Balong", "text": text, "category": "Infrastruktur",
                          "missing": ["Alamat"] if i % 4 == 3 else []},
            "now": "28/11/2026 09:21",
        }
        out.append((render_message(env, KINDS[i % len(KINDS)], ctx), name))
    return out


def per_message(compose: Callable[[Rendered, str, int], bytes], items: list[tuple[Rendered, str]],
                rounds: int) -> float:
    """Best of `rounds` mean CPU seconds per message."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for i, (rendered, name) in enumerate(items):
            compose(rendered, name, i)
        best = min(best, (time.process_time() - start) / len(items))
    return best


def _args(name: str, i: int) -> dict[str, Any]:
    return {"sender": "ppid.jenawi@example.go.id", "sender_name": "PPID Kecamatan Jenawi",
            "to": [(name, "warga@example.com")], "reply_to": "ppid.jenawi@example.go.id",
            "message_id": f"<aduan.{i:05d}.receipt.0123456789ab@example.go.id>", "date": WHEN}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    items = corpus(opts.messages)
    size = sum(len(r.text.encode()) + len(r.html.encode()) for r, _ in items) / len(items)
    print(f"{len(items)} messages, text + HTML {size / 1024:.1f} KB on average")
    candidates: dict[str, Callable[[Rendered, str, int], bytes]] = {
        "compose_bytes (now)": lambda r, n, i: compose_bytes(r, **_args(n, i)),
    }
    try:  # the composer it replaced, kept as the tests' reference
        from tests.test_compose_equivalence import old_compose
    except ImportError:  # tests not shipped
        pass
    else:
        candidates["EmailMessage + bytes() (before)"] = lambda r, n, i: old_compose(
            r, **_args(n, i)
        )
    for label, fn in candidates.items():
        cost = per_message(fn, items, opts.rounds)
        print(f"{label:<32} {cost * 1000:7.3f} ms per message")


if __name__ == "__main__":
    main()
