"""An article's Markdown made into HTML that is safe to show: markdown-it-py (CommonMark with
tables and strikethrough, raw HTML left as text) renders it, then nh3 keeps only the tags,
attributes and classes below, so a script, an iframe, an event handler, a style or a
`javascript:` or `data:` URL written into an article never reaches a page. The sanitizer runs
even though the renderer escapes raw HTML: it is the one guarantee, whatever the renderer lets
through."""

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

_MARKDOWN = (MarkdownIt("commonmark", {"html": False, "linkify": False})
             .enable("table").enable("strikethrough"))
ALIGNMENTS = ("left", "center", "right")


def _alignment_as_class(state: StateCore) -> None:
    """A table column's alignment as a class (`align-right`) rather than the style attribute
    markdown-it writes: the pages' Content-Security-Policy refuses style attributes."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrGet("style") or "")
            if style:
                del token.attrs["style"]
                align = style.removeprefix("text-align:").strip()
                if align in ALIGNMENTS:
                    token.attrSet("class", f"align-{align}")


_MARKDOWN.core.ruler.push("alignment_as_class", _alignment_as_class)

TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
# The only classes kept: a table column's alignment (`_alignment_as_class`).
CLASSES = {tag: {f"align-{align}" for align in ALIGNMENTS} for tag in ("th", "td")}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render(markdown: str) -> str:
    """The sanitized HTML of `markdown`."""
    return nh3.clean(
        _MARKDOWN.render(markdown),
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        allowed_classes=CLASSES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
