"""Pure inbound-mail parsing: raw RFC 5322 bytes in, a plain ``ParsedMessage`` out.

No database and no Django: the ingestion service stores the raw message first and then calls
``parse_message``; anything that raises ``Unparseable`` is quarantined, never dropped.

Mail from the wild is broken in every way imaginable, so everything here is lenient:
messages are split with the ``compat32`` policy, which never interprets a header on its own
(the modern ``email.policy.default`` header objects raise or leave surrogates on unknown
charsets and bad base64, and building them cost more than half of the parsing time), headers
are decoded from their raw values by our own encoded-word decoder, and bodies are decoded with
a charset fallback chain.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import mimetypes
import quopri
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import nh3

__all__ = [
    "ParsedAttachment",
    "ParsedMessage",
    "Unparseable",
    "html_to_text",
    "parse_message",
    "split_quoted",
]

MAX_FILENAME_LENGTH = 150

# Headers at least one of which any real message carries; a "message" with none of them is
# binary garbage that happened to contain a colon.
_KNOWN_HEADERS = frozenset(
    {
        "from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
        "mime-version", "content-type", "sender", "reply-to", "in-reply-to", "references",
        "delivered-to", "x-mailer", "content-transfer-encoding",
    }
)  # fmt: skip

# Charsets that mail clients declare but mean something wider.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-2022-jp": "iso2022_jp_ext",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}


class Unparseable(Exception):  # noqa: N818 - the name is the contract with the ingestion code
    """Raised when a message has nothing usable (empty, no headers, binary garbage)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedAttachment:
    """One attachment or inline part, with a filename that is safe to store and show."""

    filename: str
    content_type: str
    disposition: str  # "attachment" or "inline"
    content_id: str
    size: int
    content: bytes
    truncated: bool = False


@dataclass
class ParsedMessage:
    """What the desk needs from one inbound message; every field has a usable default."""

    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    date_raw: str = ""
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_submitted: str = ""
    precedence: str = ""
    has_x_autoreply: bool = False
    has_x_autorespond: bool = False
    list_id: str = ""
    is_bounce: bool = False
    is_automatic: bool = False
    language: str = ""
    # The Authentication-Results values, unfolded, topmost first (`mail.authresults` decides
    # which of them to believe).
    authentication_results: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- decoding


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset, else utf-8, else utf-8 with replacement or latin-1."""
    name = (charset or "").strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    if name:
        try:
            codecs.lookup(name)
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    # A few bad bytes in otherwise utf-8 text: keep utf-8. Mostly bad: a legacy 8-bit charset.
    if lenient.count("\ufffd") * 100 <= max(len(lenient), 1):
        return lenient
    return data.decode("latin-1")


def _raw_to_str(value: str) -> str:
    """Undo the parser's surrogateescape on 8-bit header bytes (RFC 6532 or just broken)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8")
    return value


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def _decode_word(charset: str, encoding: str, payload: str) -> str:
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    if encoding in "Bb":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            data = base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return payload
    else:
        data = quopri.decodestring(
            payload.replace("_", " ").encode("ascii", "replace"), header=True
        )
    return _decode_bytes(data, charset)


def decode_header_value(value: str) -> str:
    """Decode RFC 2047 encoded words in any charset, leniently; unfold the value."""
    value = _raw_to_str(value)
    value = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")
    # Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
    while True:
        joined = _BETWEEN_WORDS.sub(r"\1\2", value)
        if joined == value:
            break
        value = joined
    return _ENCODED_WORD.sub(lambda m: _decode_word(m.group(1), m.group(2), m.group(3)), value)


# --------------------------------------------------------------------------- headers


def _header_values(msg: Message, name: str) -> list[str]:
    """Raw values of a header (the source text, not the policy's parsed object)."""
    wanted = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == wanted]


def _first(msg: Message, name: str) -> str:
    values = _header_values(msg, name)
    return values[0] if values else ""


_ANGLE_ID = re.compile(r"<([^<>\s]+)>")


def _message_ids(value: str) -> list[str]:
    ids = _ANGLE_ID.findall(value)
    if not ids:  # some clients omit the brackets
        ids = [tok.strip("<>,;") for tok in value.split() if "@" in tok]
    seen: list[str] = []
    for one in ids:
        if one and one not in seen:
            seen.append(one)
    return seen


def _addresses(values: Iterable[str]) -> list[tuple[str, str]]:
    """(name, lower-cased address) pairs; entries that are not an address are skipped."""
    texts = [
        re.sub(r"\r?\n[ \t]*", " ", _raw_to_str(v)).replace("\r", " ").replace("\n", " ")
        for v in values
    ]
    if not texts:
        return []
    try:
        pairs = getaddresses(texts)
        if not any(addr for _, addr in pairs):
            pairs = getaddresses(texts, strict=False)
    except Exception:  # noqa: BLE001 - a bad address must not lose the message
        pairs = []
    out: list[tuple[str, str]] = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").strip()
        if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
            continue
        out.append((decode_header_value(name).strip(), addr.lower()))
    return out


