"""Articles' Markdown renders to HTML that cannot run anything, whatever the author wrote."""

import re

import pytest

from casedesk.kb.markdown import render

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.test/x.js></SCRIPT>",
    '<iframe src="https://evil.test"></iframe>',
    "<img src=x onerror=alert(1)>",
    '<a href="https://ok.test" onclick="alert(1)">x</a>',
    '<p style="position:fixed;top:0">cover</p>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1) )",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    '<svg onload="alert(1)"></svg>',
    "<object data=x></object><embed src=x>",
    "<!-- <script>alert(1)</script> -->",
    "`<script>` in code is text",
    "```html\n<script>alert(1)</script>\n```",
]


def _tags(html: str) -> list[str]:
    return re.findall(r"<\s*([a-zA-Z0-9]+)", html)


def _real_tags(html: str) -> str:
    """The markup of the HTML's elements (escaped text such as `&lt;img onerror&gt;` is
    text, not an element)."""
    return " ".join(re.findall(r"<[a-zA-Z][^>]*>", html))


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_renders_harmless(markdown) -> None:
    html = render(markdown)
    assert not {"script", "iframe", "svg", "object", "embed", "style"} & set(
        t.lower() for t in _tags(html)), html
    markup = _real_tags(html)
    assert not re.search(r"\son[a-z]+\s*=", markup), html
    assert not re.search(r"(javascript|vbscript|data):", markup, re.IGNORECASE), html
    assert "style=" not in markup


def test_markdown_renders_the_usual_things() -> None:
    html = render("# Reset\n\nSome **bold**, *em*, ~~gone~~ and `code`.\n\n"
                  "- one\n- two\n\n[docs](https://docs.test/a?b=1) "
                  "<https://auto.test> [mail](mailto:help@acme.test)\n\n"
                  "![diagram](https://img.test/d.png)\n")
    assert "<h1>Reset</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<s>gone</s>" in html and "<code>code</code>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://docs.test/a?b=1" rel="noopener noreferrer nofollow">docs</a>' in html
    assert 'href="mailto:help@acme.test"' in html
    assert '<img src="https://img.test/d.png" alt="diagram">' in html


def test_raw_html_is_shown_as_text() -> None:
    assert render("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"


def test_tables_keep_their_alignment_and_nothing_else() -> None:
    html = render("| a | b |\n|--:|:-|\n| 1 | 2 |\n")
    assert '<th class="align-right">a</th>' in html
    assert '<td class="align-left">2</td>' in html
    assert "style=" not in html  # the pages' CSP refuses style attributes


def test_plain_urls_are_not_turned_into_links() -> None:
    assert "<a" not in render("see https://example.test")
