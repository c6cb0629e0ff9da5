"""Classification (SOP step 3): the shipped rules and their accuracy (completeness checks:
`test_completeness.py`).

The rules under test are the real `config/kategori.toml` shipped in the package, loaded through
the real config loader's path; no part of classification is mocked.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aduan_sync import config
from aduan_sync.classify import (
    Classification,
    classify,
    load_rules,
    rules_from_mapping,
    score,
)
from aduan_sync.errors import ConfigError
from aduan_sync.model import DEFAULT_CATEGORIES

INFRA = "Infrastruktur dan Pembangunan"
LINGK = "Lingkungan dan Kebencanaan"
TRANTIB = "Ketentraman dan Ketertiban"
KESOS = "Kesejahteraan Sosial"
ADMIN = "Pelayanan Administrasi"
INFO = "Informasi Publik"
PEMDES = "Pemerintahan Desa"
APARAT = "Kepegawaian dan Perilaku Aparatur"
LAIN = "Lainnya"

#: (Isi Aduan, Lokasi Kejadian, expected category). Written before any keyword existed; the
#: rules were then built from general knowledge of each category and tuned against it.
CORPUS: list[tuple[str, str, str]] = [
    ('Jalan penghubung Dusun Gondang menuju Desa Balong rusak parah, banyak lubang dan aspal'
     ' mengelupas. Mohon segera diperbaiki karena membahayakan pengendara motor terutama '
     'saat hujan.', 'Dusun Gondang, Balong', INFRA),
    ('jln di rt 03 rusakkk bgt min, udh 2 thn gk diperbaiki, tiap hujan jd kubangan', '', INFRA),
    ('Dalane teng dusun kulo bolong-bolong, mboten wonten perbaikan. Nyuwun tulung dipun '
     'dandosi.', 'Lempong', INFRA),
    ('Lampu PJU di pertigaan dekat masjid Desa Menjing mati sudah sebulan, malam hari sangat'
     ' gelap.', 'Pertigaan masjid Menjing', INFRA),
    ('Jembatan kayu di atas kali menuju ladang warga Trengguli sudah lapuk dan goyang, takut'
     ' ambrol kalau dilewati.', 'Trengguli', INFRA),
    ('Air PAMSIMAS di Dusun Sidomukti sudah seminggu tidak mengalir, pipa induknya bocor.',
     '', INFRA),
    ('Proyek talud di pinggir jalan desa baru selesai sebulan sudah retak, kualitas '
     'pengerjaannya buruk. Mohon dicek kontraktornya.', '', INFRA),
    ('Saluran drainase di depan SD tersumbat dan airnya meluber ke jalan setiap hujan.',
     'SD Negeri 1 Jenawi', INFRA),
    ('Pembangunan rabat beton jalan usaha tani di Anggrasmanis mangkrak sejak tahun lalu.',
     '', INFRA),
    ('Lampune dalan mati kabeh wiwit minggu wingi, peteng banget yen bengi.', 'Seloromo', INFRA),
    ('Terjadi tanah longsor di Dusun Tlogo, Desa Jenawi setelah hujan deras semalam. '
     'Material longsoran menutup jalan dan satu rumah warga terancam.', 'Dusun Tlogo', LINGK),
    ('Tebing di belakang rumah warga RT 02 retak-retak dan mulai bergerak, warga khawatir '
     'longsor susulan. Mohon ada peninjauan dari BPBD.', '', LINGK),
    ('kali ne mblendung, banyu ne nganti mlebu omah warga pas udan deres wingi', 'Gumeng', LINGK),
    ('Sampah menumpuk di pinggir jalan dekat pasar Jenawi, baunya menyengat dan tidak ada '
     'petugas yang mengangkut.', 'Pasar Jenawi', LINGK),
    ('Pohon besar di tepi jalan Gumeng tumbang kena angin kencang, menimpa kabel listrik.',
     '', LINGK),
    ('Ada warga yang membakar sampah plastik setiap sore, asapnya masuk ke rumah dan bikin '
     'anak saya sesak napas.', '', LINGK),
    ('Penambangan pasir dan batu liar di lereng bukit Lempong membuat tanah rawan longsor '
     'dan air sungai keruh.', '', LINGK),
    ('Babi hutan dan kera merusak tanaman jagung dan sayur warga di ladang dekat hutan, '
     'mohon penanganan.', '', LINGK),
    ('Mohon bantuan penanganan banjir bandang yang merusak sawah warga di Desa Seloromo.',
     '', LINGK),
    ('Kebakaran lahan di lereng Lawu dekat Desa Anggrasmanis, asap tebal terlihat dari desa.',
     '', LINGK),
    ('Setiap malam minggu banyak pemuda mabuk-mabukan minuman keras di pos ronda Dusun '
     'Ngledok dan membuat keributan.', '', TRANTIB),
    ('Ada balap liar dan knalpot brong di jalan raya Jenawi tiap malam, sangat mengganggu '
     'warga yang istirahat.', '', TRANTIB),
    ('Tadi malam motor tetangga saya hilang dicuri di depan rumah. Sudah beberapa kali ada '
     'pencurian di desa kami.', '', TRANTIB),
    ('Maling wedhus merajalela neng dusun kulo, sampun 3 kali kelangan. Nyuwun ronda dipun '
     'aktifke malih.', 'Balong', TRANTIB),
    ('Tawuran antar pemuda desa terjadi saat acara dangdutan kemarin, ada yang luka. Mohon '
     'aparat bertindak.', '', TRANTIB),
    ('Pedagang kaki lima di area parkir Candi Cetho berjualan sampai ke badan jalan, '
     'semrawut dan macet saat akhir pekan.', 'Candi Cetho, Gumeng', TRANTIB),
    ('Ada arena judi sabung ayam dan togel di belakang warung dekat lapangan desa Balong.',
     '', TRANTIB),
    ('Tukang parkir liar di objek wisata meminta tarif parkir Rp10.000, padahal tidak ada '
     'karcis resmi.', '', TRANTIB),
    ('Suara sound system hajatan sampai jam 2 pagi, mengganggu ketenangan warga. Tolong '
     'ditertibkan.', '', TRANTIB),
    ('Saya janda dengan tiga anak, sudah terdaftar di DTKS tapi sampai sekarang tidak pernah'
     ' menerima BLT maupun PKH. Mohon dicek.', '', KESOS),
    ('BLT DD tahun ini tidak tepat sasaran, yang dapat malah warga yang mampu dan punya '
     'mobil.', '', KESOS),
    ('bpnt bulan ini blm cair min, e-warong bilang kuota habis. gmn ini?', '', KESOS),
    ('Simbah kulo sampun sepuh lan gerah, dereng nate nampi bantuan saking pemerintah. '
     'Pripun carane ndaftar?', '', KESOS),
    ('Mohon bantuan bedah rumah (RTLH) untuk keluarga Pak Karto di Dusun Tegalsari, rumahnya'
     ' hampir roboh.', '', KESOS),
    ('Kartu KIS/BPJS PBI saya dinonaktifkan padahal saya masih tidak mampu, jadi tidak bisa '
     'berobat ke puskesmas.', '', KESOS),
    ('Anak saya tidak dapat PIP padahal sudah diusulkan sekolah, orang tua buruh tani.',
     '', KESOS),
    ('Ada warga lansia hidup sendiri, sakit-sakitan dan kekurangan makan di Dusun Jati. '
     'Mohon perhatian dinas sosial.', '', KESOS),
    ('Pembagian beras bantuan sosial di balai desa tidak merata, ada keluarga miskin yang '
     'tidak kebagian.', '', KESOS),
    ('Saya sudah rekam KTP-el tiga bulan lalu di kecamatan tapi sampai sekarang belum jadi, '
     'katanya blangko habis.', '', ADMIN),
    ('Mengurus KK dan akta kelahiran anak di kecamatan harus bolak-balik karena '
     'persyaratannya berubah-ubah.', '', ADMIN),
    ('Mohon informasi syarat membuat surat pindah domisili ke luar kabupaten.', '', ADMIN),
    ('ktp sy ilang, gmn caranya bikin lagi? hrs ke dukcapil atau bisa di kecamatan?', '', ADMIN),
    ('Pelayanan di loket kecamatan lama sekali, antre dari jam 8 baru dilayani jam 12 untuk '
     'legalisir berkas.', '', ADMIN),
    ('Surat keterangan tidak mampu (SKTM) untuk daftar sekolah anak saya belum '
     'ditandatangani sudah seminggu.', '', ADMIN),
    ('Kulo badhe ngurus akta kematian bapak, nanging dereng ngertos syarate. Pripun nggih?',
     '', ADMIN),
    ('Data di KK saya salah, nama ibu kandung tidak sesuai dengan akta. Bagaimana cara '
     'pembetulan data kependudukan?', '', ADMIN),
    ('SPPT PBB tahun ini belum dibagikan ke warga, padahal sudah mendekati jatuh tempo.',
     '', ADMIN),
    ('Dengan hormat, saya mengajukan permohonan informasi publik berupa salinan dokumen '
     'APBDes Desa Lempong tahun anggaran 2025 beserta laporan realisasinya.', '', INFO),
    ('Minta data penerima BLT DD Desa Gumeng tahun 2025 untuk keperluan penelitian skripsi.',
     '', INFO),
    ('Mengapa papan informasi APBDes di desa kami tidak dipasang? Warga berhak tahu '
     'penggunaan dana desa.', '', INFO),
    ('Mohon salinan SK camat tentang pembentukan tim penyusun RPJMDes.', '', INFO),
    ('Kami dari LSM ingin meminta dokumen RAB proyek jalan desa tahun 2024.', '', INFO),
    ('Website kecamatan tidak pernah diperbarui, informasi jadwal pelayanan dan pengumuman '
     'sudah kedaluwarsa.', '', INFO),
    ('Nyuwun pirsa, menapa saged nyuwun fotokopi laporan pertanggungjawaban dana desa taun '
     'wingi?', '', INFO),
    ('Saya ingin tahu berapa anggaran pembangunan balai desa Trengguli dan rinciannya, mohon'
     ' dibuka ke publik.', '', INFO),
    ('Pengisian perangkat desa di Desa Seloromo diduga tidak transparan, hasil tes tidak '
     'diumumkan dan yang lolos keluarga kades.', '', PEMDES),
    ('Tanah kas desa (bengkok) disewakan ke pihak luar tanpa musyawarah dengan BPD dan '
     'warga.', '', PEMDES),
    ('Musdes penetapan RKPDes tidak mengundang perwakilan RT, keputusan diambil sepihak oleh'
     ' pemerintah desa.', '', PEMDES),
    ('Dana BUMDes tidak jelas penggunaannya, unit usaha wisata desa tutup tapi laporan tidak'
     ' pernah disampaikan.', '', PEMDES),
    ('Ketua RT kami sudah meninggal tiga bulan tapi belum ada pemilihan RT baru, pemdes '
     'belum menindaklanjuti.', '', PEMDES),
    ('Kulo badhe nyuwun pirsa, pilkades taun ngajeng dipun wontenaken kapan nggih? '
     'Panitianipun dereng dibentuk.', '', PEMDES),
    ('Kebijakan desa mewajibkan iuran Rp50.000 per KK untuk pembangunan gapura tanpa '
     'musyawarah.', '', PEMDES),
    ('BPD tidak berfungsi, aspirasi warga tidak pernah disampaikan ke pemerintah desa.',
     '', PEMDES),
    ('Dugaan penyelewengan dana desa oleh perangkat desa Sidomukti, banyak kegiatan fiktif.',
     '', PEMDES),
    ('Petugas pelayanan di kantor kecamatan bersikap kasar dan membentak warga yang '
     'bertanya.', '', APARAT),
    ('Saya dimintai uang Rp100.000 oleh oknum perangkat desa untuk mempercepat pembuatan '
     'surat pengantar.', '', APARAT),
    ('Pegawai kecamatan sering tidak ada di tempat pada jam kerja, kantor sepi jam 10 pagi.',
     '', APARAT),
    ('Pak kadus kalau ditanya warga malah marah-marah dan tidak sopan.', '', APARAT),
    ('Oknum ASN di kecamatan ikut kampanye salah satu calon di media sosial, tidak netral.',
     '', APARAT),
    ('pegawe kecamatan judes bgt, ditanya baik2 malah jawabnya ketus. gk ramah sama sekali',
     '', APARAT),
    ('Petugase mboten grapyak, kulo takon malah dipun sengeni.', '', APARAT),
    ('Staf honorer di kantor desa main HP terus saat melayani warga dan menyuruh kembali '
     'besok tanpa alasan.', '', APARAT),
    ('Ada calo di kecamatan yang menawarkan jasa cepat bikin KTP dengan bayar 300 ribu, '
     'sepertinya bekerja sama dengan pegawai.', '', APARAT),
    ('Mohon diadakan pelatihan membuat kerajinan bambu untuk ibu-ibu PKK.', '', LAIN),
    ('Harga pupuk subsidi di kios tani mahal dan sering kosong saat musim tanam.', '', LAIN),
    ('Sinyal HP di Dusun Tlogo sangat lemah, susah untuk anak sekolah daring.', '', LAIN),
]

#: Texts written after the rules, to see how they generalise (reported apart from CORPUS).
#: Batch 1 first scored 28/40; its misses showed missing vocabulary, which was then added per
#: category (so it is development data now). Batch 2 was written after that and scored once:
#: 26/40 with margin 2, 30/40 with the margin 1 the rules now use (chosen on the development
#: data; batch 2 was seen during that choice). No keyword was added for batch 2.
LATER_TEXTS: list[tuple[str, str, str]] = [
    # --- batch 1
    ('Min tolong dong jalan tembus Gumeng–Jenawi itu udah kayak sungai kering, batu semua, '
     'motor sering jatuh', '', INFRA),
    ('Lampu penerangan di tanjakan Seloromo sudah 3 minggu padam, rawan kecelakaan karena '
     'tikungannya tajam.', '', INFRA),
    ('Selang air dari mata air ke dusun kami putus, warga sudah 5 hari ambil air pakai '
     'jeriken.', 'Dusun Tambak', INFRA),
    ('Tanggul irigasi sawah di Menjing jebol, air tidak sampai ke sawah bawah.', '', INFRA),
    ('Kreteg cilik ning Dusun Jetis ambrol separo, bocah sekolah kudu muter adoh.', '', INFRA),
    ('Hujan semalaman bikin tebing ambrol, batu-batu besar nutup akses ke Candi Cetho.',
     'Gumeng', LINGK),
    ('Banyak orang buang sampah sembarangan ke sungai di bawah jembatan, airnya jadi bau.',
     '', LINGK),
    ('Angin ribut sore tadi, atap beberapa rumah warga di Balong terbang dan pohon cengkeh '
     'patah.', '', LINGK),
    ('Truk pengangkut tanah galian C lewat tiap hari, debunya parah dan tanah bukit makin '
     'gundul.', '', LINGK),
    ('Sumber mata air di Anggrasmanis mulai kering saat kemarau, mohon penanganan '
     'kekeringan.', '', LINGK),
    ('Resah dengan segerombolan anak muda yang minum ciu di gardu tiap malam, teriak-teriak '
     'sampai subuh.', '', TRANTIB),
    ('Kandang ayam saya dibobol orang semalam, 20 ekor ayam hilang.', 'Trengguli', TRANTIB),
    ('Ada orang asing menginap di rumah kosong dekat hutan, gerak-geriknya mencurigakan, '
     'mohon dicek keamanannya.', '', TRANTIB),
    ('Pengunjung wisata ditarik retribusi berkali-kali oleh pemuda yang mengaku panitia, '
     'tanpa tiket.', '', TRANTIB),
    ('Kenapa ibu saya yang sudah lansia dicoret dari penerima PKH tahun ini?', '', KESOS),
    ('Bantuan langsung tunai belum kami terima padahal tetangga sudah semua.', '', KESOS),
    ('Pak, kulo tiyang mboten gadhah, griya bocor kabeh, saged angsal bantuan bedah griya '
     'mboten?', '', KESOS),
    ('Ada anak yatim di Lempong putus sekolah karena tidak punya biaya, mohon dibantu.',
     '', KESOS),
    ('Mohon penjelasan, BPJS kesehatan gratis dari pemerintah kok tiba-tiba tidak aktif '
     'waktu mau opname.', '', KESOS),
    ('E-KTP saya rusak dan tulisannya pudar, apakah bisa cetak ulang di kecamatan?', '', ADMIN),
    ('Sudah 2 minggu mengajukan perubahan KK karena ada anggota keluarga baru, sampai '
     'sekarang belum selesai.', '', ADMIN),
    ('Persyaratan surat keterangan usaha untuk pinjaman bank apa saja ya?', '', ADMIN),
    ('Nyuwun pirsa, damel akta lair anak kedah mbeta napa mawon?', '', ADMIN),
    ('Antrian perekaman KTP untuk anak yang baru 17 tahun terlalu lama, harus datang jam 6 '
     'pagi.', '', ADMIN),
    ('Saya meminta salinan laporan realisasi dana desa Menjing tahun 2025 sesuai UU KIP.',
     '', INFO),
    ('Bisa minta data jumlah penduduk per dusun di Jenawi untuk tugas kuliah?', '', INFO),
    ('Kenapa informasi penggunaan anggaran desa tidak diumumkan di papan pengumuman desa?',
     '', INFO),
    ('Mohon dikirimkan dokumen Perdes APBDes Sidomukti tahun ini dalam bentuk PDF.', '', INFO),
    ('Pemilihan BPD di desa kami tidak melibatkan warga, calon ditunjuk langsung oleh kepala'
     ' desa.', '', PEMDES),
    ('Sudah dua tahun hasil musrenbang dusun kami tidak pernah direalisasikan oleh desa.',
     '', PEMDES),
    ('Bengkok bekas carik disewakan oleh kepala desa tanpa lelang, hasilnya tidak masuk kas '
     'desa.', '', PEMDES),
    ('Pengelolaan BUMDes Jenawi tertutup, warga tidak pernah diajak rapat '
     'pertanggungjawaban.', '', PEMDES),
    ('Petugas loket kecamatan ngobrol sendiri dan merokok, warga yang antre dicuekin.',
     '', APARAT),
    ('Pak bayan menarik uang 200 ribu untuk tanda tangan surat jual beli tanah, katanya buat'
     ' administrasi.', '', APARAT),
    ('Sekretaris kecamatan tidak pernah ada di kantor kalau hari Jumat.', '', APARAT),
    ('Mbak di meja pelayanan judes, saya cuma tanya syarat malah dibentak.', '', APARAT),
    ('Perangkat desa kok ikut mengarahkan warga memilih calon tertentu saat pemilu, tidak '
     'netral.', '', APARAT),
    ('Usul agar ada pasar murah menjelang lebaran di kecamatan.', '', LAIN),
    ('Bagaimana cara daftar jadi relawan posyandu?', '', LAIN),
    ('Wifi gratis di balai kecamatan tidak bisa dipakai.', '', LAIN),
    # --- batch 2
    ('Aspal baru 6 bulan sudah hancur lagi di ruas Lempong–Menjing, mohon dicek '
     'spesifikasinya.', '', INFRA),
    ('Tiang lampu jalan di depan balai dusun miring hampir roboh, kabelnya menjuntai.', '', INFRA),
    ('Bak penampung air bersih desa bocor, air terbuang percuma dan warga di atas tidak '
     'kebagian air.', '', INFRA),
    ('Jalan cor menuju makam ambrol separuh, mobil jenazah tidak bisa lewat.', '', INFRA),
    ('Dalan munggah teng Sidomukti lunyu lan bolong, nyuwun dipun aspal malih.', '', INFRA),
    ('Tanah di ladang kami ambles dan ada retakan memanjang setelah hujan tiga hari, takut '
     'longsor.', '', LINGK),
    ('Air sungai Jenawi berwarna coklat dan berbau setelah ada pabrik pengolahan di hulu.',
     '', LINGK),
    ('Banyak sampah popok dibuang di bawah jembatan, kalinya jadi mampet.', '', LINGK),
    ('Kebun teh di atas desa terbakar, apinya sampai dekat rumah warga.', '', LINGK),
    ('Pohon pinus di pinggir jalan sudah keropos dan condong ke rumah, bahaya kalau angin.',
     '', LINGK),
    ('Warung kopi dekat sekolah jualan minuman keras oplosan ke anak SMP.', '', TRANTIB),
    ('Sepeda motor saya digondol maling waktu ditinggal di parkiran pasar.', '', TRANTIB),
    ('Tiap malam ada remaja kebut-kebutan pakai motor bising di jalan desa, sudah ada yang '
     'tertabrak.', '', TRANTIB),
    ('Pedagang asongan di Candi Cetho memaksa pengunjung membeli, membuat wisatawan tidak '
     'nyaman.', '', TRANTIB),
    ('Ada rumah yang dijadikan tempat judi kartu tiap malam, warga takut melapor.', '', TRANTIB),
    ('Bapak saya penyandang disabilitas belum pernah dapat bantuan apa pun dari desa.', '', KESOS),
    ('Nama saya ada di DTKS tapi status PBI JK tiba-tiba nonaktif, mohon dibantu.', '', KESOS),
    ('Beras BPNT yang dibagikan kualitasnya jelek, berkutu dan bau apek.', '', KESOS),
    ('Kenapa yang dapat PKH malah keluarga perangkat, yang miskin beneran tidak dapat?',
     '', KESOS),
    ('Ada balita gizi kurang di dusun kami, keluarganya tidak mampu beli susu.', '', KESOS),
    ('KTP anak saya sudah direkam dari bulan Maret, kok sampai sekarang belum dicetak?',
     '', ADMIN),
    ('Pengurusan akta kematian almarhum bapak ditolak karena katanya surat keterangan dari '
     'desa salah format.', '', ADMIN),
    ('Mau tanya untuk pindah KK ikut suami ke Jenawi syaratnya apa saja?', '', ADMIN),
    ('Layanan online adminduk kecamatan sering error, berkas yang diunggah hilang.', '', ADMIN),
    ('Kulo badhe damel surat pengantar SKCK, menapa saged dipun proses dinten menika?', '', ADMIN),
    ('Saya wartawan lokal, meminta salinan kontrak proyek pembangunan jalan desa Jenawi '
     'tahun 2025.', '', INFO),
    ('Berapa jumlah dana desa yang diterima Desa Balong tahun ini dan untuk apa saja? Mohon '
     'dokumennya.', '', INFO),
    ('Permohonan informasi: daftar aset desa dan data penyewaan tanah kas desa Trengguli.',
     '', INFO),
    ('Website desa tidak pernah update laporan keuangan, padahal wajib dipublikasikan.', '', INFO),
    ('Hasil musyawarah desa soal penggunaan dana desa tidak pernah diumumkan ke warga.',
     '', PEMDES),
    ('Kepala desa mengangkat anaknya sendiri jadi kaur keuangan tanpa seleksi.', '', PEMDES),
    ('BUMDes meminjamkan uang kas ke perorangan dan tidak kembali, mohon diaudit.', '', PEMDES),
    ('Pemdes belum melantik ketua RW terpilih padahal pemilihan sudah sebulan lalu.', '', PEMDES),
    ('Kantor desa sering tutup di jam pelayanan, perangkat datang jam 10 pulang jam 12.',
     '', APARAT),
    ("Petugas kecamatan meminta uang 'sukarela' saat saya legalisir ijazah.", '', APARAT),
    ('Staf pelayanan di kecamatan berbicara kasar kepada nenek saya yang kurang pendengaran.',
     '', APARAT),
    ('Oknum pegawai kecamatan mabuk saat jam dinas dan marah-marah ke warga.', '', APARAT),
    ('Mohon diadakan pelatihan pemasaran online untuk UMKM keripik di Jenawi.', '', LAIN),
    ('Saran: bus sekolah gratis untuk anak-anak dari dusun atas.', '', LAIN),
    ('Harga jual daun teh petani sangat murah, mohon perhatian pemerintah.', '', LAIN),
]

PACKAGED_RULES = config.PACKAGED_CONFIG / "kategori.toml"
UNITS = dict(config.DEFAULT_UNITS)

COMPLETE_ANSWERS = {
    "timestamp": "2026-11-02 08:15:00",
    "name": "Sri Wahyuni",
    "email": "sri.wahyuni@example.com",
    "nik": "3313xxxxxxxxxxxx",
    "phone": "0812-3456-7890",
    "desa": "Gumeng",
    "address": "Dusun Cetho RT 02 RW 01",
    "channel": "WhatsApp",
    "text": "Jalan menuju Candi Cetho berlubang besar di tikungan dekat masjid, mohon diperbaiki.",
    "location": "Jalan Cetho, Gumeng",
    "attachment": "",
}


@pytest.fixture(scope="module")
def rules():
    return load_rules(PACKAGED_RULES, DEFAULT_CATEGORIES)


def _answers(**changes: str) -> dict[str, str]:
    return {**COMPLETE_ANSWERS, **changes}


def _run(rules, cases):
    """Classify every case; return (hits, misses as printable lines, confidently wrong)."""
    hits, misses, wrong = 0, [], 0
    for text, location, expected in cases:
        got = classify({"text": text, "location": location}, rules, UNITS.get)
        if got.category == expected:
            hits += 1
            continue
        wrong += got.category != LAIN
        top = ", ".join(f"{c} {s:g}" for c, s in got.scores[:3]) or "-"
        misses.append(f"  want {expected!r}, got {got.category!r} [{top}]: {text[:70]}")
    return hits, misses, wrong


# ------------------------------------------------------------------ accuracy


def test_corpus_accuracy_is_at_least_90_percent(rules):
    assert len(CORPUS) >= 60
    assert {c for _, _, c in CORPUS} == set(DEFAULT_CATEGORIES)
    hits, misses, _ = _run(rules, CORPUS)
    accuracy = hits / len(CORPUS)
    print(f"\ncorpus accuracy: {hits}/{len(CORPUS)} = {accuracy:.1%}\n" + "\n".join(misses))
    assert accuracy >= 0.90, "\n".join(misses)


def test_later_texts_accuracy_is_at_least_80_percent(rules):
    hits, misses, _ = _run(rules, LATER_TEXTS)
    accuracy = hits / len(LATER_TEXTS)
    print(f"\nlater texts: {hits}/{len(LATER_TEXTS)} = {accuracy:.1%}\n" + "\n".join(misses))
    assert accuracy >= 0.80, "\n".join(misses)


def test_rules_rarely_pick_a_wrong_category_when_they_commit(rules):
    # A wrong category silently routes a complaint to the wrong unit; "Lainnya" asks staff.
    # The rules must prefer the second failure to the first.
    cases = CORPUS + LATER_TEXTS
    _, misses, wrong = _run(rules, cases)
    print(f"\nconfidently wrong: {wrong}/{len(cases)}")
    assert wrong / len(cases) <= 0.05, "\n".join(misses)


# ------------------------------------------------------------------ normalisation


@pytest.mark.parametrize(
    "text",
    [
        "JALAN RUSAKKK PARAH bgt, lubangnya dalam sekali",
        "ja\u200blan ru\u200dsak parah, lubang\ufeffnya dalam sekali",  # zero-width characters
        "\u202ejalan rusak parah\u202c, lubangnya dalam sekali",  # RTL override
        "𝐣𝐚𝐥𝐚𝐧 𝐫𝐮𝐬𝐚𝐤 parah, lubangnya dalam sekali",  # "bold" letters from social media
        "Jálàn rúsak parah, lubangnya dalam sekali",  # stray accents
        "dalane rusak parah, bolong-bolong jero",  # Javanese with -e suffix
    ],
)
def test_text_is_normalised_before_matching(rules, text):
    got = classify({"text": text}, rules, UNITS.get)
    assert (got.category, got.confident) == (INFRA, True)


def test_abbreviations_map_to_standard_words(rules):
    got = classify({"text": "jln ke dsn kami blm diperbaiki, tlg dicek"}, rules, UNITS.get)
    assert got.category == INFRA
    assert "jalan" in got.matched


def test_a_keyword_repeated_many_times_counts_once(rules):
    once = score("sampah", "", rules)
    many = score("sampah " * 500, "", rules)
    assert once == many


def test_location_counts_as_weaker_evidence():
    rules = rules_from_mapping({"kategori": {INFRA: {"kuat": ["jembatan"]}}}, DEFAULT_CATEGORIES)
    assert score("jembatan", "", rules)[0][1] == 3.0
    assert score("mohon ditangani", "Jembatan Dusun Tlogo", rules)[0][1] == 1.5
    # Found in both: counted once, at full weight.
    assert score("jembatan", "Jembatan Dusun Tlogo", rules)[0][1] == 3.0


def test_location_alone_is_not_enough_to_decide(rules):
    answers = {"text": "Mohon segera ditangani, sudah lama sekali dibiarkan.",
               "location": "Jembatan Dusun Tlogo"}
    got = classify(answers, rules, UNITS.get)
    assert (got.category, got.confident) == (LAIN, False)
    assert got.scores[0][0] == INFRA


def test_a_phrase_absorbs_its_own_words():
    rules = rules_from_mapping(
        {"kategori": {PEMDES: {"kuat": ["perangkat desa"], "sedang": ["perangkat"],
                               "lemah": ["desa"]}}},
        DEFAULT_CATEGORIES,
    )
    assert score("perangkat desa", "", rules) == [(PEMDES, 3.0, ("perangkat desa",))]
    assert score("perangkat di desa", "", rules)[0][1] == 3.0  # not adjacent: 2 + 1


def test_wildcards_match_word_beginnings_endings_and_middles():
    rules = rules_from_mapping(
        {"kategori": {LINGK: {"kuat": ["longsor*"]}, INFRA: {"kuat": ["*perbaik*"]}}},
        DEFAULT_CATEGORIES,
    )
    assert score("ada longsoran", "", rules)[0][0] == LINGK
    assert score("belum diperbaiki", "", rules)[0][0] == INFRA


# ------------------------------------------------------------------ decisions


def test_unsure_rules_give_lainnya_with_a_note_naming_the_candidates():
    rules = rules_from_mapping(
        {"kategori": {INFRA: {"kuat": ["jalan rusak"]}, LINGK: {"kuat": ["sampah"]}}},
        DEFAULT_CATEGORIES,
    )
    got = classify({"text": "jalan rusak dan penuh sampah"}, rules, UNITS.get)
    assert (got.category, got.confident, got.unit) == (LAIN, False, UNITS[LAIN])
    assert got.note == (
        f"Kategori belum pasti (kemungkinan: {INFRA} atau {LINGK}); mohon petugas menentukan."
    )


def test_unsure_with_shipped_rules_names_both_candidates(rules):
    got = classify({"text": "Jalan rusak parah dan penuh sampah menumpuk"}, rules, UNITS.get)
    assert got.category == LAIN and not got.confident
    assert got.note.startswith("Kategori belum pasti (kemungkinan: ")
    assert INFRA in got.note and LINGK in got.note
    assert got.note.endswith("mohon petugas menentukan.")


def test_weak_evidence_alone_is_not_confident(rules):
    got = classify({"text": "Mohon dicek, sudah retak."}, rules, UNITS.get)
    assert (got.category, got.confident) == (LAIN, False)
    assert got.note == f"Kategori belum pasti (kemungkinan: {INFRA}); mohon petugas menentukan."


@pytest.mark.parametrize(
    ("settings", "confident"),
    [
        ({"selisih_minimum": 1, "rasio_maksimum": 1.0}, True),  # 3 vs 2: margin 1 is enough
        ({"selisih_minimum": 2, "rasio_maksimum": 1.0}, False),  # ... margin 2 is not
        ({"selisih_minimum": 0, "rasio_maksimum": 0.5}, False),  # 2 > 0.5 * 3
        ({"selisih_minimum": 0, "rasio_maksimum": 0.7, "skor_minimum": 4}, False),  # 3 < 4
    ],
)
def test_pengaturan_thresholds_decide_when_the_rules_are_sure(settings, confident):
    rules = rules_from_mapping(
        {"pengaturan": settings,
         "kategori": {INFRA: {"kuat": ["jembatan"]}, LINGK: {"sedang": ["sungai"]}}},
        DEFAULT_CATEGORIES,
    )
    got = classify({"text": "jembatan di atas sungai"}, rules, UNITS.get)
    assert got.scores == ((INFRA, 3.0), (LINGK, 2.0))
    assert (got.category, got.confident) == ((INFRA, True) if confident else (LAIN, False))


def test_stretched_abbreviations_still_map_through_padanan(rules):
    got = classify({"text": "petugasnya gakkk ramah blasss"}, rules, UNITS.get)
    assert got.category == APARAT
    assert "tidak ramah" in got.matched


def test_no_evidence_at_all_asks_staff(rules):
    got = classify({"text": "Mohon perhatiannya untuk hal ini, terima kasih."}, rules, UNITS.get)
    assert (got.category, got.confident, got.scores) == (LAIN, False, ())
    assert got.note == "Kategori tidak dapat ditentukan dari isi aduan; mohon petugas menentukan."


def test_confident_result_carries_unit_scores_and_evidence(rules):
    got = classify(COMPLETE_ANSWERS, rules, UNITS.get)
    assert got == Classification(
        category=INFRA, unit="Seksi Pemberdayaan Masyarakat Desa", completeness="Lengkap",
        missing=(), confident=True, note="", scores=got.scores, matched=got.matched,
    )
    assert got.scores[0][0] == INFRA and got.score == got.scores[0][1]
    assert "berlubang" in got.matched


# ------------------------------------------------------------------ staff category


def test_staff_category_is_never_overwritten(rules):
    got = classify(COMPLETE_ANSWERS, rules, UNITS.get, staff_category=KESOS)
    assert (got.category, got.unit, got.by_staff, got.note) == (
        KESOS, UNITS[KESOS], True, "")
    assert got.completeness == "Lengkap"


def test_staff_category_is_kept_verbatim_when_cased_differently(rules):
    got = classify(COMPLETE_ANSWERS, rules, UNITS.get, staff_category="kesejahteraan  sosial")
    assert (got.category, got.unit, got.note) == ("kesejahteraan  sosial", UNITS[KESOS], "")


def test_unknown_staff_category_is_kept_and_the_note_says_so(rules):
    got = classify(COMPLETE_ANSWERS, rules, UNITS.get, staff_category="Pariwisata")
    assert got.category == "Pariwisata" and got.by_staff
    assert got.unit == UNITS[LAIN]
    assert got.note == ('Kategori "Pariwisata" yang diisi petugas tidak ada dalam daftar '
                        "kategori; unit tujuan mengikuti kategori Lainnya.")


def test_misspelt_staff_category_gets_a_suggestion(rules):
    got = classify(COMPLETE_ANSWERS, rules, UNITS.get,
                   staff_category="Infrastuktur dan Pembangunan")
    assert got.category == "Infrastuktur dan Pembangunan"
    assert got.note.endswith(f'Mungkin maksudnya "{INFRA}".')


def test_blank_staff_category_lets_the_rules_decide(rules):
    got = classify(COMPLETE_ANSWERS, rules, UNITS.get, staff_category=" \u200b ")
    assert (got.category, got.by_staff) == (INFRA, False)


def test_forty_thousand_characters_are_handled_quickly(rules):
    text = ("Tanah longsor menutup jalan desa dan mengancam rumah warga di Dusun Tlogo. " * 600)
    text = text[:40_000]
    start = time.perf_counter()
    got = classify(_answers(text=text), rules, UNITS.get)
    elapsed = time.perf_counter() - start
    assert (got.category, got.completeness) == (LINGK, "Lengkap")
    assert elapsed < 2.0, f"classify took {elapsed:.2f}s on 40,000 characters"


def test_none_values_are_treated_as_empty(rules):
    got = classify({"text": None, "name": None}, rules, UNITS.get)  # type: ignore[dict-item]
    assert got.missing == ("name", "contact", "address", "text") and got.category == LAIN


# ------------------------------------------------------------------ rules file


def test_packaged_rules_cover_every_category_but_lainnya(rules):
    covered = {kw.category for kw in rules.keywords}
    assert covered == set(DEFAULT_CATEGORIES) - {LAIN}
    assert rules.source == PACKAGED_RULES


def test_config_points_at_the_packaged_rules_and_units(tmp_path):
    cfg_path = tmp_path / "aduan.toml"
    cfg_path.write_text(
        '[source]\npath = "aduan.xlsx"\n[ppid]\nemail = "ppid@example.go.id"\n'
        '[classification.units]\n"Kesejahteraan Sosial" = "Seksi Kesos dan PMD"\n',
        encoding="utf-8",
    )
    cfg = config.load(cfg_path)
    rules = load_rules(cfg.rules_file, cfg.classification.categories)
    got = classify(_answers(text="BLT DD belum cair, padahal sudah terdaftar di DTKS."), rules,
                   cfg.unit_for)
    assert (got.category, got.unit) == (KESOS, "Seksi Kesos dan PMD")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kategori.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_staff_can_add_a_category_and_keywords(tmp_path):
    path = _write(tmp_path, '[padanan]\nplesiran = "wisata"\n'
                            '[kategori.Pariwisata]\nkuat = ["wisata", "candi"]\n')
    rules = load_rules(path, (*DEFAULT_CATEGORIES, "Pariwisata"))
    got = classify({"text": "Plesiran ke candi Cetho tidak ada petunjuk arah"}, rules,
                   lambda c: {"Pariwisata": "Seksi Ekbang"}.get(c, ""))
    assert (got.category, got.unit, got.confident) == ("Pariwisata", "Seksi Ekbang", True)


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        ('[kategori."Infrastruktur"]\nkuat = ["jalan"]\n', 'kategori."Infrastruktur"',
         f'mungkin maksudnya "{INFRA}"'),
        (f'[kategori."{INFRA}"]\nkaut = ["jalan"]\n', f'kategori."{INFRA}".kaut',
         "kuat, sedang, lemah"),
        (f'[kategori."{INFRA}"]\nkuat = "jalan"\n', f'kategori."{INFRA}".kuat', "daftar"),
        (f'[kategori."{INFRA}"]\nkuat = ["!!!"]\n', f'kategori."{INFRA}".kuat', "'!!!'"),
        (f'[kategori."{INFRA}"]\nkuat = [3]\n', f'kategori."{INFRA}".kuat', "teks"),
        (f'[kategori."{INFRA}"]\nkuat = ["ja*lan"]\n', f'kategori."{INFRA}".kuat', "tanda *"),
        ('[pengaturan]\nselisih = 1\n[kategori."Lainnya"]\nkuat = ["x"]\n',
         "pengaturan.selisih", "selisih_minimum"),
        ('[pengaturan]\nbobot_lokasi = 2\n[kategori."Lainnya"]\nkuat = ["x"]\n',
         "pengaturan.bobot_lokasi", "0–1"),
        ('[padanan]\n"pak kades" = "kepala desa"\n[kategori."Lainnya"]\nkuat = ["x"]\n',
         "padanan.pak kades", "satu kata"),
        ('[kategori_tambahan]\nx = 1\n', "kategori_tambahan", "bagian tidak dikenal"),
        ("[pengaturan]\nskor_minimum = 3\n", "kategori", "belum ada kategori"),
    ],
)
def test_invalid_rules_name_the_key_and_the_file(tmp_path, toml, key, words):
    path = _write(tmp_path, toml)
    with pytest.raises(ConfigError) as err:
        load_rules(path, DEFAULT_CATEGORIES)
    assert err.value.key == key
    assert f"kunci `{key}`" in str(err.value) and str(path) in str(err.value)
    assert words in str(err.value)
    assert err.value.exit_code == 2


def test_broken_or_missing_rules_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="tidak ditemukan") as err:
        load_rules(tmp_path / "tidak-ada.toml", DEFAULT_CATEGORIES)
    assert "tidak-ada.toml" in str(err.value)
    path = _write(tmp_path, '[kategori."Lainnya"\nkuat = [')
    with pytest.raises(ConfigError, match="format TOML rusak") as err:
        load_rules(path, DEFAULT_CATEGORIES)
    assert str(path) in str(err.value)


def test_keywords_written_in_javanese_or_slang_meet_the_text_through_padanan(tmp_path):
    # Staff may write the word as people do; it goes through the same padanan as the text.
    path = _write(tmp_path, '[padanan]\ndalan = "jalan"\n'
                            f'[kategori."{INFRA}"]\nkuat = ["dalan bolong"]\n')
    rules = load_rules(path, DEFAULT_CATEGORIES)
    assert score("jalan bolong", "", rules)[0][:2] == (INFRA, 3.0)
    assert score("dalane bolong", "", rules)[0][:2] == (INFRA, 3.0)
