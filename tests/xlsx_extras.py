"""Workbook content openpyxl cannot keep, put into real `.xlsx` packages the way Excel writes
it: the tests of `xlsx_parts` and of the xlsx source refusing to drop it."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_XM = "http://schemas.microsoft.com/office/excel/2006/main"


def _anchor(body: str) -> bytes:
    return (f'<xdr:twoCellAnchor xmlns:xdr="{_XDR}" xmlns:a="{_A}">'
            "<xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>10</xdr:row>"
            "<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>4</xdr:col>"
            "<xdr:colOff>0</xdr:colOff><xdr:row>14</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            f"{body}<xdr:clientData/></xdr:twoCellAnchor>").encode()


def _shape(shape_id: int, text: str) -> str:
    return (f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="{shape_id}" '
            f'name="TextBox {shape_id}"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr>'
            '<a:xfrm><a:off x="0" y="0"/><a:ext cx="100" cy="100"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody>'
            f"<a:bodyPr/><a:p><a:r><a:t>{text}</a:t></a:r></a:p></xdr:txBody></xdr:sp>")


TEXT_BOX = _anchor(_shape(9, "Catatan staf: cek ulang RT 03"))
#: Two shapes in a group: three shapes as the staff see them (the group and its two).
GROUP = _anchor(
    '<xdr:grpSp><xdr:nvGrpSpPr><xdr:cNvPr id="20" name="Group 20"/><xdr:cNvGrpSpPr/>'
    "</xdr:nvGrpSpPr><xdr:grpSpPr/>" + _shape(21, "a") + _shape(22, "b") + "</xdr:grpSp>")
SPARKLINES = (
    f'<extLst><ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" xmlns:x14="{_X14}">'
    f'<x14:sparklineGroups xmlns:xm="{_XM}"><x14:sparklineGroup><x14:sparklines>'
    "<x14:sparkline><xm:f>'Tanggapan Formulir 1'!A2:A4</xm:f><xm:sqref>M2</xm:sqref>"
    "</x14:sparkline></x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext>"
    "</extLst>").encode()
DATA_BAR = (
    f'<extLst><ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="{_X14}">'
    f'<x14:conditionalFormattings xmlns:xm="{_XM}"><x14:conditionalFormatting>'
    '<x14:cfRule type="dataBar" id="{00000000-000E-0000-0000-000001000000}"><x14:dataBar>'
    '<x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/></x14:dataBar></x14:cfRule>'
    "<xm:sqref>A2:A4</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings>"
    "</ext></extLst>").encode()
#: What Excel for Mac puts in every sheet: a view setting, nothing of the staff's to lose.
MAC_VIEW = (b'<extLst><ext uri="{64002731-A6B0-56B0-2670-7721B7C09600}" '
            b'xmlns:mx="http://schemas.microsoft.com/office/mac/excel/2008/main">'
            b'<mx:PLV Mode="0" OnePage="0" WScale="0"/></ext></extLst>')

Edit = Callable[[bytes], bytes]


def before_end(tag: str, insert: bytes) -> Edit:
    """An edit putting `insert` just before the closing tag `tag` (any namespace prefix)."""
    def edit(data: bytes) -> bytes:
        ends = list(re.finditer(rb"</(?:\w+:)?" + tag.encode() + rb">", data))
        assert ends, f"no </{tag}> to insert before"
        at = ends[-1].start()
        return data[:at] + insert + data[at:]
    return edit


def part(content: bytes) -> Edit:
    """An edit making a new part with `content`."""
    return lambda _old: content


def rewrite(package: bytes, edits: dict[str, Edit]) -> bytes:
    """`package` with `edits` applied: each part named is changed, or added when missing."""
    pending = dict(edits)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, pending.pop(name)(data) if name in pending else data)
        for name, edit in pending.items():
            dst.writestr(name, edit(b""))
    return out.getvalue()


def rewrite_file(path: Path, edits: dict[str, Edit]) -> None:
    path.write_bytes(rewrite(path.read_bytes(), edits))


def drawing_of(package: bytes) -> str:
    """The first drawing part (an openpyxl workbook with a chart or an image has one)."""
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        return next(n for n in sorted(z.namelist())
                    if n.startswith("xl/drawings/drawing") and n.endswith(".xml"))


def resaved(package: bytes) -> bytes:
    """`package` loaded and saved by openpyxl, as the xlsx source saves it."""
    wb = openpyxl.load_workbook(io.BytesIO(package))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
