"""Text as the completeness check, the classifier and the duplicate check compare it.

Text is compared as normalised tokens: casefolded, accents and invisible characters (zero-width,
RTL overrides) removed, and repeated letters collapsed ("RUSAKKK" and "rusak" are one word).
"""

from __future__ import annotations

import functools
import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+")
_RUN3 = re.compile(r"(.)\1{2,}")  # "rusakkk" -> "rusak"; legit doubles ("tanggal") survive
_RUN2 = re.compile(r"(.)\1+")
#: Parts of a text that are stripped before tokenising: marks and invisible format characters.
_DROPPED = frozenset({"Mn", "Me", "Cf", "Cc", "Co", "Cs"})


#: ASCII characters `clean` drops (the C0 controls and DEL, category Cc).
_ASCII_DROPPED = {c: None for c in range(128) if unicodedata.category(chr(c)) in _DROPPED}


def clean(text: str) -> str:
    """Compatibility-fold (fancy and fullwidth letters), drop accents and invisible characters."""
    if text.isascii():  # most answers: NFKD changes nothing, only controls can go
        return text.translate(_ASCII_DROPPED)
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) not in _DROPPED)


def tokens(text: str) -> list[str]:
    """Lower-case words of `text`, runs of 3+ equal letters collapsed to one."""
    return [_collapse3(w) for w in _WORD.findall(clean(text).casefold())]


@functools.lru_cache(maxsize=65536)
def _collapse3(word: str) -> str:
    return _RUN3.sub(r"\1", word)


@functools.lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """Every run of equal letters collapsed: the form keywords and text are compared in."""
    return _RUN2.sub(r"\1", word)


def wordset(words: str) -> frozenset[str]:
    """The skeletons of the space-separated `words`: a word list written in the source."""
    return frozenset(skeleton(w) for w in words.split())
