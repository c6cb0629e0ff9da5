"""Rendering the office's mail and the archived Formulir Aduan from the packaged templates."""

from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest

from aduan_sync.config import PACKAGED_TEMPLATES
from aduan_sync.mail import render
from aduan_sync.mail.render import (
    CITIZEN_KINDS,
    KINDS,
    STAFF_KINDS,
    make_environment,
    render_draft,
    render_formulir,
    render_message,
)
from aduan_sync.model import DEFAULT_CATEGORIES

NIK = "3313081203780001"
REGISTER = "007/ADUAN/XI/2026"
SHEET_URL = "https://docs.google.com/spreadsheets/d/abc/edit#gid=0&range=A8"


def complaint(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "register_no": REGISTER,
        "register_date": "28/11/2026 09:20",
        "submitted_at": "28/11/2026 09:15",
        "deadline": "30/11/2026 09:15",
        "category": "Infrastruktur dan Pembangunan",
        "unit": "Seksi Pemberdayaan Masyarakat Desa",
        "completeness": "Lengkap",
        "missing": [],
        "status": "Diteruskan ke PPID",
        "note": "",
        "name": "Sutrisno",
        "nik": NIK,
        "phone": "081234567890",
        "email": "sutrisno@example.com",
        "desa": "Balong",
        "address": "Dusun Krajan RT 02/RW 01",
        "channel": "Website",
        "text": "Jalan desa di Dusun Krajan longsor, mohon segera ditangani.",
        "location": "Jalan Balong - Anggrasmanis",
        "attachments": ["https://drive.google.com/open?id=foto1"],
        "extra": [["Pekerjaan", "Petani"]],
        "sheet_url": SHEET_URL,
        "answer": "Jalan telah diperbaiki bersama warga pada 27 November 2026.",
        "answer_date": "28/11/2026 10:00",
        "days_overdue": 2,
        "escalation": False,
    }
    base.update(over)
    return base


def context(**over: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "office": {
            "name": "Kecamatan Jenawi",
            "regency": "Kabupaten Karanganyar",
            "address": "Jl. Raya Jenawi No. 1, Karanganyar",
            "camat_name": "Drs. Sutarno, M.Si.",
        },
        "ppid": {"name": "Sri Lestari, S.Sos.", "email": "ppid@example.go.id"},
        "complaint": complaint(),
        "now": "28/11/2026 09:21",
    }
    ctx.update(over)
    return ctx


def digest_context(**over: Any) -> dict[str, Any]:
    ctx = context()
    del ctx["complaint"]
    ctx.update(
        date="28/11/2026",
        new=[complaint()],
        waiting=[complaint(register_no="005/ADUAN/XI/2026")],
        overdue=[complaint(register_no="002/ADUAN/XI/2026", days_overdue=3)],
        to_post=[
            complaint(
                register_no="004/ADUAN/XI/2026",
                channel="Instagram",
                answer="Lampu penerangan jalan telah diganti.\nTerima kasih.",
            )
        ],
        failed_messages=[
            {"register_no": "003/ADUAN/XI/2026", "kind": "receipt", "error": "550 no mailbox"}
        ],
    )
    ctx.update(over)
    return ctx


def ctx_for(kind: str) -> dict[str, Any]:
    return digest_context() if kind == "digest" else context()


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return make_environment(PACKAGED_TEMPLATES)


# --- every kind -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_subject_text_and_html_templates(kind: str) -> None:
    for suffix in ("subject", "txt", "html"):
        assert (PACKAGED_TEMPLATES / "mail" / f"{kind}.{suffix}.j2").is_file()


def test_every_packaged_template_compiles(env: jinja2.Environment) -> None:
    names = env.list_templates(extensions=["j2"])
    assert len(names) > 20
    for name in names:
        env.get_template(name)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_a_one_line_subject_text_and_html(
    env: jinja2.Environment, kind: str
) -> None:
    out = render_message(env, kind, ctx_for(kind))
    assert "\n" not in out.subject and out.subject == out.subject.strip()
    if kind == "digest":
        assert out.subject.startswith("[Aduan] Ringkasan harian 28 November 2026")
    else:
        assert out.subject.startswith(f"[Aduan {REGISTER}] ")
    assert out.text.strip() and out.text.endswith("\n")
    assert out.html.lstrip().startswith("<!DOCTYPE html>")
    assert "PEMERINTAH KABUPATEN KARANGANYAR" in out.html
    assert "KECAMATAN JENAWI" in out.html


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_from_an_empty_context(env: jinja2.Environment, kind: str) -> None:
    out = render_message(env, kind, {})
    assert out.subject
    assert "None" not in out.text and "None" not in out.html


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"digest"}))
def test_none_and_empty_values_never_print_as_none(env: jinja2.Environment, kind: str) -> None:
    blank: dict[str, Any] = {key: None for key in complaint()}
    blank["register_no"] = REGISTER
    out = render_message(env, kind, context(complaint=blank, ppid=None, office=None))
    assert "None" not in out.text and "None" not in out.html and "None" not in out.subject
    assert REGISTER in out.subject


