"""Completeness (SOP step 3): what a complaint needs before the PPID can act on it, and the
Indonesian note that asks the reporter for what is missing."""

from __future__ import annotations

import pytest

from aduan_sync.completeness import (
    MISSING_LABELS,
    check_completeness,
    is_valid_email,
    normalize_phone,
)
from tests.test_classify import COMPLETE_ANSWERS, _answers


def test_complete_answers_are_lengkap():
    assert check_completeness(COMPLETE_ANSWERS) == ("Lengkap", [])


@pytest.mark.parametrize("name", ["", "   ", "-", "Anonim", "Hamba Allah", "\u200b\u200b", "X"])
def test_missing_or_placeholder_name_needs_clarification(name):
    text, missing = check_completeness(_answers(name=name))
    assert missing == ["name"]
    assert text == "Perlu Klarifikasi: nama pelapor"


def test_name_with_invisible_characters_still_counts():
    assert check_completeness(_answers(name="\u202eBudi\u200b Santoso"))[1] == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "081234567890"),
        ("0812-3456-7890", "081234567890"),
        ("0812 3456 7890", "081234567890"),
        ("+62 812-3456-7890", "081234567890"),
        ("+6281234567890", "081234567890"),
        ("6281234567890", "081234567890"),
        ("81234567890", "081234567890"),  # Google Forms dropped the leading zero
        ("+62 0812 3456 7890", "081234567890"),
        ("WA: 0857.1234.567", "08571234567"),
        ("０８１２３４５６７８９０", "081234567890"),  # fullwidth digits
        ("0812345678", "0812345678"),  # 10 digits: the shortest valid
        ("0812345678901", "0812345678901"),  # 13 digits: the longest valid
        ("081234567", None),  # 9 digits
        ("08123456789012", None),  # 14 digits
        ("0271 123456", None),  # landline, not HP/WhatsApp
        ("+1 415 555 0100", None),
        ("0800-1234-567", None),  # no 080x mobile prefix
        ("0812-ABCD-7890", None),
        ("", None),
        ("tidak punya", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("email", "valid"),
    [("warga@example.com", True), (" warga.balong@mail.co.id ", True), ("warga@", False),
     ("warga example.com", False), ("a@b.c", False), ("x@y.com\r\nBcc: z@w.com", False)],
)
def test_is_valid_email(email, valid):
    assert is_valid_email(email) is valid


def test_no_usable_contact_needs_clarification():
    text, missing = check_completeness(_answers(phone="123", email="warga@"))
    assert missing == ["contact"]
    assert text == "Perlu Klarifikasi: nomor HP/WhatsApp atau alamat email yang valid"


@pytest.mark.parametrize(
    "contact",
    [{"phone": "81234567890", "email": ""}, {"phone": "+62 812 3456 7890", "email": ""},
     {"phone": "", "email": "warga@example.com"}, {"phone": "-", "email": "warga@example.com"},
     {"phone": "warga@example.com", "email": ""}],
)
def test_one_usable_contact_is_enough(contact):
    assert check_completeness(_answers(**contact))[1] == []


def test_desa_or_address_either_is_enough():
    assert check_completeness(_answers(address=""))[1] == []
    assert check_completeness(_answers(desa=""))[1] == []
    assert check_completeness(_answers(desa="", address="-"))[1] == ["address"]


@pytest.mark.parametrize(
    "text",
    ["", "tes", "Test 123", "halo min", "Haloooo miiin", "p", "???!!!", "😡😡😡🙏",
     "Assalamualaikum, selamat pagi admin 🙏", "wkwkwk", "coba coba", "info dong kak",
     "rusak rusak rusak", "a" * 40_000],
)
def test_text_without_a_clear_complaint_needs_clarification(text):
    result, missing = check_completeness(_answers(text=text, location=""))
    assert missing == ["text"]
    assert result == "Perlu Klarifikasi: isi aduan yang jelas"


def test_two_words_are_clear_only_with_a_location():
    assert check_completeness(_answers(text="Jalan longsor", location=""))[1] == ["text"]
    assert check_completeness(_answers(text="Jalan longsor", location="Dusun Tlogo"))[1] == []


def test_everything_missing_lists_each_item_in_order():
    text, missing = check_completeness({"text": "halo min"})
    assert missing == ["name", "contact", "address", "text"]
    assert text == "Perlu Klarifikasi: " + ", ".join(MISSING_LABELS[k] for k in missing)
