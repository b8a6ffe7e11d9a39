"""HTML mail made safe to show (an allow-list sanitiser) and read as plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote images are tracking pixels and leak that the mail was read: keep only cid: images,
    # which the desk serves from the stored attachments.
    if tag == "img" and attribute == "src" and not value.lower().startswith("cid:"):
        return None
    return value


_HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
}  # fmt: skip
_HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "*": {"dir", "lang"},
}


def sanitize_html(html: str) -> str:
    """nh3 with an allow-list: no scripts, handlers, styles or remote loads; links kept."""
    return nh3.clean(
        html,
        tags=_HTML_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes=_HTML_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "tel", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


# Line breaks each element makes: paragraphs are set off by a blank line, the rest by one.
_PARAGRAPH_TAGS = {
    "blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "table",
    "ul",
}  # fmt: skip
_LINE_TAGS = {
    "address", "article", "aside", "br", "dd", "div", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "header", "li", "main", "nav", "section", "tr",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "head", "title", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pending_breaks = 0
        self.skip_depth = 0
        self.pre_depth = 0

    def _break(self, count: int) -> None:
        # Nested blocks (</li></ul></div>) must not pile up blank lines: keep the largest.
        if self.parts:
            self.pending_breaks = max(self.pending_breaks, count)

    def _emit(self, text: str) -> None:
        if self.pending_breaks:
            self.parts.append("\n" * self.pending_breaks)
            self.pending_breaks = 0
        self.parts.append(text)

    def _breaks_for(self, tag: str) -> int:
        return 2 if tag in _PARAGRAPH_TAGS else 1 if tag in _LINE_TAGS else 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        if tag == "br":
            self._emit("\n")
        else:
            self._break(self._breaks_for(tag))
        if tag == "li":
            self._emit("- ")
        elif tag in ("td", "th") and self.parts and not self.pending_breaks:
            self._emit(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(self.skip_depth - 1, 0)
        elif tag == "pre":
            self.pre_depth = max(self.pre_depth - 1, 0)
        if tag != "br":
            self._break(self._breaks_for(tag))

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            self._emit(data)
            return
        collapsed = re.sub(r"\s+", " ", data)
        if collapsed.strip() or (self.parts and not self.pending_breaks):
            self._emit(collapsed)


def html_to_text(html: str) -> str:
    """Readable plain text from HTML: block elements become line breaks, entities decoded."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient, but never lose the body over it
        return re.sub(r"<[^>]*>", " ", html).strip()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
