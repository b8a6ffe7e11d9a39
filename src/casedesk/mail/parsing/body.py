"""The MIME tree of a message: its text and HTML parts, and its attachments (inline parts
and enclosed messages included), each with a filename that is safe to store and show."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from casedesk.mail.parsing.charsets import decode_bytes, decode_header_value, raw_to_str
from casedesk.mail.parsing.fields import first_header

MAX_FILENAME_LENGTH = 150


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
class Body:
    """What walking a message's parts found."""

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


def part_type(part: Message) -> str:
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
            cte = first_header(part, "Content-Transfer-Encoding").strip().lower()
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
        for match in _RAW_NAME_PARAM.finditer(raw_to_str(first_header(part, header))):
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
    name = raw_to_str(name)
    raw = _raw_filename(part)
    # Unquoted names with spaces come back cut at the first space; encoded words in a quoted
    # parameter (against RFC 2047, but common) come back empty.
    # 8-bit names come back with replacement characters where the header had UTF-8.
    if raw and (not name or "\ufffd" in name
                or (len(raw) > len(name) and raw.startswith(name))):
        return raw
    return decode_header_value(name) if "=?" in name else name


def _walk(part: Message, body: Body, max_bytes: int | None) -> None:
    ctype = part_type(part)
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
    content_id = first_header(part, "Content-ID").strip()
    content_id = decode_header_value(content_id).strip().strip("<>").strip()
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        try:
            charset = part.get_content_charset()
        except Exception:  # noqa: BLE001
            charset = None
        text = decode_bytes(_payload_bytes(part), charset)
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


def extract_body(msg: Message, max_bytes: int | None) -> Body:
    body = Body()
    _walk(msg, body, max_bytes)
    return body
