"""Files people upload or send, as every app that keeps them treats them: a name safe to show,
a type read from the bytes (never from what the browser or the sender claims), and a download
that keeps a browser from running what a stranger wrote.

Used by the cases' note attachments (`cases/attachments.py`), the web form and the portal
(`portal/webform.py`, `portal/conversation.py`), the knowledge base's article files
(`kb/attachments.py`) and mail's attachments (`mail/downloads.py`).
"""

import json
import os
import re
import zipfile
from typing import IO, Protocol

from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from casedesk.core.errors import Invalid
from casedesk.core.text import check_text

OCTET_STREAM = "application/octet-stream"
# Images a browser may show in the page; anything else (SVG, which can carry script, above
# all; HTML) is only ever downloaded.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The types `real_type` can tell: what an admin may allow.
KNOWN_TYPES = [
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
    "text/csv", "application/zip", "application/json", DOCX, XLSX,
]
# The extensions people name those types by (an allow-list may be written either way).
EXTENSION_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "webp": "image/webp", "pdf": "application/pdf", "txt": "text/plain", "log": "text/plain",
    "csv": "text/csv", "zip": "application/zip", "json": "application/json", "docx": DOCX,
    "xlsx": XLSX,
}
_HEAD = 4096
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_SANDBOX = "default-src 'none'; sandbox"
# A media type as RFC 6838 shapes it (lower-case); parameters are dropped before the match.
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
# Control characters (NUL included), and the invisible ones that reorder or hide text: a
# right-to-left override makes "invoice\u202egpj.exe" read as "invoiceexe.jpg".
_UNSHOWN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


# --- names -------------------------------------------------------------------------------------


def clean_filename(raw: str, *, limit: int, field: str = "file") -> str:
    """The name a file is shown and downloaded under: the last part of a Windows or POSIX
    path, without control characters (NUL included) or direction-changing ones and without
    the spaces and dots Windows drops at the end; "file" when nothing is left. Invalid
    (naming `field`) for a name that is not Unicode text (a lone surrogate) or longer than
    `limit` characters."""
    name = os.path.basename(raw.replace("\\", "/"))
    name = check_text(_UNSHOWN.sub("", name), field=field, label="The file's name")
    name = name.strip().rstrip(". ")
    if name in {"", ".", ".."}:
        name = "file"
    if len(name) > limit:
        raise Invalid(f"The file's name has {len(name)} characters; at most {limit} are "
                      "kept. Rename the file and upload it again.", field=field)
    return name


def human_size(size: int) -> str:
    """A size as people read it: 10 MB, 1.5 MB, 900 KB, 20 bytes."""
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


# --- types -------------------------------------------------------------------------------------


def _zip_type(file: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return OCTET_STREAM
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    return "application/zip"


def _text_type(content: bytes, filename: str) -> str:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return OCTET_STREAM
    if "\x00" in text:
        return OCTET_STREAM
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in {"{", "["}:
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            return "application/json"
    return "text/csv" if filename.lower().endswith(".csv") else "text/plain"


def real_type(upload: UploadedFile[bytes], max_bytes: int) -> str:
    """The file's type as its bytes show it: an image, a PDF, a ZIP archive (a Word or Excel
    document being one), JSON, UTF-8 text (CSV by its name); else application/octet-stream.
    What the browser declared is not read. HTML and SVG are text: they come out text/plain,
    which no browser runs."""
    upload.seek(0)
    head = upload.read(_HEAD)
    try:
        for magic, content_type in _MAGIC:
            if head.startswith(magic):
                return content_type
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return "image/webp"
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            upload.seek(0)
            return _zip_type(upload.file) if upload.file is not None else OCTET_STREAM
        upload.seek(0)
        return _text_type(upload.read(max_bytes + 1), upload.name or "")
    finally:
        upload.seek(0)


def allowed_type_of(entry: str) -> str | None:
    """The type an allow-list entry names: a known media type as it is, an extension
    ("pdf", ".PDF") as the type it stands for, `application/octet-stream` for "any file whose
    type cannot be told"; None for anything else."""
    value = entry.strip().lower()
    if value in KNOWN_TYPES or value == OCTET_STREAM:
        return value
    return EXTENSION_TYPES.get(value.removeprefix("."))


# --- serving -----------------------------------------------------------------------------------


class StoredFile(Protocol):
    """A file kept in the storage with the name and type it came with: mail's `Attachment`,
    the knowledge base's `ArticleAttachment`, a case's `NoteAttachment`."""

    @property
    def filename(self) -> str: ...

    @property
    def content_type(self) -> str: ...

    @property
    def file(self) -> FieldFile: ...


def file_serving(stored: StoredFile) -> tuple[str, bool]:
    """The Content-Type to serve a file with, and whether it may show inline.

    The stored type is only trusted in shape; only the raster image types browsers render
    safely are shown inline, everything else (SVG and HTML above all) is a download."""
    content_type = stored.content_type.strip().lower()
    if not MEDIA_TYPE.fullmatch(content_type):
        content_type = OCTET_STREAM
    return content_type, content_type in INLINE_IMAGE_TYPES


def file_response(stored: StoredFile) -> FileResponse:
    """The file, read through the storage API, under its safe filename (RFC 6266:
    `filename*` when it is not ASCII), inline only for PNG, JPEG, GIF and WebP; never
    sniffed, sandboxed should it be opened anyway, and kept by no cache."""
    content_type, inline = file_serving(stored)
    response = FileResponse(stored.file.open("rb"), content_type=content_type,
                            as_attachment=not inline, filename=stored.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response