def test_unknown_kind_is_refused(env: jinja2.Environment) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        render_message(env, "newsletter", context())


# --- citizen text is data -------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"digest"}))
def test_template_syntax_typed_by_a_citizen_comes_out_literally(
    env: jinja2.Environment, kind: str
) -> None:
    typed = "Tolong {{ 7*7 }} dan {% for x in range(3) %}ulang{% endfor %} {# komentar #}"
    c = complaint(text=typed, name="{{ config }}", answer="{{ ppid.email }}")
    out = render_message(env, kind, context(complaint=c))
    assert typed in out.text
    assert "49" not in out.text and "ulangulang" not in out.text
    assert "{{ 7*7 }}" in out.html and "{% for x in range(3) %}" in out.html
    if kind in CITIZEN_KINDS:
        assert "Bapak/Ibu {{ config }}" in out.text


def test_html_escapes_what_a_citizen_typed_and_text_keeps_it(env: jinja2.Environment) -> None:
    c = complaint(
        text='<script>alert("x")</script>\nbaris kedua',
        name="<b>Budi</b>",
        desa='Balong" onmouseover="x',
        extra=[["<i>Pertanyaan</i>", "<img src=x>"]],
    )
    out = render_message(env, "ppid_notification", context(complaint=c))
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert "<b>Budi</b>" not in out.html and "&lt;b&gt;Budi&lt;/b&gt;" in out.html
    assert "<img src=x>" not in out.html and "<i>Pertanyaan</i>" not in out.html
    assert 'onmouseover="x' not in out.html
    assert "&lt;/script&gt;<br>\nbaris kedua" in out.html  # line breaks kept, escaped
    assert '<script>alert("x")</script>\nbaris kedua' in out.text


def test_subject_collapses_newlines_and_runs_of_whitespace(env: jinja2.Environment) -> None:
    c = complaint(desa="Balong\r\nBcc: x@evil.com", category="Infrastruktur   dan\tPembangunan")
    out = render_message(env, "ppid_notification", context(complaint=c))
    assert out.subject == (
        f"[Aduan {REGISTER}] Aduan baru: Infrastruktur dan Pembangunan"
        " - Desa Balong Bcc: x@evil.com"
    )


# --- who sees what ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CITIZEN_KINDS))
def test_citizen_mails_never_echo_the_nik(env: jinja2.Environment, kind: str) -> None:
    out = render_message(env, kind, context())
    for part in (out.subject, out.text, out.html):
        assert NIK not in part
        assert "NIK" not in part


@pytest.mark.parametrize("kind", ["ppid_notification", "unit_notification", "reminder"])
def test_staff_mails_show_every_answer_unmasked(env: jinja2.Environment, kind: str) -> None:
    out = render_message(env, kind, context())
    for part in (out.text, out.html):
        for value in (NIK, "081234567890", "sutrisno@example.com", "Dusun Krajan RT 02/RW 01"):
            assert value in part
        assert "Pekerjaan" in part and "Petani" in part
        assert "https://drive.google.com/open?id=foto1" in part


@pytest.mark.parametrize("kind", sorted(STAFF_KINDS))
def test_staff_mails_link_to_the_row_in_the_sheet(env: jinja2.Environment, kind: str) -> None:
    out = render_message(env, kind, ctx_for(kind))
    assert SHEET_URL in out.text
    assert f'href="{SHEET_URL.replace("&", "&amp;")}"' in out.html


def test_staff_mail_has_no_sheet_link_without_a_url(env: jinja2.Environment) -> None:
    out = render_message(env, "ppid_notification", context(complaint=complaint(sheet_url="")))
    assert "Google Sheet:" not in out.text
    assert "Buka baris aduan" not in out.html


def test_a_non_http_sheet_url_is_never_made_a_link(env: jinja2.Environment) -> None:
    bad = complaint(sheet_url="javascript:alert(1)")
    out = render_message(env, "ppid_notification", context(complaint=bad))
    assert "javascript:" not in out.html and "javascript:" not in out.text