def _parse_date(value: str) -> dt.datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000": the zone is unknown; UTC is the RFC's reading
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


# --------------------------------------------------------------------------- body


@dataclass
class _Body:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    has_delivery_status: bool = False
    attached_messages: list[Message] = field(default_factory=list)


_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')


def safe_filename(name: str, *, content_type: str, index: int) -> str:
    """A filename with no path parts, control characters or tricks, at most 150 characters."""
    name = decode_header_value(name).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        ext = ".eml" if content_type == "message/rfc822" else None
        ext = ext or mimetypes.guess_extension(content_type, strict=False) or ".bin"
        return f"attachment-{index}{ext}"
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:  # noqa: BLE001
        return "text/plain"


def _serialise(msg: Message) -> bytes:
    """The enclosed message as bytes, whatever the generators make of its damage."""
    try:
        return msg.as_bytes(policy=policy.compat32)
    except Exception:  # noqa: BLE001 - fall back to the policy it was parsed with
        pass
    try:
        return msg.as_bytes()
    except Exception:  # noqa: BLE001 - e.g. non-ASCII the parser decoded with replacement
        return msg.as_string(policy=policy.compat32).encode("utf-8", "surrogateescape")


def _payload_bytes(part: Message) -> bytes:
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            inner = payload[0]
            data = _serialise(inner)
            # message/rfc822 must not be encoded (RFC 2046 §5.2.1), but some clients base64 it.
            cte = _first(part, "Content-Transfer-Encoding").strip().lower()
            if cte == "base64":
                try:
                    return base64.b64decode(data)
                except (binascii.Error, ValueError):
                    return data
            return data
        return b""
    decoded: object = part.get_payload(decode=True)
    if isinstance(decoded, bytes):
        return decoded
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


_RAW_NAME_PARAM = re.compile(r"""(?:^|;)\s*(file)?name\s*=\s*(?:"([^"]*)"|([^;]*))""", re.I)


def _raw_filename(part: Message) -> str:
    """The name as written, for values the parameter parser cuts short or drops."""
    for header in ("Content-Disposition", "Content-Type"):
        for match in _RAW_NAME_PARAM.finditer(_raw_to_str(_first(part, header))):
            value = match.group(2) if match.group(2) is not None else match.group(3)
            value = re.sub(r"\r?\n[ \t]*", "", value or "").strip()
            if value:
                return decode_header_value(value)
    return ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    name = _raw_to_str(name)
    raw = _raw_filename(part)
    # Unquoted names with spaces come back cut at the first space; encoded words in a quoted
    # parameter (against RFC 2047, but common) come back empty.
    # 8-bit names come back with replacement characters where the header had UTF-8.
    if raw and (not name or "\ufffd" in name
                or (len(raw) > len(name) and raw.startswith(name))):
        return raw
    return decode_header_value(name) if "=?" in name else name


def _walk(part: Message, body: _Body, max_bytes: int | None) -> None:
    ctype = _content_type(part)
    if ctype == "message/delivery-status":
        body.has_delivery_status = True
    if part.is_multipart() and ctype.startswith("multipart/"):
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    _walk(sub, body, max_bytes)
        return
    if ctype.startswith("multipart/"):
        ctype = "text/plain"  # broken boundary: the parser left the body as one string
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        disposition = ""
    filename = _filename(part)
    content_id = _first(part, "Content-ID").strip()
    content_id = decode_header_value(content_id).strip().strip("<>").strip()
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        try:
            charset = part.get_content_charset()
        except Exception:  # noqa: BLE001
            charset = None
        text = _decode_bytes(_payload_bytes(part), charset)
        (body.texts if ctype == "text/plain" else body.htmls).append(text)
        return
    if ctype == "message/rfc822" and part.is_multipart():
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            body.attached_messages.append(inner[0])
    data = _payload_bytes(part)
    size = len(data)
    truncated = max_bytes is not None and size > max_bytes
    if disposition not in ("attachment", "inline"):
        disposition = "inline" if content_id and not filename else "attachment"
    body.attachments.append(
        ParsedAttachment(
            filename=safe_filename(filename, content_type=ctype, index=len(body.attachments) + 1),
            content_type=ctype,
            disposition=disposition,
            content_id=content_id,
            size=size,
            content=b"" if truncated else data,
            truncated=truncated,
        )
    )


# --------------------------------------------------------------------------- HTML


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


# --------------------------------------------------------------------------- quoting

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


# --------------------------------------------------------------------------- entry point


def _normalise_obsolete_headers(raw: bytes) -> bytes:
    """RFC 822 allowed white space before a header's colon ("Subject  : x"); RFC 5322 not."""
    head, sep, rest = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    head = re.sub(rb"(?m)^([!-9;-~]+)[ \t]+:", rb"\1:", head)
    return head + sep + rest


