"""Highlighted snippets: a short window of a text around the first term it contains, escaped
first and only then marked, so nothing a customer wrote can become markup. Pure: the same on
both engines, and computed only for the results a page shows."""

import re
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 180  # characters of context in a snippet
_SPACE = re.compile(r"\s+")


def _pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    usable = sorted({t for t in terms if t}, key=len, reverse=True)
    if not usable:
        return None
    # Whole words only (a term is letters and digits): "jam" marks "jam", not "pyjamas".
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, usable)) + r")(?!\w)", re.IGNORECASE)


def snippet(text: str, terms: Sequence[str], *, width: int = WIDTH) -> SafeString:
    """Up to `width` characters of `text` (whitespace collapsed) around the first of `terms`
    it holds, each term wrapped in <mark>; the start of the text when none is found. An
    ellipsis shows where the text was cut."""
    flat = _SPACE.sub(" ", text).strip()
    pattern = _pattern(terms)
    first = pattern.search(flat) if pattern is not None else None
    start = 0
    if first is not None and first.start() > width // 3:
        start = first.start() - width // 3
        space = flat.find(" ", start)
        if space != -1 and space < first.start():
            start = space + 1
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        if space > start + width // 2:
            end = space
    window = flat[start:end]
    parts: list[str] = ["…" if start > 0 else ""]
    position = 0
    if pattern is not None:
        for found in pattern.finditer(window):
            parts.append(escape(window[position:found.start()]))
            parts.append(f"<mark>{escape(found.group(0))}</mark>")
            position = found.end()
    parts.append(escape(window[position:]))
    parts.append("…" if end < len(flat) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped
