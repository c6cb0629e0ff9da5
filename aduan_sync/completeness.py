"""Completeness (part of SOP step 3): has the reporter given what staff need to act.

Pure functions over the form answers; words are compared as `text.tokens` and `text.skeleton`
make them, so "HALOOO min" is as empty as "halo min".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from aduan_sync import config
from aduan_sync.model import COMPLETE, INCOMPLETE_PREFIX
from aduan_sync.text import clean, skeleton, tokens, wordset

_LAUGH = re.compile(r"^(?:wk|ha|he|hi|hu|xi){2,}[a-z]?$")  # "wkwk", "hahaha"; not "hak"

#: Words that carry no complaint: greetings, politeness, fillers, tests (compared as skeletons).
_FILLER = wordset("""
    halo hallo helo hello hai hi hey pagi siang sore malam selamat met assalamualaikum
    asalamualaikum assalamu alaikum salam wr wb warahmatullahi wabarakatuh permisi punten
    nuwun sewu sugeng enjing sonten dalu matur suwun nggih njih inggih min admin mimin minn
    kak kakak pak bu bapak ibu mas mbak mba dik bang tes test testing tst coba cek ping p ok
    oke okay sip terima kasih makasih trims thanks thx tq mohon tolong maaf ya yah iya y
    dong deh sih kok nih tuh lah kah yuk dan di ke dari yang ini itu saya kami aku gue kita
    dengan untuk ada apa gimana bagaimana info infonya nanya tanya mau ingin bisa
""")
#: Words that stand for "no name" / "no address" in a form field.
_PLACEHOLDER = wordset("""
    anonim anonymous anon hamba allah alloh rahasia dirahasiakan tidak ada tanpa nama noname
    no name na nn null none kosong tes test testing coba asdf admin isi diisi disebutkan mau
    belum tau tahu
""")

MISSING_LABELS: dict[str, str] = {
    "name": "nama pelapor",
    "contact": "nomor HP/WhatsApp atau alamat email yang valid",
    "address": "desa atau alamat",
    "text": "isi aduan yang jelas",
}
"""Keys `check_completeness` reports as missing, with the Indonesian words the sheet shows."""

_PHONE_RUN = re.compile(r"\+?\d[\d \-.()]*\d")


def normalize_phone(text: str) -> str | None:
    """The first Indonesian mobile number in `text` in `08…` form, or None.

    Accepts 08…, +628…, 628…, +62 08… and 8… (Google Forms drops a leading zero when the
    answer is numeric), with spaces, dashes, dots and parentheses; 10–13 digits in `08…` form.
    """
    for run in _PHONE_RUN.findall(unicodedata.normalize("NFKC", clean(text or ""))):
        digits = re.sub(r"\D", "", run)
        if digits.startswith("62"):
            digits = digits[2:].removeprefix("0")
        elif digits.startswith("0"):
            digits = digits[1:]
        national = "0" + digits
        if re.fullmatch(r"08[1-9]\d{7,10}", national):
            return national
    return None


def is_valid_email(text: str) -> bool:
    """A plausible single email address (the same test as the config's)."""
    return config.is_valid_email((text or "").strip())


def _letters(text: str, ignore: frozenset[str]) -> int:
    """How many letters `text` has outside the words in `ignore`."""
    return sum(len(w) for w in tokens(text) if skeleton(w) not in ignore)


def _content_words(text: str) -> set[str]:
    """Distinct words of `text` that say something (no greetings, fillers, laughter)."""
    return {
        skeleton(w) for w in tokens(text)
        if len(w) >= 2 and skeleton(w) not in _FILLER and not _LAUGH.match(w)
    }


def _is_clear(text: str, location: str) -> bool:
    """Clear enough to act on: 3+ distinct content words, or 2 with a place given apart."""
    words = len(_content_words(text))
    return words >= 3 or (words == 2 and bool(_content_words(location)))


def check_completeness(answers: Mapping[str, str]) -> tuple[str, list[str]]:
    """`("Lengkap", [])`, or `("Perlu Klarifikasi: <what is missing>", [missing keys])`.

    `answers` is keyed by form-field key (`model.FORM_FIELDS`), values already text. Missing
    keys are those of `MISSING_LABELS`, in that order: a name (not "-", "anonim", "Hamba
    Allah"…), a usable contact (a valid mobile number or email), a desa or address, and a
    complaint text clear enough to act on (not only greetings, "tes", punctuation or emoji).
    """
    def get(key: str) -> str:
        return str(answers.get(key) or "")

    missing: list[str] = []
    if _letters(get("name"), _PLACEHOLDER) < 2:
        missing.append("name")
    phone, email = get("phone"), get("email")
    if not (normalize_phone(phone) or is_valid_email(email) or is_valid_email(phone)):
        missing.append("contact")
    if _letters(get("desa"), _PLACEHOLDER) < 3 and _letters(get("address"), _PLACEHOLDER) < 3:
        missing.append("address")
    if not _is_clear(get("text"), get("location")):
        missing.append("text")
    if not missing:
        return COMPLETE, []
    return f"{INCOMPLETE_PREFIX}: " + ", ".join(MISSING_LABELS[k] for k in missing), missing
