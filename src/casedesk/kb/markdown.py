"""An article's Markdown made into HTML that is safe to show: markdown-it-py (CommonMark with
tables and strikethrough, raw HTML left as text) renders it, then nh3 keeps only the tags and
attributes below, so a script, an iframe, an event handler, a style or a `javascript:` or
`data:` URL written into an article never reaches a page. The sanitizer runs even though the
renderer escapes raw HTML: it is the one guarantee, whatever the renderer lets through."""

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = (MarkdownIt("commonmark", {"html": False, "linkify": False})
             .enable("table").enable("strikethrough"))

TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    # A table column's alignment, which markdown-it writes as a style; every other style
    # property is dropped (`filter_style_properties`).
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render(markdown: str) -> str:
    """The sanitized HTML of `markdown`."""
    return nh3.clean(
        _MARKDOWN.render(markdown),
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        filter_style_properties={"text-align"},
    )
