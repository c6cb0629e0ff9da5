"""Classification (SOP step 3): what the complaint is about, and which unit it goes to.

Pure functions over the form answers; the only I/O is `load_rules` reading `kategori.toml`.
Text is compared as `text.tokens` normalises it, with abbreviations and Javanese words mapped
to standard Indonesian through the rules' `padanan` table. The result also carries the
completeness of the reporter's data (`completeness.py`), the other half of the step.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from aduan_sync.completeness import check_completeness
from aduan_sync.errors import ConfigError
from aduan_sync.model import CATEGORY_LAINNYA
from aduan_sync.text import clean, skeleton, tokens

# ------------------------------------------------------------------ rules

_STRENGTHS = {"kuat": "bobot_kuat", "sedang": "bobot_sedang", "lemah": "bobot_lemah"}
_SETTINGS: dict[str, tuple[float, float, float]] = {  # key -> (default, minimum, maximum)
    "skor_minimum": (3.0, 0.0, 1e6),
    "selisih_minimum": (1.0, 0.0, 1e6),
    "rasio_maksimum": (0.75, 0.0, 1.0),
    "bobot_lokasi": (0.5, 0.0, 1.0),
    "bobot_kuat": (3.0, 0.0, 100.0),
    "bobot_sedang": (2.0, 0.0, 100.0),
    "bobot_lemah": (1.0, 0.0, 100.0),
}


@dataclass(frozen=True)
class Keyword:
    """One keyword or phrase of a category, compiled to skeleton words."""

    category: str
    text: str  # as written in the rules file
    words: tuple[str, ...]  # skeletons; a single word may start and/or end with "*"
    weight: float


@dataclass(frozen=True)
class Rules:
    """Validated classification rules (see `config/kategori.toml`)."""

    categories: tuple[str, ...]
    keywords: tuple[Keyword, ...]
    synonyms: Mapping[str, tuple[str, ...]]  # word -> standard words
    min_score: float = 3.0
    min_margin: float = 1.0
    max_ratio: float = 0.75
    location_weight: float = 0.5
    source: Path | None = None
    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _Index(self.keywords))


class _Index:
    """Keyword lookup tables: single words, phrases by first word, wildcard stems."""

    def __init__(self, keywords: Sequence[Keyword]) -> None:
        self.words: dict[str, list[int]] = {}
        self.phrases: dict[str, list[int]] = {}
        self.wild: list[tuple[int, str]] = []
        # Per distinct word of the texts classified so far (a pass meets the same few
        # thousand words again and again): its positions, and the wildcards it matches.
        self.positions: dict[str, list[frozenset[str]]] = {}
        self._wild_hits: dict[str, tuple[int, ...]] = {}
        for i, kw in enumerate(keywords):
            if "*" in kw.words[0]:
                self.wild.append((i, kw.words[0]))
            elif len(kw.words) == 1:
                self.words.setdefault(kw.words[0], []).append(i)
            else:
                self.phrases.setdefault(kw.words[0], []).append(i)

    def wild_hits(self, word: str) -> tuple[int, ...]:
        """Indexes of the wildcard keywords `word` matches."""
        hits = self._wild_hits.get(word)
        if hits is None:
            hits = self._wild_hits[word] = tuple(
                i for i, pattern in self.wild if _wild_match(pattern, word))
        return hits


def _wild_match(pattern: str, word: str) -> bool:
    stem = pattern.strip("*")
    if pattern.startswith("*") and pattern.endswith("*"):
        return stem in word
    return word.startswith(stem) if pattern.endswith("*") else word.endswith(stem)


def load_rules(path: Path, categories: Sequence[str]) -> Rules:
    """Read and validate the rules file; errors name the key and the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError("berkas aturan kategori tidak ditemukan", path=path) from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"format TOML rusak: {e}", path=path) from e
    except OSError as e:
        raise ConfigError(f"berkas aturan kategori tidak dapat dibaca: {e}", path=path) from e
    return rules_from_mapping(raw, categories, path)


