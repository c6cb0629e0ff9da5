"""The office's printed page for the books: fpdf2 with a Unicode font, letterhead, page numbers
and signature blocks.

The font is DejaVu Sans, which ships with matplotlib (already a dependency for the charts), so
names like "Ngadirejo" and quotes typed on a phone print correctly with no system fonts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from aduan_sync.config import OfficeConfig

FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}

#: Placeholder for the page count; unusual on purpose, because fpdf2 replaces it anywhere in the
#: page, citizens' text included (the default "{nb}" could be typed in a complaint).
PAGE_COUNT_ALIAS = "{jumlah-halaman-aduan-sync}"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def printable(text: str) -> str:
    """Text as the PDF font can draw it: CR/LF become line breaks, tabs and other control
    characters become spaces (the font has no glyph for them)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub(" ", text)


@dataclass(frozen=True)
class Signature:
    """One signature block: lines above the space for the signature, then the signer."""

    above: tuple[str, ...]  # e.g. ("Mengetahui,", "Camat Jenawi,")
    name: str  # "" leaves a dotted line to write the name by hand
    nip: bool = True  # print a "NIP." line under the name


class OfficePdf(FPDF):
    """An A4 document with the office's letterhead on its first page and a numbered footer."""

    def __init__(self, office: OfficeConfig, footer_title: str, *, landscape: bool) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.office = office
        self.footer_title = footer_title
        for style, filename in _FONT_FILES.items():
            self.add_font(FONT, style, str(_FONT_DIR / filename))
        self.alias_nb_pages(PAGE_COUNT_ALIAS)
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(footer_title)
        self.set_author(office.name)
        self.set_creator("aduan-sync")
        self.add_page()

    def footer(self) -> None:
        """Title of the document and "Halaman X dari Y" on every page."""
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(80, 80, 80)
        self.cell(self.epw - 32, 5, printable(self.footer_title), align="L")
        # Left-aligned in a fixed slot: fpdf2 sizes a cell by the alias, not by the number
        # that replaces it, so right alignment would leave the page count adrift.
        self.cell(32, 5, f"Halaman {self.page_no()} dari {PAGE_COUNT_ALIAS}", align="L")
        self.set_text_color(0, 0, 0)

    def letterhead(self) -> None:
        """The kop surat: government, office, address, and the double rule under them."""
        self.set_font(FONT, "B", 12)
        self.cell(0, 6, printable(f"PEMERINTAH {self.office.regency.upper()}"), align="C",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "B", 15)
        self.cell(0, 7, printable(self.office.name.upper()), align="C",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.office.address:
            self.set_font(FONT, "", 8.5)
            self.cell(0, 5, printable(self.office.address), align="C",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = self.get_y() + 1.5
        self.set_line_width(0.8)
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_line_width(0.2)
        self.line(self.l_margin, y + 1.2, self.w - self.r_margin, y + 1.2)
        self.set_y(y + 5)

    def heading(self, title: str, subtitle: str = "") -> None:
        """The document's centred title (bold) and an optional subtitle line."""
        self.set_font(FONT, "B", 12)
        self.cell(0, 6, printable(title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font(FONT, "", 10)
            self.cell(0, 5.5, printable(subtitle), align="C",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def signatures(self, left: Signature | None, right: Signature) -> None:
        """Signature blocks side by side at the bottom of the text, kept on one page."""
        lines = max(len(right.above), len(left.above) if left else 0)
        needed = 5 * lines + 22 + 10
        if self.get_y() + needed > self.page_break_trigger:
            self.add_page()
        self.ln(6)
        width = self.epw * 0.4
        top = self.get_y()
        blocks = [(self.l_margin, left), (self.w - self.r_margin - width, right)]
        for x, block in blocks:
            if block is None:
                continue
            self.set_xy(x, top)
            self._signature(block, x, width, lines)
        self.set_y(top + needed - 6)

    def _signature(self, block: Signature, x: float, width: float, lines: int) -> None:
        self.set_font(FONT, "", 10)
        for text in block.above:
            self.set_x(x)
            self.cell(width, 5, printable(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        # Blocks with fewer lines above still sign on the same baseline as their neighbour.
        self.ln(5 * (lines - len(block.above)) + 20)
        self.set_x(x)
        self.set_font(FONT, "BU" if block.name else "", 10)
        name = printable(block.name) if block.name else "(" + "." * 48 + ")"
        self.cell(width, 5, name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if block.nip:
            self.set_x(x)
            self.set_font(FONT, "", 9)
            self.cell(width, 5, "NIP. " + "." * 30, align="C", new_x=XPos.LMARGIN,
                      new_y=YPos.NEXT)

    def render(self) -> bytes:
        """The finished document as PDF bytes."""
        return bytes(self.output())
