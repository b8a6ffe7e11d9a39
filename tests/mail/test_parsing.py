"""The pure mail parser, on a real-world corpus and on messages written for each behaviour.

No database: these tests never touch Django models.
"""

import contextlib
import json
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casedesk.mail.parsing.html import html_to_text
from casedesk.mail.parsing.message import ParsedMessage, Unparseable, parse_message
from casedesk.mail.parsing.quoting import split_quoted

REPO = Path(__file__).resolve().parents[2]
# The shared corpus next to the checkout when present; the copy in the repo on a fresh clone.
CORPUS = next(
    p
    for p in (REPO.parent / "shared" / "mail-corpus", Path(__file__).parent / "corpus")
    if (p / "expected.json").is_file()
)
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())

# Where we read a corpus message differently from imap_tools (whose reading expected.json is),
# and why. Keys: message path -> the fields we allow to differ.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    # imap_tools joins the text of attached messages into the body; we keep an attached
    # message as an .eml attachment and do not merge its words into the sender's own text.
    "attachment_8bit.eml": {"text": "text of the attached message not merged into the body"},
    "attachment_emails/attachment_message_rfc822.eml": {
        "text": "text of the attached message not merged into the body",
        "attachments": "broken.pdf lives inside the attached .eml, not beside it",
    },
    # message/rfc822 sent base64-encoded: imap_tools shows the base64 of the enclosed message
    # as the body; we decode the attachment and show the sender's own text.
    "attachment_2_base64.eml": {"text": "imap_tools shows the encoded attachment as text"},
    # Declared iso-8859-1, read as windows-1252 (what senders mean): 0x86 is "†", not a C1
    # control character.
    "error_emails/content_transfer_encoding_7-bit.eml": {"text": "cp1252 for iso-8859-1"},
    # imap_tools drops the undecodable 8-bit characters; we keep them ("Formação", "Mobilité").
    "error_emails/invalid_subject_characters.eml": {"subject": "8-bit characters kept"},
    "plain_emails/raw_email6.eml": {"text": "8-bit characters kept"},
    # Parts with no name, no Content-ID and no attachment disposition are skipped by
    # imap_tools; a desk never drops content, so we keep them as attachments (a JPEG, a
    # text/enriched part, the delivery-status and returned headers of bounces).
    "error_emails/missing_content_disposition.eml": {"attachments": "unnamed image kept"},
    "mime_emails/raw_email11.eml": {"attachments": "text/enriched part kept"},
    "mime_emails/raw_email_with_mimepart_without_content_type.eml": {
        "attachments": "delivery-status kept"
    },
    "multipart_report_emails/multi_address_bounce1.eml": {"attachments": "delivery-status kept"},
    "multipart_report_emails/multi_address_bounce2.eml": {"attachments": "delivery-status kept"},
    "multipart_report_emails/report_422.eml": {"attachments": "delivery-status kept"},
    "multipart_report_emails/report_530.eml": {"attachments": "delivery-status kept"},
    # A bounce with no words of its own: imap_tools shows the text inside the delivery-status
    # part; we show the returned message's text, and keep the parts of the returned message
    # inside its .eml rather than listing them beside it.
    "multipart_report_emails/multipart_report_multiple_status.eml": {
        "text": "returned message's text shown",
        "attachments": "delivery-status kept; returned message's parts stay inside its .eml",
    },
    # A text/plain part with a Content-ID but no name is the body here, not an attachment.
    "text_with_content_id.eml": {"attachments": "text/plain with Content-ID is the body"},
    # RFC 822 obsolete syntax ("From  : ..."): imap_tools reads no headers at all; we accept
    # white space before the colon and recover the sender.
    "rfc2822/example13.eml": {"from": "obsolete header syntax read", "text": "same reason"},
}