def rules_from_mapping(
    raw: Mapping[str, Any], categories: Sequence[str], path: Path | None = None
) -> Rules:
    """Build `Rules` from parsed TOML, validating as `load_rules` does (`path` for messages)."""

    def fail(key: str, msg: str) -> ConfigError:
        return ConfigError(msg, key=key, path=path)

    for key in raw:
        if key not in ("pengaturan", "padanan", "kategori"):
            raise fail(key, "bagian tidak dikenal; pilihan: pengaturan, padanan, kategori")
    settings = _settings(_table(raw, "pengaturan", fail), fail)
    synonyms = _synonyms(_table(raw, "padanan", fail), fail)
    keywords: dict[tuple[str, tuple[str, ...]], Keyword] = {}
    cat_table = _table(raw, "kategori", fail)
    if not cat_table:
        raise fail("kategori", "belum ada kategori dengan kata kunci")
    for name, entry in cat_table.items():
        key = f'kategori."{name}"'
        if name not in categories:
            near = get_close_matches(name, list(categories), n=1)
            hint = f'; mungkin maksudnya "{near[0]}"' if near else ""
            raise fail(key, f"kategori tidak dikenal: {name!r}{hint}")
        if not isinstance(entry, Mapping):
            raise fail(key, "harus berupa tabel berisi daftar kuat/sedang/lemah")
        for strength, items in entry.items():
            if strength not in _STRENGTHS:
                raise fail(f"{key}.{strength}", "harus salah satu dari: kuat, sedang, lemah")
            if not isinstance(items, list):
                raise fail(f"{key}.{strength}", "harus berupa daftar teks")
            weight = settings[_STRENGTHS[strength]]
            for item in items:
                words = _keyword_words(item, synonyms, f"{key}.{strength}", fail)
                old = keywords.get((name, words))
                # The same word may be listed twice (e.g. "dalan" and "jalan" once mapped):
                # keep its strongest weight rather than reject a harmless repeat.
                if old is None or old.weight < weight:
                    keywords[(name, words)] = Keyword(name, str(item), words, weight)
    return Rules(
        categories=tuple(categories),
        keywords=tuple(keywords.values()),
        synonyms=synonyms,
        min_score=settings["skor_minimum"],
        min_margin=settings["selisih_minimum"],
        max_ratio=settings["rasio_maksimum"],
        location_weight=settings["bobot_lokasi"],
        source=path,
    )


def _table(raw: Mapping[str, Any], key: str, fail: Callable[[str, str], ConfigError]) -> Any:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise fail(key, "harus berupa tabel [..]")
    return value


def _settings(
    table: Mapping[str, Any], fail: Callable[[str, str], ConfigError]
) -> dict[str, float]:
    out = {k: d for k, (d, _, _) in _SETTINGS.items()}
    for key, value in table.items():
        if key not in _SETTINGS:
            raise fail(f"pengaturan.{key}", f"tidak dikenal; pilihan: {', '.join(_SETTINGS)}")
        _, lo, hi = _SETTINGS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise fail(f"pengaturan.{key}", f"harus berupa angka {lo:g}–{hi:g}")
        out[key] = float(value)
    return out


def _synonyms(
    table: Mapping[str, Any], fail: Callable[[str, str], ConfigError]
) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for word, standard in table.items():
        key = tokens(word)
        if len(key) != 1:
            raise fail(f"padanan.{word}", "kata yang dipadankan harus satu kata (huruf saja)")
        if not isinstance(standard, str) or not tokens(standard):
            raise fail(f"padanan.{word}", "padanannya harus berupa teks berisi kata")
        out[key[0]] = tuple(tokens(standard))
    return out


