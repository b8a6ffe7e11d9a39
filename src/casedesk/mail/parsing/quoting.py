"""A reply's own words apart from the history it quotes and the signature below it."""

from __future__ import annotations

import re

_QUOTE_HEADERS = [
    re.compile(r"^On\b.{0,200}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^Am\b.{0,200}\bschrieb\b.{0,200}:\s*$", re.IGNORECASE),
    re.compile(r"^Le\b.{0,200}\ba\s+écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^El\b.{0,200}\bescribió:\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}$",
               re.IGNORECASE),
    re.compile(r"^-{2,}\s*Forwarded message\s*-{2,}$", re.IGNORECASE),
    re.compile(r"^_{20,}$"),
]  # fmt: skip
_OUTLOOK_FROM = re.compile(r"^\*?(From|Von|De)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\*?(Sent|Date|Gesendet|Datum|Envoyé)\s*:\*?\s", re.IGNORECASE)


def _quote_starts_at(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if line.startswith(">") or lines[i] in ("-- ", "--"):
        return True
    # Gmail wraps a long "On ... wrote:" header over two lines.
    candidates = [line]
    if i + 1 < len(lines) and line[:3].lower() in ("on ", "am ", "le ", "el "):
        candidates.append(line + " " + lines[i + 1].strip())
    if any(p.match(c) for p in _QUOTE_HEADERS for c in candidates):
        return True
    if _OUTLOOK_FROM.match(line):
        return any(_OUTLOOK_SENT.match(nxt.strip()) for nxt in lines[i + 1 : i + 5])
    return False


def split_quoted(text: str) -> tuple[str, str]:
    """Split a reply into (new part, quoted history and signature).

    When nothing but quotes is found (a bottom-posted reply, a forward) the whole text is the
    new part: an empty description would lose the customer's words.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    for i in range(len(lines)):
        if _quote_starts_at(lines, i):
            new = "\n".join(lines[:i]).rstrip()
            if not new.strip():
                return text, ""
            return new, "\n".join(lines[i:])
    return text, ""