def _ws(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def _addresses(values: list[str]) -> list[str]:
    # imap_tools lists fragments such as "" or "@mailman.enron.com" from broken To headers;
    # we keep only entries that are addresses, lower-cased for matching participants.
    return [v.lower() for v in values if "@" in v and not v.startswith("@")]


def _corpus_paths() -> list[str]:
    return sorted(EXPECTED)


def test_corpus_is_complete() -> None:
    on_disk = {
        p.relative_to(CORPUS / "messages").as_posix() for p in (CORPUS / "messages").rglob("*.eml")
    }
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", _corpus_paths())
def test_corpus_message_reads_like_expected(name: str) -> None:
    raw = (CORPUS / "messages" / name).read_bytes()
    try:
        parsed = parse_message(raw)
    except Unparseable:
        pytest.fail(f"{name}: every corpus message has headers and must be taken in")
    expected = EXPECTED[name]
    allowed = KNOWN_DIFFERENCES.get(name, {})

    if "subject" not in allowed:
        # Folding white space: we unfold and collapse runs of white space, and keep the space
        # between plain text and an encoded word that RFC 2047 says is part of the subject
        # (imap_tools drops it, e.g. "Re: TEST =?ISO-2022-JP?...").
        assert re.sub(r"\s", "", parsed.subject) == re.sub(r"\s", "", expected["subject"])
    if "from" not in allowed:
        assert parsed.from_address == (expected["from"] or "").lower()
    assert parsed.to == _addresses(expected["to"])
    assert parsed.cc == _addresses(expected["cc"])
    if "text" not in allowed:
        want = _ws(expected["text_start"])[:150]
        if want:
            assert _ws(parsed.text).startswith(want)
        elif expected["has_html"]:
            # imap_tools leaves text empty for HTML-only mail; we derive it from the HTML.
            assert parsed.html
    assert bool(parsed.html) == expected["has_html"]
    if "attachments" not in allowed:
        assert len(parsed.attachments) == len(expected["attachments"])
        for ours, theirs in zip(parsed.attachments, expected["attachments"], strict=True):
            assert ours.content_type == theirs["content_type"]
            assert ours.size == theirs["size"]
            if theirs["filename"]:
                assert ours.filename == theirs["filename"]
            else:  # a nameless part gets a default name we can store
                assert re.fullmatch(r"attachment-\d+\.\w+", ours.filename)


@pytest.mark.parametrize("name", _corpus_paths())
def test_corpus_message_never_raises_and_is_safe(name: str) -> None:
    parsed = parse_message((CORPUS / "messages" / name).read_bytes(), max_attachment_bytes=100)
    assert "<script" not in parsed.html.lower()
    for att in parsed.attachments:
        assert "/" not in att.filename and "\\" not in att.filename
        assert 0 < len(att.filename) <= 150
        assert att.truncated == (att.size > 100)
        assert att.content == b"" if att.truncated else len(att.content) == att.size


# --------------------------------------------------------------------------- unit cases


def _raw(headers: str, body: str = "Hello\r\n") -> bytes:
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body).encode("latin-1")


BASE = "From: Ann <ann@example.com>\nTo: support@desk.example\nMessage-ID: <m1@example.com>\n"


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("=?UTF-8?B?0J/RgNC40LLQtdGC?=", "Привет"),
        ("=?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=", "Grüße aus Köln"),
        ("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("=?windows-1252?Q?caf=E9?= =?windows-1252?Q?_cr=E8me?=", "café crème"),
        ("Re: =?utf-8?q?=E2=82=AC_100?=\n plus", "Re: € 100 plus"),
    ],
)
def test_encoded_word_subjects_in_several_charsets(encoded: str, decoded: str) -> None:
    parsed = parse_message(_raw(BASE + f"Subject: {encoded}\n"))
    assert parsed.subject == decoded


def test_unknown_charset_falls_back_without_losing_the_text() -> None:
    raw = (
        _raw(
            BASE + "Subject: =?x-no-such-charset?Q?caf=C3=A9?=\n"
            "Content-Type: text/plain; charset=x-no-such-charset\n",
            "",
        )
        + "na\u00efve text".encode()
    )
    parsed = parse_message(raw)
    assert parsed.subject == "café"
    assert parsed.text == "naïve text"


def test_broken_bytes_in_utf8_body_fall_back_to_latin1() -> None:
    raw = _raw(BASE + "Content-Type: text/plain; charset=utf-8\n", "") + "Grüße".encode("latin-1")
    assert parse_message(raw).text == "Grüße"


def test_html_only_mail_is_sanitized_and_text_is_derived() -> None:
    html = (
        "<html><head><style>body{background:url(http://t.example/x)}</style></head><body>"
        '<p onclick="steal()">Hello&nbsp;<b>there</b> &amp; welcome</p>'
        '<script>alert(1)</script><img src="http://tracker.example/p.gif">'
        "<ul><li>one</li><li>two</li></ul>"
        '<a href="https://desk.example/help" style="color:red">help</a>'
        ' <a href="javascript:alert(1)">bad</a></body></html>'
    )
    raw = _raw(BASE + "Content-Type: text/html; charset=utf-8\n", html)
    parsed = parse_message(raw)
    assert "<script" not in parsed.html and "alert" not in parsed.html
    assert "onclick" not in parsed.html and "style" not in parsed.html
    assert "tracker.example" not in parsed.html and "javascript:" not in parsed.html
    assert 'href="https://desk.example/help"' in parsed.html
    assert "<b>there</b>" in parsed.html
    assert parsed.text == "Hello there & welcome\n\n- one\n- two\n\nhelp bad"