def _keyword_words(
    item: object,
    synonyms: Mapping[str, tuple[str, ...]],
    key: str,
    fail: Callable[[str, str], ConfigError],
) -> tuple[str, ...]:
    """Compile one keyword to skeleton words, through the same synonyms as the text."""
    if not isinstance(item, str) or not tokens(item.replace("*", " ")):
        raise fail(key, f"kata kunci harus berupa teks berisi kata, bukan {item!r}")
    text = item.strip()
    if "*" in text:
        stem = tokens(text.strip("*"))
        if len(stem) != 1 or "*" in text.strip("*"):
            raise fail(key, f"tanda * hanya boleh di awal/akhir satu kata: {item!r}")
        lead, trail = "*" if text.startswith("*") else "", "*" if text.endswith("*") else ""
        return (lead + skeleton(stem[0]) + trail,)
    words: list[str] = []
    for word in tokens(text):
        words.extend(skeleton(w) for w in synonyms.get(word, (word,)))
    return tuple(words)


# ------------------------------------------------------------------ scoring

#: Suffixes tried off a word: Indonesian -nya/-ku/-mu, Javanese -e/-ne/-ipun ("dalane").
_SUFFIXES = ("nya", "nipun", "ipun", "ne", "e", "ku", "mu", "lah", "kah")


def _positions(text: str, synonyms: Mapping[str, tuple[str, ...]],
               memo: dict[str, list[frozenset[str]]] | None = None) -> list[frozenset[str]]:
    """Each word of `text` as the set of skeletons it may stand for (suffixes, synonyms).
    `memo` keeps each distinct word's answer (for one `synonyms` table)."""
    out: list[frozenset[str]] = []
    for word in tokens(text):
        known = memo.get(word) if memo is not None else None
        if known is None:
            known = _word_positions(word, synonyms)
            if memo is not None:
                memo[word] = known
        out.extend(known)
    return out


def _word_positions(word: str, synonyms: Mapping[str, tuple[str, ...]]) -> list[frozenset[str]]:
    if word in synonyms:
        return [frozenset({skeleton(w)}) for w in synonyms[word]]
    forms = {word} | {
        word[: -len(s)] for s in _SUFFIXES if word.endswith(s) and len(word) - len(s) >= 3
    }
    mapped = set()
    for form in forms:  # "dalane" -> "dalan" -> "jalan"
        standard = synonyms.get(form, (form,))
        mapped.add(skeleton(standard[0] if len(standard) == 1 else form))
    return [frozenset(mapped)]


def _matches(text: str, rules: Rules) -> set[int]:
    """Indexes of the rules' keywords found in `text` (each counted once however often)."""
    idx: _Index = rules._index
    positions = _positions(text, rules.synonyms, idx.positions)
    seen: set[str] = set().union(*positions) if positions else set()
    found: set[int] = set()
    for word in seen & idx.words.keys():
        found.update(idx.words[word])
    for word in seen:
        found.update(idx.wild_hits(word))
    absorbed: set[int] = set()
    for first in seen & idx.phrases.keys():
        starts = [p for p, forms in enumerate(positions) if first in forms]
        for i in idx.phrases[first]:
            kw = rules.keywords[i]
            if any(_phrase_at(positions, p, kw.words) for p in starts):
                found.add(i)
                # "perangkat desa" is one piece of evidence, not three: the phrase's weight
                # replaces its own category's "perangkat" and "desa".
                absorbed.update(j for w in kw.words for j in idx.words.get(w, ())
                                if rules.keywords[j].category == kw.category)
    return found - absorbed


def _phrase_at(positions: Sequence[frozenset[str]], start: int, words: Sequence[str]) -> bool:
    if start + len(words) > len(positions):
        return False
    return all(w in positions[start + k] for k, w in enumerate(words))


def score(text: str, location: str, rules: Rules) -> list[tuple[str, float, tuple[str, ...]]]:
    """(category, score, matched keywords) for every category with evidence, best first.

    Location words count `rules.location_weight` times as much: a place name says less about
    the complaint than what the reporter wrote.
    """
    in_text = _matches(text, rules)
    in_place = _matches(location, rules) - in_text
    totals: dict[str, float] = {}
    matched: dict[str, list[str]] = {}
    for ids, factor in ((in_text, 1.0), (in_place, rules.location_weight)):
        for i in sorted(ids):
            kw = rules.keywords[i]
            totals[kw.category] = totals.get(kw.category, 0.0) + kw.weight * factor
            matched.setdefault(kw.category, []).append(kw.text)
    order = {c: n for n, c in enumerate(rules.categories)}
    ranked = sorted(totals, key=lambda c: (-totals[c], order.get(c, len(order))))
    return [(c, totals[c], tuple(matched[c])) for c in ranked if totals[c] > 0]


