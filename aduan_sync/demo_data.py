"""Sample complaints for `aduan-sync demo`: a Google Form response sheet of Kecamatan Jenawi.

The rows look like what Google Forms writes (Indonesian-language form): naive timestamps in
Asia/Jakarta, phone numbers as numbers without their leading zero and NIKs as 16-digit numbers
when the question was numeric, empty cells where a reporter skipped a question. Complaints that
arrive on social media are typed in by the admin, so they often lack an email or a NIK. Emails
use example domains only. Everything is deterministic for a given `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aduan_sync.defaults import TIMEZONE

#: Headers of the response sheet as an Indonesian-language Google Form names them.
DEMO_HEADERS: list[str] = [
    "Cap waktu",
    "Alamat email",
    "Nama Lengkap",
    "NIK",
    "Nomor HP/WhatsApp",
    "Desa",
    "Alamat Lengkap",
    "Kanal Aduan",
    "Isi Aduan",
    "Lokasi Kejadian",
    "Lampiran",
]

_DRIVE = "https://drive.google.com/open?id="


@dataclass(frozen=True)
class _Sample:
    """One complaint, `day` days before today at `clock` ("06:12:41"). `day == 0` means
    earlier today, at the fraction `clock` ("0.35") of the day so far (see `_timestamp`)."""

    day: int
    clock: str
    email: str
    name: str
    nik: int | str
    phone: int | str
    desa: str
    address: str
    channel: str
    text: str
    location: str
    attachment: str
    category: str


# Categories, spelled once (they must equal model.DEFAULT_CATEGORIES).
INFO = "Informasi Publik"
ADM = "Pelayanan Administrasi"
INFRA = "Infrastruktur dan Pembangunan"
TIBUM = "Ketentraman dan Ketertiban"
SOS = "Kesejahteraan Sosial"
DESA = "Pemerintahan Desa"
BENCANA = "Lingkungan dan Kebencanaan"
APARAT = "Kepegawaian dan Perilaku Aparatur"
LAIN = "Lainnya"

# In the order Google Forms received them (oldest first).
# fmt: off
_SAMPLES: tuple[_Sample, ...] = (
    _Sample(9, "06:12:41", "sutrisno.balong@example.com", "Sutrisno", 3313171203780001,
            81225431876, "Balong", "Dusun Krajan RT 02/RW 01, Balong", "Website",
            "Selamat pagi. Jalan desa dari Dusun Krajan ke arah Balong atas rusak parah, "
            "aspalnya mengelupas dan banyak lubang besar. Kalau hujan jadi kubangan dan minggu "
            "ini sudah dua pengendara motor jatuh. Mohon segera diperbaiki.",
            "Jalan Krajan - Balong atas, dekat masjid", f"{_DRIVE}1Kx7JalanBalong01", INFRA),
    _Sample(9, "19:47:03", "", "Wartini", "", "0857-2510-3344", "Menjing",
            "RT 01/RW 03 Menjing", "WhatsApp",
            "lampu pju di tikungan dekat makam menjing mati sudah 2 minggu, bengi peteng banget "
            "rawan kecelakaan. tlg disampaikan ke desa atau pln",
            "Tikungan dekat makam Menjing", "", INFRA),
    _Sample(8, "08:03:55", "agus.setiawan@example.net", "Agus Setiawan", 3313170908850002,
            81329441187, "Jenawi", "Dusun Ngasem RT 03/RW 02, Jenawi", "Website",
            "Saya sudah melakukan perekaman KTP-el di kantor kecamatan bulan Agustus, tetapi "
            "sampai sekarang KTP belum jadi. Setiap kali ditanyakan jawabannya blangko habis. "
            "Mohon kejelasan kapan KTP saya bisa dicetak.",
            "Kantor Kecamatan Jenawi", "", ADM),
    _Sample(8, "21:15:20", "", "Ngadiyem", "", 85647112903, "Anggrasmanis",
            "Dusun Tlogo RT 02, Anggrasmanis", "WhatsApp",
            "Nyuwun sewu, tebing di belakang rumah warga RT 02 longsor semalam setelah hujan "
            "deras. Tanahnya menimpa kandang dan dapur Pak Paiman. Di atasnya masih ada retakan, "
            "warga takut ada longsor susulan.",
            "Belakang rumah Pak Paiman, Dusun Tlogo", f"{_DRIVE}1Tb9LongsorTlogo, "
            f"{_DRIVE}1Tb9LongsorTlogo2", BENCANA),
    _Sample(7, "07:30:12", "sri.wahyuni@example.com", "Sri Wahyuni", 3313175505800003,
            "0813 9087 6654", "Sidomukti", "Dusun Sumber RT 01/RW 01, Sidomukti", "Website",
            "Saya janda dengan dua anak dan tidak punya pekerjaan tetap, tetapi tidak pernah "
            "mendapat BLT maupun PKH. Sementara ada tetangga yang rumahnya bagus malah dapat. "
            "Mohon pendataan ulang karena bantuan tidak tepat sasaran.",
            "", "", SOS),
    _Sample(7, "12:44:09", "", "@wahyu_lawu", "", "", "Jenawi", "", "Instagram",
            "tiap malam minggu ada balap liar di jalan raya jenawi deket pasar, knalpot brong "
            "sampe jam 2 pagi. warga ga bisa istirahat min 😡",
            "Jalan raya depan Pasar Jenawi", "", TIBUM),
    _Sample(7, "20:05:48", "lestari.ningsih@example.com", "Lestari Ningsih", 3313176107900004,
            81548823190, "Lempong", "Dusun Gondang RT 04/RW 02, Lempong", "Website",
            "Dengan hormat, sesuai Undang-Undang Keterbukaan Informasi Publik saya mengajukan "
            "permohonan informasi berupa salinan APBDes Lempong tahun anggaran 2026 beserta "
            "laporan realisasi tahun anggaran sebelumnya. Terima kasih.",
            "Kantor Desa Lempong", "", INFO),
    _Sample(6, "05:58:31", "", "Bambang Riyanto", 3313170303750005, 82134509877, "Gumeng",
            "Dusun Banaran RT 01/RW 04, Gumeng", "WhatsApp",
            "Lapor, tadi malam motor warga di Dusun Banaran hilang dicuri di depan rumah. Bulan "
            "ini sudah tiga kali kejadian kemalingan. Mohon ronda malam diaktifkan lagi dan "
            "patroli ditambah.",
            "Dusun Banaran, Gumeng", "", TIBUM),
    _Sample(6, "10:21:16", "heru.prasetyo@example.net", "Heru Prasetyo", 3313171511880006,
            "0812-2987-4410", "Seloromo", "Dusun Wonosari RT 03/RW 01, Seloromo", "Website",
            "Air Pamsimas di RT 03 Seloromo tidak mengalir sudah lima hari. Katanya pipa induk "
            "bocor di atas, tapi belum ada perbaikan. Warga terpaksa ambil air dari mata air "
            "pakai jeriken.",
            "Jaringan pipa Pamsimas RT 03 Seloromo", "", INFRA),
    _Sample(6, "16:40:02", "", "Mbah Kartosemito", "", "", "Seloromo",
            "Dusun Wonosari RT 01, Seloromo", "Facebook",
            "Nyuwun pirsa, simbah kula umur 78 tahun tinggal piyambakan. Kartu KIS BPJS-ipun kok "
            "dinonaktifkan, pas berobat ke puskesmas disuruh bayar. Mohon dibantu.",
            "", "", SOS),
    _Sample(5, "07:12:55", "teguh.santoso@example.com", "Teguh Santoso", 3313172207820007,
            81393320148, "Trengguli", "Dusun Ngledok RT 02/RW 02, Trengguli", "Website",
            "Jembatan kayu penghubung Dusun Ngledok dengan jalan usaha tani sudah lapuk dan "
            "goyang kalau dilewati. Anak sekolah setiap hari lewat situ. Mohon dibangun jembatan "
            "permanen sebelum ada korban.",
            "Jembatan kayu Dusun Ngledok", f"{_DRIVE}1Jm4JembatanNgledok", INFRA),
    _Sample(5, "13:08:27", "", "Suparmi", "", 87836671205, "Balong",
            "RT 03/RW 01 Balong", "WhatsApp",
            "mau tanya syarat ngurus akta kelahiran anak yg lahir di rumah, soalnya bidannya "
            "sudah pindah. apa bisa diurus di kecamatan?",
            "", "", ADM),
    _Sample(5, "22:36:44", "", "", "", "", "", "", "Instagram",
            "min tolong ditindaklanjuti ya 🙏🙏", "", "", LAIN),
    _Sample(4, "06:50:19", "joko.purnomo@example.com", "Joko Purnomo", 3313170112790008,
            "0857 4321 9988", "Jenawi", "Dusun Krajan RT 05/RW 01, Jenawi", "Website",
            "Sampah menumpuk di pinggir kali dekat pertigaan Jenawi, banyak yang buang sampah "
            "plastik sembarangan. Baunya menyengat dan kalau hujan sampahnya hanyut ke sungai.",
            "Pinggir kali dekat pertigaan Jenawi", f"{_DRIVE}1Sp2SampahKali", BENCANA),
    _Sample(4, "09:27:33", "tri.handayani@example.net", "Tri Handayani", 3313174404860009,
            81227765430, "Anggrasmanis", "Dusun Sidorejo RT 01/RW 03, Anggrasmanis",
            "Instagram",
            "Kartu Keluarga saya salah tulis nama ibu. Sudah dua kali bolak balik ke kecamatan "
            "tapi disuruh ke Dukcapil Karanganyar. Sebenarnya pembetulan bisa di mana?",
            "", "", ADM),
    _Sample(4, "15:52:08", "", "Slamet Widodo", 3313170606700010, 81326654781, "Menjing",
            "Dusun Krajan RT 02/RW 02, Menjing", "Facebook",
            "Pengisian perangkat desa untuk jabatan kaur keuangan di Desa Menjing tidak "
            "transparan. Hasil ujian tidak ditempel di balai desa dan nilai peserta tidak pernah "
            "dibuka. Mohon kecamatan meminta klarifikasi panitia.",
            "Balai Desa Menjing", "", DESA),
    _Sample(3, "07:05:40", "dimas.aji@example.com", "Dimas Aji Pangestu", "", 89612340987,
            "Gumeng", "Dusun Gumeng Lor RT 01/RW 01, Gumeng", "X",
            "@kecjenawi pohon tumbang nutup jalan gumeng-jenawi gara2 angin kencang sore ini, "
            "mobil gak bisa lewat. mohon bantuan evakuasi 🙏",
            "Jalan Gumeng - Jenawi km 3", f"{_DRIVE}1Ph5PohonGumeng", BENCANA),
    _Sample(3, "10:14:57", "rini.astuti@example.com", "Rini Astuti", 3313174809840011,
            "0823-2890-1172", "Lempong", "Dusun Gondang RT 02/RW 02, Lempong", "Website",
            "Anak saya sudah kelas 5 SD dan kami keluarga tidak mampu, tetapi dana PIP anak "
            "saya tidak pernah cair padahal teman-temannya sudah. Mohon dicek ke mana harus "
            "mengurus.",
            "", "", SOS),
    _Sample(3, "16:48:02", "ngatini.w@example.net", "Ngatini", "", "", "", "", "Website",
            "Jalannya rusak lagi padahal baru diperbaiki tahun lalu, tolong segera ditangani.",
            "", "", INFRA),
    _Sample(3, "19:33:21", "", "Suyatno", "", 81567702311, "Trengguli",
            "Dusun Ngledok RT 04, Trengguli", "WhatsApp",
            "Ada sekelompok pemuda sering mabuk-mabukan minum ciu di pos ronda Ngledok sampai "
            "larut malam, kemarin malah sampai berkelahi. Warga resah.",
            "Pos ronda Dusun Ngledok", "", TIBUM),
    _Sample(2, "06:45:10", "purwanto.balong@example.net", "Purwanto", 3313171010810012,
            "0813-2577-0091", "Balong", "Dusun Tegalrejo RT 01/RW 02, Balong", "Website",
            "Ada kegiatan penambangan batu dan pasir di lereng atas Dusun Tegalrejo. Truk "
            "pengangkut lewat setiap hari, debunya sampai ke rumah. Kami khawatir lereng jadi "
            "rawan longsor saat musim hujan.",
            "Lereng atas Dusun Tegalrejo", f"{_DRIVE}1Tm8TambangBalong", BENCANA),
    _Sample(2, "09:02:47", "", "Endang Lestari", 3313175012830013, 85290013477,
            "Anggrasmanis", "Dusun Tlogo RT 03, Anggrasmanis", "WhatsApp",
            "Hari Senin saya mengantar ibu saya yang sudah sepuh ke kantor kecamatan. Petugas "
            "yang berjaga bersikap tidak ramah dan membentak ibu saya hanya karena bertanya. "
            "Mohon pegawai tersebut dibina.",
            "Kantor Kecamatan Jenawi", "", APARAT),
    _Sample(2, "11:38:05", "budisantoso@example,com", "Budi Santoso", 3313171705910014, "",
            "Sidomukti", "Dusun Sumber RT 02, Sidomukti", "Website",
            "Proyek rabat beton jalan di Dusun Sumber kok mangkrak? Sudah dua bulan material "
            "batu dan pasir cuma ditumpuk di pinggir dalan, menghalangi kendaraan.",
            "Jalan Dusun Sumber, Sidomukti", "", INFRA),
    _Sample(2, "14:20:30", "", "Suwarno", "", "0271 495 123", "Gumeng",
            "Dusun Banaran RT 02, Gumeng", "Facebook",
            "Kepala dusun di tempat kami mewajibkan iuran Rp50.000 per rumah untuk acara bersih "
            "desa, tanpa musyawarah warga dan tanpa laporan penggunaannya. BPD juga tidak tahu.",
            "Dusun Banaran, Gumeng", "", DESA),
    _Sample(2, "20:11:54", "", "Yuli Kristanti", "", 81904567321, "Seloromo",
            "Dusun Ngasinan RT 01, Seloromo", "WhatsApp",
            "Nyuwun sewu, wonten oknum ingkang nyuwun uang rokok Rp100 ribu supados berkas "
            "kula cepet diproses. Menawi mboten maringi, berkase dipun tilar.",
            "", "", APARAT),
    _Sample(1, "06:30:18", "marsono.menjing@example.com", "Marsono", 3313170402770015,
            81228876543, "Menjing", "Dusun Ngrejo RT 02/RW 01, Menjing", "Website",
            "Saya mahasiswa asal Menjing. Untuk keperluan skripsi saya meminta data jumlah "
            "kelompok tani dan luas lahan hortikultura per desa di Kecamatan Jenawi tahun 2025. "
            "Apakah data tersebut tersedia dan bagaimana cara memperolehnya?",
            "", "", INFO),
    _Sample(1, "08:47:26", "ratna.dewi@example.net", "Ratna Dewi", 3313176302890016,
            "0856-4700-1289", "Trengguli", "Dusun Banjarsari RT 01/RW 01, Trengguli",
            "Website",
            "Saya sudah mengajukan surat pindah domisili ke Sragen sejak tiga minggu lalu, tetapi "
            "berkasnya belum juga ditandatangani. Mohon informasi prosesnya sudah sampai mana.",
            "", "", ADM),
    _Sample(1, "10:05:12", "", "Gunawan Adi", "", 85741239870, "Lempong",
            "Dusun Gondang RT 03, Lempong", "Facebook",
            "Tanah kas desa atau bengkok di Lempong disewakan ke pihak luar tanpa musyawarah "
            "desa. Hasil sewanya juga tidak jelas masuk ke mana.",
            "Tanah bengkok Dusun Gondang", "", DESA),
    _Sample(1, "11:20:45", "warga.trengguli@example.com", "", "", "", "Trengguli",
            "Dusun Banjarsari, Trengguli", "Website",
            "Lampu penerangan jalan di depan SD Trengguli mati sejak seminggu lalu, anak-anak "
            "yang pulang mengaji lewat situ waktu gelap.",
            "Depan SD Trengguli", "", INFRA),
    _Sample(1, "13:55:39", "anik.sulistyowati@example.com", "Anik Sulistyowati", "",
            81393358721, "Jenawi", "Dusun Ngasem RT 01/RW 02, Jenawi", "Facebook",
            "Jam 10 pagi kantor kecamatan masih sepi. Beberapa pegawai belum datang, yang ada "
            "malah main HP waktu warga antre. Mohon disiplin pada jam kerja ditegakkan.",
            "Kantor Kecamatan Jenawi", "", APARAT),
    _Sample(1, "16:22:04", "", "Sarmini", "", "", "Lempong", "Dusun Kedung RT 01, Lempong",
            "WhatsApp",
            "Setiap hujan deras, air dari kalen meluap dan banjir masuk rumah warga di RT 01. "
            "Kalen sudah dangkal karena sampah dan lumpur, mohon dikeruk.",
            "Kalen depan rumah warga RT 01 Dusun Kedung", "", BENCANA),
    _Sample(1, "19:40:51", "", "Tukiyem", "", 82226678904, "Gumeng",
            "Dusun Gumeng Kidul RT 02, Gumeng", "WhatsApp",
            "Rumah Bu Tukiyem sudah mau roboh, atapnya bocor dan dindingnya retak. Apa bisa "
            "dapat bantuan RTLH atau bedah rumah dari pemerintah?",
            "", "", SOS),
    _Sample(0, "0.10", "", "Paiman", "", 81325567789, "Sidomukti", "Dusun Sumber RT 03, "
            "Sidomukti", "X",
            "musdes RKPDes kok undangannya cuma orang2 deket kades? warga biasa ga diajak "
            "rembugan",
            "", "", DESA),
    _Sample(0, "0.22", "eko.prasetyo@example.com", "Eko Prasetyo", 3313170808930017,
            "0812 2600 4471", "Trengguli", "Dusun Banjarsari RT 03/RW 02, Trengguli", "X",
            "Kepala desa ikut kampanye calon tertentu di acara pengajian kemarin. Sebagai "
            "aparatur seharusnya tidak netral begitu. Mohon ditindak.",
            "", "", APARAT),
    _Sample(0, "0.35", "kartini.balong@example.com", "Kartini", 3313174107870018,
            81548890012, "Balong", "Dusun Krajan RT 01/RW 01, Balong", "Instagram",
            "Papan informasi APBDes di balai desa Balong sudah dua tahun tidak diperbarui. "
            "Warga berhak tahu penggunaan anggaran tahun ini.",
            "Balai Desa Balong", "", INFO),
    _Sample(0, "0.48", "", "Hamba Allah", "", "", "", "", "X", "halo min", "", "", LAIN),
    _Sample(0, "0.60", "dwi.haryanto@example.net", "Dwi Haryanto", 3313171902800019,
            81390012345, "Menjing", "Dusun Ngrejo RT 04/RW 01, Menjing", "Website",
            "Usul agar ada pelatihan pemasaran online untuk kelompok petani sayur dan UMKM di "
            "Jenawi, karena harga sayur sering anjlok dan petani kalah dengan tengkulak.",
            "", "", LAIN),
    _Sample(0, "0.71", "siti.muslimah@example.com", "Siti Muslimah", 3313175208920020,
            81226654109, "Seloromo", "Dusun Ngasinan RT 02/RW 02, Seloromo", "Website",
            "Bagaimana cara mengajukan permohonan informasi ke PPID Kecamatan Jenawi? Saya ingin "
            "memperoleh salinan SK penetapan penerima bantuan rehab mushola tahun ini.",
            "", "", INFO),
    _Sample(0, "0.83", "wahyu.nugroho@example.com", "Wahyu Nugroho", 3313170711860021,
            "0857-2866-1030", "Jenawi", "Dusun Krajan RT 02/RW 03, Jenawi", "Website",
            "Hajatan di rumah warga RT 02 memutar sound system keras sampai jam 1 malam tiga hari "
            "berturut-turut. Sangat mengganggu warga yang punya bayi dan orang sakit.",
            "Dusun Krajan RT 02, Jenawi", "", TIBUM),
    _Sample(0, "0.90", "", "", "", "", "Anggrasmanis", "", "Instagram",
            "lampu jalan di tanjakan anggrasmanis mati semua", "Tanjakan Anggrasmanis", "", INFRA),
)
# fmt: on

# A reporter who pressed "Kirim" twice: Google Forms records two identical responses, seconds
# apart; they are two complaints to the worker (the staff may mark one `Duplikat`).
_DOUBLE_SUBMIT_OF = 8  # index in _SAMPLES (the Pamsimas complaint)
_DOUBLE_SUBMIT_AFTER = timedelta(seconds=41)


def _local_naive(now: datetime) -> datetime:
    """`now` as a naive Asia/Jakarta wall-clock time, as Google Forms writes timestamps."""
    if now.tzinfo is not None:
        now = now.astimezone(ZoneInfo(TIMEZONE))
    return now.replace(tzinfo=None, microsecond=0)


def _timestamp(sample: _Sample, now: datetime) -> datetime:
    if sample.day == 0:
        # Earlier today, at a fixed fraction of the time since the village woke up (06:00, or
        # midnight while it is still early): after yesterday's rows, never after `now`.
        start = datetime.combine(now.date(), time(6, 0))
        if now < start + timedelta(hours=1):
            start = datetime.combine(now.date(), time())
        elapsed = (now - start).total_seconds()
        return start + timedelta(seconds=int(elapsed * float(sample.clock)))
    clock = time.fromisoformat(sample.clock)
    return datetime.combine(now.date() - timedelta(days=sample.day), clock)


def _ordered(now: datetime) -> list[tuple[datetime, _Sample]]:
    local = _local_naive(now)
    rows = [(_timestamp(s, local), s) for s in _SAMPLES]
    first_ts, sample = rows[_DOUBLE_SUBMIT_OF]
    rows.insert(_DOUBLE_SUBMIT_OF + 1, (first_ts + _DOUBLE_SUBMIT_AFTER, sample))
    return rows


def demo_rows(now: datetime) -> list[list[object]]:
    """The sample response rows, oldest first, all within the 10 days before `now`."""
    return [
        [ts, s.email, s.name, s.nik, s.phone, s.desa, s.address, s.channel, s.text,
         s.location, s.attachment]
        for ts, s in _ordered(now)
    ]  # fmt: skip


#: The category each row of `demo_rows` is meant to get, in the same order.
DEMO_EXPECTED_CATEGORIES: tuple[str, ...] = tuple(
    s.category for _, s in _ordered(datetime(2026, 11, 28, 9, 0))
)