# --- content per kind -------------------------------------------------------------------


def test_ppid_notification_carries_complaint_classification_deadline_and_draft(
    env: jinja2.Environment,
) -> None:
    out = render_message(env, "ppid_notification", context())
    assert out.subject == (
        f"[Aduan {REGISTER}] Aduan baru: Infrastruktur dan Pembangunan - Desa Balong"
    )
    text = out.text
    assert "Yth. Sri Lestari, S.Sos." in text
    assert "Jalan desa di Dusun Krajan longsor, mohon segera ditangani." in text
    assert "Kategori            : Infrastruktur dan Pembangunan" in text
    assert "Unit Tujuan         : Seksi Pemberdayaan Masyarakat Desa" in text
    assert "Batas Waktu         : Senin, 30 November 2026 pukul 09.15 WIB" in text
    assert "DRAF TANGGAPAN" in text
    assert "peninjauan lapangan" in text  # the infrastructure draft
    assert "di lokasi yang Bapak/Ibu sebutkan (Jalan Balong - Anggrasmanis)" in text
    assert "peninjauan lapangan" in out.html


def test_ppid_notification_lists_what_an_incomplete_complaint_misses(
    env: jinja2.Environment,
) -> None:
    c = complaint(
        completeness="Perlu Klarifikasi: nama pelapor, kontak",
        missing=["Nama pelapor", "Nomor HP/WhatsApp atau alamat email yang valid"],
        email="",
    )
    out = render_message(env, "ppid_notification", context(complaint=c))
    assert out.subject.endswith("(perlu klarifikasi)")
    assert "  - Nama pelapor" in out.text
    assert "Nomor HP/WhatsApp atau alamat email yang valid" in out.html
    # Without an email the answer is posted by the admin on the complaint's channel.
    assert "disampaikan oleh Admin Website dan Media Sosial melalui kanal Website" in out.text


@pytest.mark.parametrize("category", DEFAULT_CATEGORIES)
def test_each_default_category_has_its_own_formal_draft(
    env: jinja2.Environment, category: str
) -> None:
    path = PACKAGED_TEMPLATES / "drafts" / f"{render.slug(category)}.txt.j2"
    assert path.is_file()
    draft = render_draft(env, context(complaint=complaint(category=category)))
    assert "Bapak/Ibu" in draft and "{{" not in draft
    assert "None" not in draft


def test_drafts_differ_by_category(env: jinja2.Environment) -> None:
    drafts = {
        render_draft(env, context(complaint=complaint(category=c))) for c in DEFAULT_CATEGORIES
    }
    assert len(drafts) == len(DEFAULT_CATEGORIES)


def test_an_unknown_or_empty_category_falls_back_to_the_lainnya_draft(
    env: jinja2.Environment,
) -> None:
    lainnya = render_draft(env, context(complaint=complaint(category="Lainnya")))
    assert render_draft(env, context(complaint=complaint(category="Pariwisata"))) == lainnya
    assert render_draft(env, context(complaint=complaint(category=""))) == lainnya


def test_receipt_gives_the_register_number_and_the_complaint(env: jinja2.Environment) -> None:
    out = render_message(env, "receipt", context())
    assert out.subject == f"[Aduan {REGISTER}] Tanda terima aduan"
    assert out.text.startswith("Yth. Bapak/Ibu Sutrisno\n")
    assert f"Nomor Register      : {REGISTER}" in out.text
    assert "Buku Register Aduan" in out.text
    assert "Jalan desa di Dusun Krajan longsor" in out.html


def test_receipt_without_a_name_addresses_the_reporter_formally(env: jinja2.Environment) -> None:
    out = render_message(env, "receipt", context(complaint=complaint(name="")))
    assert out.text.startswith("Yth. Bapak/Ibu Pelapor\n")


def test_clarification_request_names_each_missing_item(env: jinja2.Environment) -> None:
    c = complaint(
        completeness="Perlu Klarifikasi: nama, desa",
        missing=["Nama lengkap pelapor", "Desa atau alamat lengkap"],
    )
    out = render_message(env, "clarification_request", context(complaint=c))
    assert out.subject == f"[Aduan {REGISTER}] Permohonan kelengkapan data aduan"
    assert "  1. Nama lengkap pelapor\n  2. Desa atau alamat lengkap\n" in out.text
    assert "Sri Lestari, S.Sos." in out.text  # signed by the PPID's name
    assert "<li>Nama lengkap pelapor</li>" in out.html
    assert "<li>Desa atau alamat lengkap</li>" in out.html


