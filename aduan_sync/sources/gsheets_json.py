"""Google's values answers decoded as they are walked: a row at a time, never whole.

A 50,000-row answer is ~17 MB of JSON; `json.loads` would hold it whole as objects (~150
MiB) before the source packs it (`gsheets_read.PackedRows`), and as text at up to 4 bytes a
character. Here the answer is walked one level at a time, each row decoded by the C decoder
and handed on as soon as it is parsed.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any


def _number(text: str) -> int | float:
    x = float(text)
    return int(x) if x.is_integer() and abs(x) < 2**63 else x


_DECODER = json.JSONDecoder(parse_float=_number)
_SPACE = re.compile(r"[ \t\n\r]*")
#: Bytes of an answer turned into text at a time (`_Scan`).
_WINDOW = 1 << 20
#: What becomes of a range's rows as they are parsed: `list`, or `gsheets_read.PackedRows`.
Keep = Callable[[Iterator[list[Any]]], Sequence[list[Any]]]


def decode_values(content: bytes | bytearray, keep: Keep = list) -> Sequence[list[Any]]:
    """The `values` of a `values.get` answer, handed to `keep` a row at a time as they are
    parsed (`keep=PackedRows` packs each row as it comes: a 50,000-row sheet is never
    whole as objects, ~150 MiB). Whole doubles become int while the JSON is parsed (Google
    may send a NIK as `3.313064501800001E15`), so no later pass over every cell is needed.
    Raises `ValueError` (`json.JSONDecodeError`) on anything that is not JSON."""
    found: list[Sequence[list[Any]]] = []
    for key, scan in _Scan(content).members(top=True):
        if key == "values" and scan.at("["):
            found.append(_kept(scan, keep))
        else:
            scan.value()
    return found[-1] if found else keep(iter(()))


def _kept(scan: _Scan, keep: Keep) -> Sequence[list[Any]]:
    rows = scan.elements()
    kept = keep(rows)
    for _ in rows:  # what `keep` left: the walk must reach the array's end
        pass
    return kept


def decode_value_ranges(content: bytes | bytearray,
                        keep: Keep = list) -> list[Sequence[list[Any]]]:
    """The `values` of each range of a `values.batchGet` answer, in order, each handed to
    `keep` as `decode_values` does."""
    out: list[Sequence[list[Any]]] = []
    for key, scan in _Scan(content).members(top=True):
        if key != "valueRanges" or not scan.at("["):
            scan.value()
            continue
        for _ in scan.elements(values=False):
            found: list[Sequence[list[Any]]] = []
            if scan.at("{"):
                for inner, _ in scan.members():
                    if inner == "values" and scan.at("["):
                        found.append(_kept(scan, keep))
                    else:
                        scan.value()
            else:
                scan.value()
            out.append(found[-1] if found else keep(iter(())))
    return out


class _Scan:
    """A JSON answer walked one level at a time: the containers the caller descends into are
    stepped through here, every other value (a row, a key, a scalar) is decoded whole by the
    C decoder. The bytes are turned into text `_WINDOW` at a time, so the answer is never
    whole as text either (Google's answers are UTF-8; one emoji makes Python store a text
    at 4 bytes a character: 72 MB for a 50,000-row sheet). What `json.loads` accepts, this
    accepts; a text it refuses raises the same `json.JSONDecodeError`."""

    def __init__(self, content: bytes | bytearray) -> None:
        self._content = memoryview(content)
        self._taken = 0  # bytes of the answer turned into text so far
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.i = 0

    def _more(self) -> bool:
        """The next window of the answer, after the part of the text not yet walked."""
        if self._taken >= len(self._content):
            return False
        window = self._content[self._taken:self._taken + _WINDOW]
        self._taken += len(window)
        last = self._taken >= len(self._content)
        self.text = self.text[self.i:] + self._utf8.decode(window, final=last)
        self.i = 0
        return True

    def _skip(self) -> str:
        while True:
            self.i = _SPACE.match(self.text, self.i).end()  # type: ignore[union-attr]
            if self.i < len(self.text) or not self._more():
                return self.text[self.i:self.i + 1]

    def at(self, char: str) -> bool:
        return self._skip() == char

    def _take(self, char: str, what: str) -> None:
        if self._skip() != char:
            raise json.JSONDecodeError(f"Expecting {what}", self.text, self.i)
        self.i += 1

    def value(self) -> Any:
        while True:
            self._skip()
            try:
                value, end = _DECODER.raw_decode(self.text, self.i)
            except StopIteration as e:  # what raw_decode raises where no value starts
                if self._more():
                    continue
                raise json.JSONDecodeError("Expecting value", self.text, self.i) from e
            except json.JSONDecodeError:
                if self._more():  # perhaps only cut by the window's end
                    continue
                raise
            # A value that ends with the text (a number) may go on in the next window.
            if end < len(self.text) or not self._more():
                self.i = end
                return value

    def members(self, top: bool = False) -> Iterator[tuple[str, _Scan]]:
        """The keys of the object here (or none, when it is not an object: Google's answers
        always are); the caller consumes each key's value before the next."""
        if not self.at("{"):
            self.value()  # decoded to be checked: a list or a number is not an answer
            self._end(top)
            return
        self.i += 1
        if self.at("}"):
            self.i += 1
        else:
            while True:
                key = self.value()
                if not isinstance(key, str):
                    raise json.JSONDecodeError("Expecting property name enclosed in double "
                                               "quotes", self.text, self.i)
                self._take(":", "':' delimiter")
                yield key, self
                if self.at(","):
                    self.i += 1
                    continue
                self._take("}", "',' delimiter")
                break
        self._end(top)

    def elements(self, values: bool = True) -> Iterator[Any]:
        """The items of the array here, decoded one at a time (`values`), or positioned on
        each for the caller to consume."""
        self._take("[", "'['")
        if self.at("]"):
            self.i += 1
            return
        while True:
            yield self.value() if values else None
            if self.at(","):
                self.i += 1
                continue
            self._take("]", "',' delimiter")
            return

    def _end(self, top: bool) -> None:
        if top and self._skip():
            raise json.JSONDecodeError("Extra data", self.text, self.i)
