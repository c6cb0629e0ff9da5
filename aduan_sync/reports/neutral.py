"""Formula-injection neutralisation for every cell the office's books export.

A citizen types the complaint; staff open the exported register in Excel, LibreOffice or Google
Sheets, or copy a table out of a PDF or HTML report into one. A cell that starts with a formula
trigger (`=cmd|' /C calc'!A0`, `@SUM(A1)`, `+1`, `-1`, or those behind a tab or CR) would be
run by the spreadsheet program. Every exported text goes through `neutralize`, which prefixes an
apostrophe (OWASP's advice for CSV injection): the text stays readable and is never a formula.
"""

from __future__ import annotations

#: First characters that make a spreadsheet program read a cell as a formula (OWASP list), plus
#: LF and the full-width forms some input methods produce, which cost nothing to include.
FORMULA_TRIGGERS: tuple[str, ...] = (
    "=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20",
)  # fmt: skip

#: What is put in front of a dangerous cell.
NEUTRAL_PREFIX = "'"


def is_dangerous(text: str) -> bool:
    """True if a spreadsheet program could read `text` as a formula.

    Leading spaces are looked through, because some importers trim them before deciding.
    """
    return text.startswith(FORMULA_TRIGGERS) or text.lstrip(" ").startswith(FORMULA_TRIGGERS)


def neutralize(value: object) -> str:
    """`value` as text that no spreadsheet program runs: an apostrophe before a formula start.

    `None` becomes "". Safe text is returned unchanged, so the common case reads as typed.
    """
    text = "" if value is None else str(value)
    return NEUTRAL_PREFIX + text if is_dangerous(text) else text