def test_clarification_request_falls_back_to_the_completeness_text(
    env: jinja2.Environment,
) -> None:
    c = complaint(completeness="Perlu Klarifikasi: kontak pelapor", missing=[])
    out = render_message(env, "clarification_request", context(complaint=c))
    assert "  1. Kontak pelapor\n" in out.text


def test_missing_labels_start_with_a_capital_and_keep_the_rest(env: jinja2.Environment) -> None:
    c = complaint(missing=["nomor HP/WhatsApp atau alamat email yang valid"])
    out = render_message(env, "clarification_request", context(complaint=c))
    assert "  1. Nomor HP/WhatsApp atau alamat email yang valid\n" in out.text
    assert "<li>Nomor HP/WhatsApp atau alamat email yang valid</li>" in out.html


@pytest.mark.parametrize("kind", ["ppid_notification", "digest", "reminder", "receipt"])
def test_a_ppid_configured_by_role_is_named_once(env: jinja2.Environment, kind: str) -> None:
    ctx = ctx_for(kind)
    ctx["ppid"] = {"name": "PPID Pelaksana Kecamatan Jenawi", "email": "ppid@example.go.id"}
    out = render_message(env, kind, ctx)
    assert out.text.count("PPID Pelaksana Kecamatan Jenawi") == 1
    assert "Petugas" not in out.text
    if kind != "receipt":
        assert out.text.startswith("Yth. PPID Pelaksana Kecamatan Jenawi")


def test_answer_wraps_the_staff_answer_with_formal_opening_and_closing(
    env: jinja2.Environment,
) -> None:
    c = complaint(answer="Baris pertama <tanggapan>.\nBaris kedua.")
    out = render_message(env, "answer", context(complaint=c))
    assert out.subject == f"[Aduan {REGISTER}] Tanggapan atas aduan Bapak/Ibu"
    text = out.text
    assert text.startswith("Jenawi, 28 November 2026\n\nYth. Bapak/Ibu Sutrisno\n\nDengan hormat,")
    assert f"Nomor Register {REGISTER}" in text
    assert "Baris pertama <tanggapan>.\nBaris kedua." in text
    assert text.index("Dengan hormat") < text.index("Baris pertama") < text.index("Hormat kami")
    assert "Baris pertama &lt;tanggapan&gt;.<br>\nBaris kedua." in out.html


def test_reminder_goes_to_the_ppid_and_names_the_delay(env: jinja2.Environment) -> None:
    out = render_message(env, "reminder", context())
    assert out.subject == (
        f"[Aduan {REGISTER}] Pengingat: aduan belum ditanggapi, melewati batas waktu 2 hari"
    )
    assert out.text.startswith("Yth. Sri Lestari, S.Sos.\n")
    assert "telah berakhir pada Senin, 30 November 2026 pukul 09.15 WIB (2 hari yang lalu)" in (
        out.text
    )


@pytest.mark.parametrize("where", ["complaint", "top"])
def test_reminder_with_escalation_is_addressed_to_the_camat(
    env: jinja2.Environment, where: str
) -> None:
    if where == "complaint":
        ctx = context(complaint=complaint(escalation=True))
    else:
        ctx = context(escalation=True)
    out = render_message(env, "reminder", ctx)
    assert out.subject.startswith(f"[Aduan {REGISTER}] Eskalasi:")
    assert out.text.startswith("Yth. Camat Jenawi\nDrs. Sutarno, M.Si.\n")
    assert "Mohon arahan Bapak/Ibu Camat" in out.text
    assert "Yth. Camat Jenawi<br>Drs. Sutarno, M.Si." in out.html


def test_digest_lists_every_section_with_counts(env: jinja2.Environment) -> None:
    out = render_message(env, "digest", digest_context())
    assert out.subject == (
        "[Aduan] Ringkasan harian 28 November 2026: 1 baru, 1 menunggu tanggapan, "
        "1 melewati batas waktu, 1 pesan gagal"
    )
    text = out.text
    for heading in (
        "1. ADUAN BARU (1)",
        "2. MENUNGGU TANGGAPAN (1)",
        "3. MELEWATI BATAS WAKTU (1)",
        "4. TANGGAPAN YANG PERLU DIUNGGAH DI MEDIA SOSIAL (1)",
        "5. PESAN GAGAL TERKIRIM (1)",
    ):
        assert heading in text and heading in out.html
    assert "005/ADUAN/XI/2026" in text and "(terlambat 3 hari)" in text
    assert "kanal Instagram" in text and "     Lampu penerangan jalan telah diganti.\n" in text
    assert "003/ADUAN/XI/2026 | Tanda terima | 550 no mailbox" in text
    assert "Tanda terima: 550 no mailbox" in out.html