# ------------------------------------------------------------------ classification


@dataclass(frozen=True)
class Classification:
    """The result of SOP step 3 for one complaint."""

    category: str
    unit: str
    completeness: str  # "Lengkap" or "Perlu Klarifikasi: …"
    missing: tuple[str, ...]  # keys of completeness.MISSING_LABELS
    confident: bool  # False: the rules could not decide and staff should
    note: str = ""  # Indonesian, for the sheet's Catatan column; "" when nothing to say
    scores: tuple[tuple[str, float], ...] = ()  # rule scores, best first
    matched: tuple[str, ...] = ()  # keywords behind the chosen category
    by_staff: bool = False  # the category is the one staff typed

    @property
    def score(self) -> float:
        """The best rule score (0 when staff chose the category or nothing matched)."""
        return self.scores[0][1] if self.scores else 0.0


def _join_or(names: Iterable[str]) -> str:
    items = list(names)
    if len(items) <= 2:
        return " atau ".join(items)
    return ", ".join(items[:-1]) + ", atau " + items[-1]


def _known(category: str, categories: Sequence[str]) -> str | None:
    """The listed category `category` means, compared case- and space-insensitively."""
    wanted = " ".join(category.split()).casefold()
    return next((c for c in categories if c.casefold() == wanted), None)


def classify(
    answers: Mapping[str, str],
    rules: Rules,
    unit_for: Callable[[str], str],
    staff_category: str | None = None,
) -> Classification:
    """Completeness, category and responsible unit of one complaint.

    A category staff typed is kept exactly as typed; when it is not in the category list the
    note says so. Otherwise the rules decide, or, when unsure, `Lainnya` with a note asking
    staff to decide.
    """
    completeness, missing = check_completeness(answers)
    staff = (staff_category or "").strip()
    if staff and clean(staff).strip():  # a cell holding only a zero-width space is blank
        known = _known(staff, rules.categories)
        note = ""
        if known is None:
            near = get_close_matches(staff, list(rules.categories), n=1, cutoff=0.6)
            hint = f' Mungkin maksudnya "{near[0]}".' if near else ""
            note = (f'Kategori "{staff}" yang diisi petugas tidak ada dalam daftar kategori; '
                    f"unit tujuan mengikuti kategori {CATEGORY_LAINNYA}.{hint}")
        unit = unit_for(known or staff) or unit_for(CATEGORY_LAINNYA)
        return Classification(staff, unit, completeness, tuple(missing), True, note,
                              by_staff=True)
    ranked = score(str(answers.get("text") or ""), str(answers.get("location") or ""), rules)
    scores = tuple((c, s) for c, s, _ in ranked)
    category, confident, note, matched = _decide(ranked, rules)
    return Classification(category, unit_for(category), completeness, tuple(missing),
                          confident, note, scores, matched)


def _decide(
    ranked: Sequence[tuple[str, float, tuple[str, ...]]], rules: Rules
) -> tuple[str, bool, str, tuple[str, ...]]:
    """(category, confident, note, matched) by the margin rule over the ranked scores."""
    if not ranked:
        return (CATEGORY_LAINNYA, False, "Kategori tidak dapat ditentukan dari isi aduan; "
                "mohon petugas menentukan.", ())
    best, top, matched = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if top >= rules.min_score and top - second >= rules.min_margin and (
        second <= rules.max_ratio * top
    ):
        return best, True, "", matched
    # Candidates: the leader and whoever kept it from being a clear winner.
    close = [c for c, s, _ in ranked[1:3]
             if top - s < rules.min_margin or s > rules.max_ratio * top]
    return (CATEGORY_LAINNYA, False, f"Kategori belum pasti (kemungkinan: "
            f"{_join_or([best, *close])}); mohon petugas menentukan.", ())
