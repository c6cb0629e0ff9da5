"""Deterministic response sheets of any size, varied from the demo's sample complaints.

Row `i` of a sheet of `n` rows takes sample `i % 40` of `demo_data.demo_rows` and varies it by
`k = i // 40`: its own timestamp, a reporter surname, email, NIK and phone number of its own,
an opening and closing sentence around the sample's text, and Drive files of its own where
the sample has an upload (`attachment_ids` lists them, to be put on the fake Drive). Empty
cells stay empty (a skipped question stays skipped), so the
mix of complete and incomplete reports, channels and categories is the demo's.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aduan_sync.defaults import TIMEZONE
from aduan_sync.demo_data import DEMO_HEADERS, demo_rows

HEADERS: list[str] = list(DEMO_HEADERS)
#: The responses arrive evenly over this span before `now`: every complaint is new and still
#: within the PPID's working day, so a pass sends notifications but no overdue reminders, and
#: the idle pass that follows has nothing at all to do, whatever the number of rows.
SPAN = timedelta(hours=12)

_SURNAMES = ("Wibowo", "Lestari", "Susanto", "Handayani", "Purnomo", "Rahayu", "Saputra",
             "Wulandari", "Nugroho", "Pratiwi", "Hidayat", "Kusuma")
_OPENINGS = ("", "Selamat siang.", "Mohon maaf mengganggu.", "Dengan hormat,",
             "Assalamualaikum.", "Permisi, mau lapor.")
_CLOSINGS = ("", "Terima kasih.", "Mohon tindak lanjutnya.", "Matur nuwun.",
             "Kami tunggu kabarnya.")
_EMAIL = re.compile(r"^([^@]+)@(.+)$")
_DRIVE_ID = re.compile(r"([?&]id=)([A-Za-z0-9_-]+)")


def _vary_phone(phone: object, k: int) -> object:
    """A reporter of their own: the last four digits move with `k`, the format stays."""
    if isinstance(phone, int):
        return phone - phone % 10_000 + (phone % 10_000 + 37 * k) % 10_000
    text = str(phone)
    digits = [j for j, ch in enumerate(text) if ch.isdigit()][-4:]
    if len(digits) < 4:
        return phone
    last = int("".join(text[j] for j in digits))
    new = f"{(last + 37 * k) % 10_000:04d}"
    chars = list(text)
    for j, ch in zip(digits, new, strict=True):
        chars[j] = ch
    return "".join(chars)


def _vary(row: list[object], k: int) -> list[object]:
    """Sample `row` as the `k`-th reporter with a similar complaint would have sent it."""
    (_, email, name, nik, phone, desa, address, channel, text, location, attachment) = row
    if k:
        m = _EMAIL.match(str(email))
        email = f"{m.group(1)}.{k}@{m.group(2)}" if m else email
        name = f"{name} {_SURNAMES[k % len(_SURNAMES)]}" if name else name
        nik = nik + k if isinstance(nik, int) else nik  # type: ignore[operator]
        phone = _vary_phone(phone, k)
        opening = _OPENINGS[k % len(_OPENINGS)]
        closing = _CLOSINGS[(k // len(_OPENINGS)) % len(_CLOSINGS)]
        text = " ".join(part for part in (opening, str(text), closing) if part)
        location = f"{location}, titik {k % 9 + 1}" if location else location
        attachment = _DRIVE_ID.sub(lambda m: f"{m.group(1)}{m.group(2)}x{k}", str(attachment))
    return [None, email, name, nik, phone, desa, address, channel, text, location, attachment]


def sheet_rows(n: int, now: datetime) -> list[list[object]]:
    """`n` response rows, oldest first, spread over the `SPAN` before `now` (naive local
    timestamps to the second, as Google Forms writes them; large sheets share seconds)."""
    local_now = now.astimezone(ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0)
    samples = demo_rows(datetime(2026, 1, 5, 9, 0))
    out: list[list[object]] = []
    for i in range(n):
        row = _vary(list(samples[i % len(samples)]), i // len(samples))
        row[0] = local_now - timedelta(seconds=int(SPAN.total_seconds()) * (n - i) // n)
        out.append(row)
    return out


def attachment_ids(rows: list[list[object]]) -> list[str]:
    """Every Drive file id the rows link to, in order, each once."""
    ids = (m.group(2) for row in rows for m in _DRIVE_ID.finditer(str(row[-1] or "")))
    return list(dict.fromkeys(ids))


def attachment_bytes(file_id: str) -> bytes:
    """A small, deterministic stand-in for an uploaded photo (JPEG magic, 3-6 KiB)."""
    seed = sum(file_id.encode())
    body = bytes((seed + 31 * i) % 251 for i in range(3072 + seed % 3072))
    return b"\xff\xd8\xff\xe0" + body + b"\xff\xd9"
