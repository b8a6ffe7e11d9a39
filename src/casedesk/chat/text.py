"""Chat text: what a visitor or an agent typed, made plain.

Chat is plain text on both sides: markup is removed before anything is stored, so a message
can never carry HTML into the widget, the console, the case's timeline or a mail, whatever
renders it later. Tags are dropped (the text between them kept), except inside elements whose
content is code or styling (script, style, …), which go whole; character references are
decoded (and what they spell stripped in turn); control characters are removed and runs of
blank lines shortened."""

import re
from html.parser import HTMLParser

MAX_MESSAGE = 4000  # characters in one message
_DROPPED = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript",
                      "svg", "math"})
_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TAGLIKE = re.compile(r"</?[A-Za-z!/?]")


class _Plain(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.hidden += 1
        elif tag in _BREAKS and not self.hidden:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.hidden = max(0, self.hidden - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS and not self.hidden:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _strip(text: str) -> str:
    parser = _Plain()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def plain(text: str) -> str:
    """`text` without markup, control characters or surrounding blank space. Text that holds
    no tag is kept exactly (a "<" in "x < 3" stays). Stripping decodes character references,
    which may spell a tag ("&lt;b&gt;"): that is stripped in turn, so what comes out holds no
    tag however it was written."""
    for _ in range(4):
        if not _TAGLIKE.search(text):
            break
        text = _strip(text)
    else:
        text = _TAGLIKE.sub("", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()
