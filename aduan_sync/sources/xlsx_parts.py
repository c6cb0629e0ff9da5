"""What a workbook holds beyond cells, counted, so that a save that would drop some of it is
refused instead of done.

openpyxl rewrites the whole `.xlsx` package when it saves. It carries over what it models
(sheets, cells, styles, charts, images, notes, tables, pivot tables, data validation) and
silently leaves out the rest: shapes and text boxes, sparklines and other Excel extensions,
threaded comments, slicers, form controls, embedded objects, dynamic-array metadata. The staff
may have put any of these in their workbook; saving our columns over it would lose their work.

`inventory` counts each kind of content in a package; `lost` compares the workbook as read
with the bytes openpyxl would write, and names every kind whose count went down. Parts that
carry no staff content, or that openpyxl regenerates under another name, are not counted
(`_REGENERATED`). A kind openpyxl keeps but rewrites (a chart's colours, say) is not detected:
only what disappears is.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError, iterparse

_DRAWING_NS = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
#: Elements of a drawing part that are shapes (openpyxl keeps only pictures and charts).
_SHAPES = {f"{_DRAWING_NS}{name}" for name in ("sp", "cxnSp", "grpSp")}
#: Start tags counted in a worksheet, under any namespace prefix: openpyxl keeps the plain
#: ones and drops those in an Excel extension (`x14:`), so fewer after a save is a loss. Cell
#: text cannot hold such a tag: a `<` in a value is always escaped.
_SHEET_TAGS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(sparklineGroup|cfRule|dataValidation)[\s/>]")
#: A note (legacy comment) on a cell, under any namespace prefix.
_COMMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(comment)[\s/>]")
#: A part's name without its number and extension (`xl/foo/bar12.xml`: `xl/foo/bar`).
_NUMBERED = re.compile(r"\d*(\.[^./]*)?$")
_READ_CHUNK = 1 << 20

#: Parts with no content of the staff's (document properties and labels, printer settings,
#: the calculation chain, a chart's style), or that openpyxl writes again under another name
#: (their content is counted another way: a drawing's charts, pictures and shapes; notes).
_REGENERATED = (
    "[Content_Types].xml", "docProps/", "docMetadata/", "customXml/", "xl/workbook.xml",
    "xl/styles.xml",
    "xl/sharedStrings.xml", "xl/theme/", "xl/calcChain.xml", "xl/printerSettings/",
    "xl/charts/style", "xl/charts/colors", "xl/drawings/", "xl/persons/", "xl/comments",
)

#: Kinds of content, by the folder of their parts, as the staff would name them.
_FOLDER_KINDS = {
    "xl/charts/": "grafik",
    "xl/chartsheets/": "lembar grafik",
    "xl/media/": "gambar",
    "xl/threadedComments/": "komentar berutas",
    "xl/pivotTables/": "tabel pivot",
    "xl/pivotCache/": "data tabel pivot",
    "xl/tables/": "tabel",
    "xl/slicers/": "slicer",
    "xl/slicerCaches/": "slicer",
    "xl/timelines/": "timeline",
    "xl/timelineCaches/": "timeline",
    "xl/ctrlProps/": "kontrol formulir",
    "xl/activeX/": "kontrol ActiveX",
    "xl/embeddings/": "objek tersemat",
    "xl/externalLinks/": "tautan ke buku kerja lain",
    "xl/queryTables/": "kueri data",
    "xl/richData/": "gambar atau data di dalam sel",
    "xl/diagrams/": "SmartArt",
    "xl/worksheets/": "lembar kerja",
    "xl/dialogsheets/": "lembar dialog",
    "xl/macrosheets/": "lembar makro",
}
_NAMED_KINDS = {
    "xl/vbaProject.bin": "makro",
    "xl/connections.xml": "koneksi data",
    "xl/metadata.xml": "rumus larik dinamis",
}
SHAPES = "bentuk atau kotak teks"
#: What a counted tag is, for the staff.
_TAG_KINDS = {
    b"comment": "catatan sel",
    b"sparklineGroup": "grup sparkline",
    b"cfRule": "aturan format bersyarat",
    b"dataValidation": "aturan validasi data",
}


def _kind_of(name: str) -> str | None:
    """The kind of content part `name` is counted as (None: not counted)."""
    if name.endswith(".rels") or name.startswith(_REGENERATED):
        return None
    if name in _NAMED_KINDS:
        return _NAMED_KINDS[name]
    for folder, kind in _FOLDER_KINDS.items():
        if name.startswith(folder) and "/" not in name[len(folder):]:
            return kind
    # Unknown to us: counted under its name without number and extension (`xl/foo/bar1.xml`
    # as `xl/foo/bar`), so that openpyxl renumbering parts does not look like a loss.
    return f"bagian {_NUMBERED.sub('', name)}"


def inventory(package: bytes) -> Counter[str]:
    """How many of each kind of content the `.xlsx` package holds (see the module's doc)."""
    counts: Counter[str] = Counter()
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        for name in z.namelist():
            kind = _kind_of(name)
            if kind is not None:
                counts[kind] += 1
            if name.endswith(".rels"):
                continue
            if name.startswith("xl/drawings/drawing") and name.endswith(".xml"):
                counts[SHAPES] += _count_shapes(z, name)
            elif name.startswith("xl/comments"):
                counts.update(_count(z, name, _COMMENT))
            elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                counts.update(_count(z, name, _SHEET_TAGS))
    return +counts  # kinds counted zero times are left out


def lost(before: bytes, after: bytes) -> dict[str, tuple[int, int]]:
    """Kinds of content that `after` holds fewer of than `before`: {kind: (before, after)}."""
    had, has = inventory(before), inventory(after)
    return {kind: (n, has[kind]) for kind, n in sorted(had.items()) if has[kind] < n}


def describe(losses: dict[str, tuple[int, int]]) -> str:
    """`losses` for the staff: "2 grafik, 1 bentuk atau kotak teks"."""
    return ", ".join(f"{n - m} {kind}" for kind, (n, m) in losses.items())


def _chunks(z: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with z.open(name) as fh:
        while chunk := fh.read(_READ_CHUNK):
            yield chunk


def _count(z: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes]) -> Counter[str]:
    """The start tags `pattern` matches in part `name`, by kind (`_TAG_KINDS`), read a chunk
    at a time: a response sheet's XML can be tens of megabytes. A tag cut by a chunk's end
    is carried to the next."""
    found: list[bytes] = []
    carry = b""
    for chunk in _chunks(z, name):
        data = carry + chunk
        cut = data.rfind(b"<")
        found += pattern.findall(data, 0, cut if cut >= 0 else len(data))
        carry = data[cut:] if cut >= 0 else b""
    found += pattern.findall(carry)
    return Counter(_TAG_KINDS[tag] for tag in found)


def _count_shapes(z: zipfile.ZipFile, name: str) -> int:
    """Shapes in drawing part `name`, nested ones (in a group) included."""
    try:
        with z.open(name) as fh:
            return sum(1 for _, el in iterparse(fh) if el.tag in _SHAPES)
    except ParseError:
        return 0  # a drawing that cannot be parsed is openpyxl's to refuse, not ours
