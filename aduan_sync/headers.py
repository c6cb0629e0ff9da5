"""Map sheet headers to fields by name, never by position.

Staff move columns and Google Forms adds a column when a question is added, so every lookup
goes through the header text, compared case- and space-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from aduan_sync.model import FORM_FIELDS, REQUIRED_FORM_FIELDS, WORKER_COLUMNS

_SPACE = re.compile(r"\s+")


def normalize_header(text: object) -> str:
    """`"  Nama   lengkap "` -> `"nama lengkap"`; `None` -> `""`."""
    if text is None:
        return ""
    return _SPACE.sub(" ", str(text)).strip().casefold()


@dataclass
class HeaderMap:
    """Where each known field and worker column sits in one worksheet (0-based indexes)."""

    headers: list[str]
    fields: dict[str, int]  # form field key -> column index
    worker: dict[str, int]  # worker column key -> column index
    worker_headers: dict[str, str]  # worker column key -> header text (configured)
    missing_fields: list[str] = field(default_factory=list)  # form field keys not found
    missing_worker: list[str] = field(default_factory=list)  # worker column keys not found
    duplicates: list[str] = field(default_factory=list)  # header texts that appear twice

    @cached_property
    def form_columns(self) -> list[int]:
        """Indexes of every column that is not a worker column (the citizen's answers)."""
        worker = set(self.worker.values())
        return [i for i, h in enumerate(self.headers) if i not in worker and normalize_header(h)]

    @property
    def missing_required(self) -> list[str]:
        return [k for k in REQUIRED_FORM_FIELDS if k in self.missing_fields]

    def header_of(self, worker_key: str) -> str:
        return self.worker_headers[worker_key]


def map_headers(
    headers: Sequence[object],
    field_aliases: Mapping[str, Sequence[str]] | None = None,
    worker_headers: Mapping[str, str] | None = None,
) -> HeaderMap:
    """Find the form fields and worker columns among `headers`.

    `field_aliases` adds header texts per field key (from config) to the defaults of
    `model.FORM_FIELDS`; `worker_headers` overrides worker column headers.
    """
    texts = ["" if h is None else str(h).strip() for h in headers]
    norm = [normalize_header(h) for h in texts]
    first_index: dict[str, int] = {}
    duplicates: list[str] = []
    for i, n in enumerate(norm):
        if not n:
            continue
        if n in first_index:
            duplicates.append(texts[i])
        else:
            first_index[n] = i

    wheaders = dict(WORKER_COLUMNS)
    if worker_headers:
        wheaders.update(worker_headers)
    worker: dict[str, int] = {}
    for key, header in wheaders.items():
        idx = first_index.get(normalize_header(header))
        if idx is not None:
            worker[key] = idx

    fields: dict[str, int] = {}
    taken = set(worker.values())
    for key, defaults in FORM_FIELDS.items():
        aliases = list(defaults) + list((field_aliases or {}).get(key, ()))
        for alias in aliases:
            idx = first_index.get(normalize_header(alias))
            if idx is not None and idx not in taken:
                fields[key] = idx
                taken.add(idx)
                break

    return HeaderMap(
        headers=texts,
        fields=fields,
        worker=worker,
        worker_headers=wheaders,
        missing_fields=[k for k in FORM_FIELDS if k not in fields],
        missing_worker=[k for k in wheaders if k not in worker],
        duplicates=duplicates,
    )
