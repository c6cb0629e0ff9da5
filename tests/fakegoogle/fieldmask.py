"""Partial responses: the `fields` parameter (`a,b.c,d(e,f)`) applied to a JSON answer."""

from __future__ import annotations

from typing import Any

Mask = dict[str, "Mask"]  # an empty dict means "the whole value"


def parse(text: str) -> Mask:
    """`spreadsheetId,sheets.properties(title,gridProperties)` -> nested dict of names."""
    mask: Mask = {}
    pos = _parse_into(text.replace(" ", ""), 0, mask)
    if pos != len(text.replace(" ", "")):
        raise ValueError(f"Invalid field selection {text}")
    return mask


def _parse_into(text: str, pos: int, mask: Mask) -> int:
    while pos < len(text):
        start = pos
        while pos < len(text) and text[pos] not in ",()":
            pos += 1
        path = text[start:pos]
        if not path:
            raise ValueError(f"Invalid field selection {text}")
        node = mask
        for name in path.split("/" if "/" in path else "."):
            node = node.setdefault(name, {})
        if pos < len(text) and text[pos] == "(":
            pos = _parse_into(text, pos + 1, node)
            if pos >= len(text) or text[pos] != ")":
                raise ValueError(f"Invalid field selection {text}")
            pos += 1
        if pos < len(text) and text[pos] == ")":
            return pos
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return pos


def apply(value: Any, mask: Mask) -> Any:
    """Keep only the masked parts of `value`; lists apply the mask to each item."""
    if not mask:
        return value
    if isinstance(value, list):
        return [apply(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: apply(value[k], sub) for k, sub in mask.items() if k in value}
