"""Text in whatever charset a message declares (or gets wrong): bodies, and the RFC 2047
encoded words of header values."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

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


def decode_bytes(data: bytes, charset: str | None) -> str:
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


def raw_to_str(value: str) -> str:
    """Undo the parser's surrogateescape on 8-bit header bytes (RFC 6532 or just broken)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8")
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
    return decode_bytes(data, charset)


def decode_header_value(value: str) -> str:
    """Decode RFC 2047 encoded words in any charset, leniently; unfold the value."""
    value = raw_to_str(value)
    value = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")
    # Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
    while True:
        joined = _BETWEEN_WORDS.sub(r"\1\2", value)
        if joined == value:
            break
        value = joined
    return _ENCODED_WORD.sub(lambda m: _decode_word(m.group(1), m.group(2), m.group(3)), value)