def _parse_bytes(raw: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def _extract_body(msg: Message, max_bytes: int | None) -> _Body:
    body = _Body()
    _walk(msg, body, max_bytes)
    return body


def _header_names(msg: Message) -> set[str]:
    return {k.lower() for k, _ in msg.raw_items()}


def glimpse(raw: bytes) -> tuple[str, str]:
    """(sender address, subject) of a message the parser refused, as far as its headers can
    be read at all, so an admin's quarantine list says what it is. Never raises."""
    try:
        head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].replace(b"\x00", b"")
        msg = BytesParser(policy=policy.compat32).parsebytes(head + b"\n\n", headersonly=True)
        senders = _addresses(_header_values(msg, "From"))
        subject = re.sub(r"\s+", " ", decode_header_value(_first(msg, "Subject"))).strip()
        return (senders[0][1] if senders else ""), subject
    except Exception:  # noqa: BLE001 - a glimpse is a courtesy; the message is kept anyway
        return "", ""


def parse_message(raw: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMessage:
    """Parse one raw message leniently; raise ``Unparseable`` only when nothing is usable.

    Attachments larger than ``max_attachment_bytes`` are kept as records with their size and
    ``truncated=True`` but without content, so the desk can show a clear notice.
    """
    if not raw or not raw.strip():
        raise Unparseable("empty message")
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    if b"\x00" in head:
        raise Unparseable("binary data in the header section")
    msg = _parse_bytes(raw)
    if not _header_names(msg) & _KNOWN_HEADERS:
        raw = _normalise_obsolete_headers(raw)
        msg = _parse_bytes(raw)
    names = _header_names(msg)
    if not names:
        raise Unparseable("no headers")
    if not names & _KNOWN_HEADERS:
        raise Unparseable("no recognisable headers")

    try:
        body = _extract_body(msg, max_attachment_bytes)
    except Exception:  # noqa: BLE001 - last resort: the body as text, never a crash
        rest = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[1:]
        body = _Body(texts=[_decode_bytes(rest[0], "utf-8")] if rest else [])
    if not any(t.strip() for t in body.texts + body.htmls) and body.attached_messages:
        # A forward-as-attachment or a bounce with no words of its own: show the enclosed
        # message's words (the attachment itself is kept as well).
        try:
            inner = _extract_body(body.attached_messages[0], None)
            body.texts, body.htmls = inner.texts, inner.htmls
        except Exception:  # noqa: BLE001
            pass

    senders = _addresses(_header_values(msg, "From")) or _addresses(_header_values(msg, "Sender"))
    from_name, from_address = senders[0] if senders else ("", "")
    date_raw = decode_header_value(_first(msg, "Date")).strip()
    html_raw = "\n".join(body.htmls)
    text = "\n".join(body.texts)
    if not text.strip() and html_raw.strip():
        text = html_to_text(html_raw)
    auto_submitted = decode_header_value(_first(msg, "Auto-Submitted")).strip().lower()
    precedence = decode_header_value(_first(msg, "Precedence")).strip().lower()
    has_x_autoreply = bool(_header_values(msg, "X-Autoreply"))
    has_x_autorespond = bool(_header_values(msg, "X-Autorespond"))
    list_id = decode_header_value(_first(msg, "List-Id")).strip()
    local_part = from_address.split("@", 1)[0]
    is_bounce = (
        _content_type(msg) == "multipart/report"
        or body.has_delivery_status
        or local_part in ("mailer-daemon", "postmaster")
    )
    is_auto_submitted = bool(auto_submitted) and auto_submitted.split(";")[0].strip() != "no"
    is_automatic = (
        is_bounce
        or is_auto_submitted
        or precedence in ("bulk", "junk", "list")
        or has_x_autoreply
        or has_x_autorespond
        or (bool(list_id) and (bool(precedence) or is_auto_submitted))
    )
    message_ids = _message_ids(_first(msg, "Message-ID"))
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=_message_ids(" ".join(_header_values(msg, "In-Reply-To"))),
        references=_message_ids(" ".join(_header_values(msg, "References"))),
        subject=re.sub(r"\s+", " ", decode_header_value(_first(msg, "Subject"))).strip(),
        from_address=from_address,
        from_name=from_name,
        to=[a for _, a in _addresses(_header_values(msg, "To"))],
        cc=[a for _, a in _addresses(_header_values(msg, "Cc"))],
        reply_to=[a for _, a in _addresses(_header_values(msg, "Reply-To"))],
        date=_parse_date(date_raw),
        date_raw=date_raw,
        text=text,
        html=sanitize_html(html_raw) if html_raw.strip() else "",
        attachments=body.attachments,
        auto_submitted=auto_submitted,
        precedence=precedence,
        has_x_autoreply=has_x_autoreply,
        has_x_autorespond=has_x_autorespond,
        list_id=list_id,
        is_bounce=is_bounce,
        is_automatic=is_automatic,
        language=decode_header_value(_first(msg, "Content-Language")).strip(),
        authentication_results=[
            " ".join(_raw_to_str(v).split()) for v in _header_values(msg, "Authentication-Results")
        ][:20],
    )