def test_an_empty_digest_says_there_is_nothing(env: jinja2.Environment) -> None:
    out = render_message(
        env,
        "digest",
        digest_context(new=[], waiting=[], overdue=[], to_post=[], failed_messages=[]),
    )
    assert "Tidak ada aduan baru." in out.text
    assert "Tidak ada pesan yang gagal terkirim." in out.html
    assert "pesan gagal" not in out.subject


# --- office templates over the packaged ones -------------------------------------------


def test_office_template_overrides_and_missing_ones_fall_back(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "receipt.subject.j2").write_text(
        "[Aduan {{ complaint.register_no }}] Bukti penerimaan\n", encoding="utf-8"
    )
    env = make_environment(tmp_path)
    out = render_message(env, "receipt", context())
    assert out.subject == f"[Aduan {REGISTER}] Bukti penerimaan"
    assert "Buku Register Aduan" in out.text  # text and HTML still the packaged ones


def test_office_draft_overrides_the_packaged_draft(tmp_path: Path) -> None:
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "infrastruktur-dan-pembangunan.txt.j2").write_text(
        "Draf kantor untuk Desa {{ complaint.desa }}.", encoding="utf-8"
    )
    out = render_message(make_environment(tmp_path), "ppid_notification", context())
    assert "Draf kantor untuk Desa Balong." in out.text


def test_a_typo_in_an_office_template_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "receipt.subject.j2").write_text(
        "[Aduan {{ complaint.register_nomor }}]", encoding="utf-8"
    )
    with pytest.raises(jinja2.UndefinedError):
        render_message(make_environment(tmp_path), "receipt", context())


def test_autoescape_only_for_html_templates(tmp_path: Path) -> None:
    (tmp_path / "x.html.j2").write_text("{{ v }}", encoding="utf-8")
    (tmp_path / "x.txt.j2").write_text("{{ v }}", encoding="utf-8")
    (tmp_path / "x.subject.j2").write_text("{{ v }}", encoding="utf-8")
    env = make_environment(tmp_path)
    assert env.get_template("x.html.j2").render(v="<b>") == "&lt;b&gt;"
    assert env.get_template("x.txt.j2").render(v="<b>") == "<b>"
    assert env.get_template("x.subject.j2").render(v="<b>") == "<b>"


# --- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 11, 28, 9, 15), "28 November 2026"),
        (date(2026, 1, 1), "1 Januari 2026"),
        ("28/11/2026 09:15", "28 November 2026"),
        ("05/08/2026", "5 Agustus 2026"),
        ("2026-02-14", "14 Februari 2026"),
        ("", ""),
        (None, ""),
        ("besok sore", "besok sore"),
    ],
)
def test_tanggal_gives_indonesian_long_dates(value: object, expected: str) -> None:
    assert render.tanggal(value) == expected


def test_tanggal_with_day_name_and_waktu_with_time() -> None:
    assert render.tanggal("30/11/2026 09:15", hari=True) == "Senin, 30 November 2026"
    assert render.tanggal(date(2026, 11, 29), hari=True) == "Minggu, 29 November 2026"
    assert render.waktu("30/11/2026 09:05") == "30 November 2026 pukul 09.05 WIB"
    assert render.waktu("30/11/2026") == "30 November 2026"
    assert render.waktu(datetime(2026, 8, 17, 7, 0), hari=True) == (
        "Senin, 17 Agustus 2026 pukul 07.00 WIB"
    )


def test_nl2br_escapes_and_keeps_line_breaks() -> None:
    assert str(render.nl2br("a < b\r\nc & d\ne")) == "a &lt; b<br>\nc &amp; d<br>\ne"