def test_html_to_text_breaks_blocks_and_keeps_pre() -> None:
    text = html_to_text("<div>a<br>b</div><p>c   d</p><pre>x  y\n z</pre>&lt;ok&gt;")
    assert text == "a\nb\n\nc d\n\nx  y\nz\n\n<ok>"


def test_alternative_prefers_the_plain_text_part() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "s@desk.example", "Hi"
    msg.set_content("plain words")
    msg.add_alternative("<p>html words</p>", subtype="html")
    parsed = parse_message(msg.as_bytes())
    assert parsed.text.strip() == "plain words"
    assert "html words" in parsed.html


def test_auto_reply_is_automatic() -> None:
    parsed = parse_message(
        _raw(BASE + "Subject: Out of office\nAuto-Submitted: auto-replied\nX-Autoreply: yes\n")
    )
    assert parsed.auto_submitted == "auto-replied"
    assert parsed.has_x_autoreply
    assert parsed.is_automatic and not parsed.is_bounce


def test_auto_submitted_no_and_plain_list_id_are_not_automatic() -> None:
    parsed = parse_message(_raw(BASE + "Auto-Submitted: no\nList-Id: <team.example.com>\n"))
    assert not parsed.is_automatic


def test_precedence_bulk_is_automatic() -> None:
    assert parse_message(_raw(BASE + "Precedence: bulk\n")).is_automatic


def test_bounce_is_detected_from_report_and_sender() -> None:
    raw = _raw(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\nTo: support@desk.example\n"
        "Subject: Undelivered\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="b1"\n',
        "--b1\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y.example\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n--b1--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.is_bounce and parsed.is_automatic
    assert parsed.from_address == "mailer-daemon@mx.example"
    assert parsed.text.strip() == "Could not deliver."


def test_path_traversal_attachment_name_is_made_safe() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "s@desk.example", "Files"
    msg.set_content("see attached")
    msg.add_attachment(b"x", maintype="application", subtype="octet-stream",
                       filename="../../etc/passwd")  # fmt: skip
    msg.add_attachment(b"y", maintype="application", subtype="pdf",
                       filename="C:\\Users\\a\\evil\u202egpj.exe")  # fmt: skip
    msg.add_attachment(b"z" * 3, maintype="image", subtype="png", filename="a" * 300 + ".png")
    msg.add_attachment(b"w", maintype="application", subtype="octet-stream")
    names = [a.filename for a in parse_message(msg.as_bytes()).attachments]
    assert names[0] == "passwd"
    assert names[1] == "evilgpj.exe"
    assert len(names[2]) == 150 and names[2].endswith(".png")
    assert names[3] == "attachment-4.bin"


def test_attachment_over_the_limit_is_truncated() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "s@desk.example", "Big"
    msg.set_content("big file attached")
    msg.add_attachment(b"\x00" * 5000, maintype="application", subtype="zip", filename="big.zip")
    msg.add_attachment(b"small", maintype="text", subtype="plain", filename="small.txt")
    big, small = parse_message(msg.as_bytes(), max_attachment_bytes=1000).attachments
    assert big.truncated and big.content == b"" and big.size == 5000
    assert not small.truncated and small.content == b"small"


def test_inline_image_keeps_its_content_id() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "s@desk.example", "Logo"
    msg.set_content("text")
    msg.add_alternative('<p><img src="cid:logo1"></p>', subtype="html")
    msg.get_payload()[1].add_related(b"PNG", maintype="image", subtype="png", cid="<logo1>")
    parsed = parse_message(msg.as_bytes())
    (image,) = parsed.attachments
    assert image.content_id == "logo1" and image.disposition == "inline"
    assert 'src="cid:logo1"' in parsed.html


def test_headers_threading_and_addresses() -> None:
    parsed = parse_message(
        _raw(
            'From: "Doe, John" <John.Doe@Example.COM>\n'
            "To: a@x.example, =?utf-8?q?B=C3=A9a?= <b@x.example>, undisclosed-recipients:;\n"
            "Cc: c@x.example\nReply-To: replies@x.example\n"
            "Message-ID: <abc@x.example>\nIn-Reply-To: <p1@x.example>\n"
            "References: <p0@x.example>\n <p1@x.example>\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0100\nContent-Language: de-DE\n"
            "Subject: A long\n folded subject\n"
        )
    )
    assert parsed.from_address == "john.doe@example.com"
    assert parsed.from_name == "Doe, John"
    assert parsed.to == ["a@x.example", "b@x.example"]
    assert parsed.cc == ["c@x.example"] and parsed.reply_to == ["replies@x.example"]
    assert parsed.message_id == "abc@x.example"
    assert parsed.in_reply_to == ["p1@x.example"]
    assert parsed.references == ["p0@x.example", "p1@x.example"]
    assert parsed.subject == "A long folded subject"
    assert parsed.date is not None and parsed.date.utcoffset() is not None
    assert parsed.date.isoformat() == "2026-11-23T10:00:00+01:00"
    assert parsed.language == "de-DE"


def test_bad_date_is_none_but_kept_raw() -> None:
    parsed = parse_message(_raw(BASE + "Date: yesterday-ish\n"))
    assert parsed.date is None and parsed.date_raw == "yesterday-ish"


def test_missing_content_type_and_broken_boundary_are_read_as_text() -> None:
    assert parse_message(_raw(BASE, "just text")).text == "just text"
    raw = _raw(BASE + 'Content-Type: multipart/mixed; boundary="nope"\n', "no parts here\r\n")
    assert "no parts here" in parse_message(raw).text


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\r\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"no headers here at all",
    ],
)
def test_nothing_usable_is_unparseable(raw: bytes) -> None:
    with pytest.raises(Unparseable) as info:
        parse_message(raw)
    assert info.value.reason


def test_parsed_message_defaults_are_empty() -> None:
    assert ParsedMessage().message_id == "" and ParsedMessage().attachments == []


# --------------------------------------------------------------------------- quoting


def test_split_quoted_gmail() -> None:
    text = (
        "Thanks, that fixed it.\n\n"
        "On Mon, Nov 23, 2026 at 10:00 AM Support Desk <\nsupport@desk.example> wrote:\n"
        "> Please try again.\n> Regards"
    )
    new, quoted = split_quoted(text)
    assert new == "Thanks, that fixed it."
    assert quoted.startswith("On Mon, Nov 23") and "> Please try again." in quoted


def test_split_quoted_outlook() -> None:
    text = (
        "Still broken.\r\n\r\n"
        "________________________________\r\n"
        "From: Support Desk <support@desk.example>\r\n"
        "Sent: Monday, November 23, 2026 10:00 AM\r\n"
        "To: Ann\r\nSubject: RE: [CS-1042] Printer\r\n\r\nPlease try again."
    )
    new, quoted = split_quoted(text)
    assert new == "Still broken."
    assert "Sent: Monday" in quoted
    text2 = "Ok.\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold"
    assert split_quoted(text2) == ("Ok.", "-----Original Message-----\nFrom: x\nSent: y\n\nold")
    text3 = "Ok.\n\nFrom: Support <s@desk.example>\nSent: Monday\nTo: Ann\n\nold"
    assert split_quoted(text3)[0] == "Ok."


def test_split_quoted_german_and_french() -> None:
    de = "Danke!\n\nAm 23.11.2026 um 10:00 schrieb Support <s@desk.example>:\n> Hallo"
    assert split_quoted(de) == (
        "Danke!",
        "Am 23.11.2026 um 10:00 schrieb Support <s@desk.example>:\n> Hallo",
    )
    fr = "Merci.\n\nLe lun. 23 nov. 2026 à 10:00, Support <s@desk.example> a écrit :\n> Bonjour"
    assert split_quoted(fr)[0] == "Merci."


def test_split_quoted_signature() -> None:
    assert split_quoted("Hi\n\nthanks\n-- \nAnn\nACME Inc.") == (
        "Hi\n\nthanks",
        "-- \nAnn\nACME Inc.",
    )


def test_split_quoted_never_returns_an_empty_new_part() -> None:
    text = "> only a quote\n> nothing new"
    assert split_quoted(text) == (text, "")
    assert split_quoted("no quote at all") == ("no quote at all", "")


# --------------------------------------------------------------------------- robustness

_SAMPLES = [(CORPUS / "messages" / name).read_bytes() for name in _corpus_paths()[::7]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(_SAMPLES),
    cut=st.integers(min_value=0, max_value=20_000),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=40),
)
def test_damaged_messages_raise_only_unparseable(
    sample: bytes, cut: int, flips: list[tuple[int, int]]
) -> None:
    raw = bytearray(sample[: max(cut, 1)])
    for position, value in flips:
        raw[position % len(raw)] = value
    with contextlib.suppress(Unparseable):
        parse_message(bytes(raw), max_attachment_bytes=64)