def test_formulir_shows_letterhead_register_every_answer_hash_and_classification(
    env: jinja2.Environment,
) -> None:
    c = complaint(
        sha256="ab" * 32,
        extra=[["Pekerjaan", "Petani"], ["Usia", "54"]],
        text="Jalan longsor <b>parah</b> {{ 7*7 }}",
    )
    html = render_formulir(env, context(complaint=c))
    assert html.startswith("<!DOCTYPE html>")
    for needle in (
        "PEMERINTAH KABUPATEN KARANGANYAR",
        "KECAMATAN JENAWI",
        "Jl. Raya Jenawi No. 1, Karanganyar",
        "FORMULIR ADUAN MASYARAKAT",
        REGISTER,
        "28 November 2026 pukul 09.20 WIB",
        NIK,
        "081234567890",
        "sutrisno@example.com",
        "Dusun Krajan RT 02/RW 01",
        "<tr><th>Usia</th><td>54</td></tr>",
        "ab" * 32,
        "Infrastruktur dan Pembangunan",
        "Seksi Pemberdayaan Masyarakat Desa",
        "Diteruskan ke PPID",
        "Jalan longsor &lt;b&gt;parah&lt;/b&gt; {{ 7*7 }}",
        "@media print",
    ):
        assert needle in html, needle
    # Self-contained: no external stylesheet, script or image.
    assert "<link" not in html and "<script" not in html and "<img" not in html


def test_normalize_context_does_not_modify_the_callers_dicts() -> None:
    ctx = context(complaint={"register_no": REGISTER, "name": None})
    before = copy.deepcopy(ctx)
    render.normalize_context(ctx)
    assert ctx == before


def test_a_long_digest_lists_the_first_complaints_and_counts_them_all():
    from aduan_sync.config import PACKAGED_TEMPLATES
    from aduan_sync.mail.render import make_environment, render_message

    new = [{"register_no": f"{i:03d}/ADUAN/XI/2026", "category": "Lainnya", "text": "x"}
           for i in range(1, 101)]
    ctx = {"office": {"name": "Kecamatan Jenawi"}, "now": "24/11/2026 07:30",
           "totals": {"new": 2500, "waiting": 0, "overdue": 0, "to_post": 0},
           "new": new, "waiting": [], "overdue": [], "to_post": [], "failed_messages": []}
    out = render_message(make_environment(PACKAGED_TEMPLATES), "digest", ctx)
    assert "2500 baru" in out.subject
    assert "ADUAN BARU (2500)" in out.text and "dan 2400 aduan lainnya" in out.text
    assert "dan 2400 aduan lainnya" in out.html
    assert "100/ADUAN/XI/2026" in out.text and "101/ADUAN" not in out.text


def test_the_shared_environment_takes_up_a_changed_template_at_the_next_call(tmp_path: Path
                                                                              ) -> None:
    """The daemon keeps one environment all day; Jinja2 itself never re-checks the files
    (`auto_reload` off), so `environment()` does, once a call (once a pass)."""
    import os

    from aduan_sync.messages import environment

    (tmp_path / "mail").mkdir()
    subject = tmp_path / "mail" / "receipt.subject.j2"
    subject.write_text("[Aduan {{ complaint.register_no }}] Bukti A\n", encoding="utf-8")
    env = environment(tmp_path)
    assert env.auto_reload is False
    assert render_message(env, "receipt", context()).subject.endswith("Bukti A")
    assert environment(tmp_path) is env  # nothing changed: the compiled templates are kept
    subject.write_text("[Aduan {{ complaint.register_no }}] Bukti B\n", encoding="utf-8")
    os.utime(subject, ns=(1, 1))  # even a clock that did not move: the time differs
    again = environment(tmp_path)
    assert again is not env
    assert render_message(again, "receipt", context()).subject.endswith("Bukti B")
    assert render_message(env, "receipt", context()).subject.endswith("Bukti A")  # as loaded
    (tmp_path / "mail" / "receipt.txt.j2").write_text("Teks kantor.\n", encoding="utf-8")
    text = render_message(environment(tmp_path), "receipt", context()).text
    assert text.strip() == "Teks kantor."


def test_dotted_names_read_a_dicts_keys_and_still_its_methods(tmp_path: Path) -> None:
    """`x.key` looks the key up first (the environment's fast path for the plain-dict
    context); a dict's methods are still found when no key has their name, and a missing
    key still fails loudly."""
    (tmp_path / "x.txt.j2").write_text(
        "{{ d.name }}|{{ d.items | join(',') }}|{{ e.items() | list | length }}",
        encoding="utf-8")
    env = make_environment(tmp_path)
    out = env.get_template("x.txt.j2").render(d={"name": "Sari", "items": ["a", "b"]},
                                             e={"k": 1})
    assert out == "Sari|a,b|1"
    (tmp_path / "y.txt.j2").write_text("{{ d.nama }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("y.txt.j2").render(d={"name": "Sari"})
