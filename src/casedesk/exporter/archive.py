"""The full export of a tenant as one zip archive, written piece by piece.

What the archive holds:
- `manifest.json`: the format's version, when it was made, the tenant, and how many rows,
  messages and files each part holds;
- `tenant.json`: the tenant's own settings;
- `data/<app>/<model>.jsonl`: every row of every table the tenant owns (every model with a
  `tenant` key, so a table added later is exported without anyone remembering to), one JSON
  object per line, keys as the columns (`<name>_id` for a reference), times in UTC;
  `data/tenancy/user.jsonl` adds the people who are members (email, name; no password);
- `mail/inbound/<id>.eml`: each inbound message exactly as it arrived;
- `files/<storage name>`: every stored file a row names (attachments of notes and mail,
  knowledge-base files), the row's column giving that path.

Left out: secrets (password hashes, token and sign-in digests, webhook signing secrets,
mailbox passwords, invitation and survey nonces, by column name wherever they stand) and
tables that are derived or transient rather than the tenant's data (`SKIPPED`): the reports'
facts, which `casedesk reports_rebuild` makes again, sign-in links and portal sessions,
presence, idempotency keys, the automation engine's queue, and exports themselves.

Nothing is held whole in memory: tables are read over a server-side cursor and each archive
member is written as a stream into a temporary file, which is then copied to Django's
storage in chunks.
"""

from __future__ import annotations

import json
import posixpath
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.apps import apps
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models

from casedesk.exporter.lists import streamed
from casedesk.exporter.rows import encoded, json_value, jsonl_line, moment_text
from casedesk.mail.models import InboundMessage
from casedesk.tenancy.models import Membership, Tenant, User

FORMAT_VERSION = 1
SKIPPED = frozenset({
    "exporter.exportjob", "reports.casefact", "reports.factstale", "cases.idempotencykey",
    "portal.signinlink", "portal.portalsession", "portal.signinrequest",
    "console.casepresence", "automation.automationevent",
})
# Columns never written, whatever table they stand in.
SECRET_COLUMNS = frozenset({"password", "digest", "secret", "nonce", "request_digest",
                            "session_hash", "token", "token_digest", "api_key"})
USER_COLUMNS = ("id", "email", "full_name", "is_active", "date_joined", "last_login")
PROGRESS_EVERY = 20_000  # rows between progress reports inside a big table
RAW_CHUNK = 20  # raw messages fetched at a time: each may be megabytes


@dataclass
class Progress:
    """What the builder tells its caller as it goes: the step and percent done."""

    report: Callable[[int, str], None] = lambda percent, step: None


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    missing_files: list[str] = field(default_factory=list)


def tenant_models() -> list[type[models.Model]]:
    """Every model with a `tenant` key that the archive carries, in a stable order."""
    found = []
    for model in apps.get_models():
        if model._meta.label_lower in SKIPPED:
            continue
        names = {f.name for f in model._meta.concrete_fields}
        if "tenant" in names:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label_lower)


def exported_columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields
            if f.name not in SECRET_COLUMNS and f.name != "tenant"
            and not isinstance(f, models.BinaryField)]


def _member_path(name: str) -> str:
    """A storage name as a safe path inside the archive, under `files/`."""
    parts = [p for p in posixpath.normpath(name.replace("\\", "/")).split("/")
             if p not in ("", ".", "..")]
    return "files/" + "/".join(parts)


def _lines(tenant: Tenant, model: type[models.Model], counts: Result,
           progress: Callable[[int], None]) -> Iterator[str]:
    fields = exported_columns(model)
    keys = [f.attname if f.is_relation else f.name for f in fields]
    is_file = [isinstance(f, models.FileField) for f in fields]
    qs = model._default_manager.filter(tenant=tenant).order_by("pk").values_list(*keys)
    label = model._meta.label_lower
    extra: dict[int, dict[str, Any]] = {}
    if model is Membership:
        extra = {m.pk: {"user_email": m.user.email, "user_full_name": m.user.full_name}
                 for m in Membership.objects.filter(tenant=tenant).select_related("user")}
    count = 0
    for values in streamed(qs):
        row: dict[str, Any] = {}
        for key, value, file_column in zip(keys, values, is_file, strict=True):
            if file_column:
                value = _member_path(value) if value else ""
            row[key] = value
        if extra:
            row.update(extra.get(row["id"], {}))
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(count)
        yield jsonl_line(row)
    counts.counts[label] = count


def _write(archive: zipfile.ZipFile, name: str, pieces: Iterator[bytes]) -> None:
    with archive.open(name, "w", force_zip64=True) as member:
        for piece in pieces:
            member.write(piece)


def _copy_file(archive: zipfile.ZipFile, storage_name: str, result: Result) -> bool:
    try:
        source = default_storage.open(storage_name, "rb")
    except (OSError, ValueError):
        result.missing_files.append(storage_name)
        return False
    with source, archive.open(_member_path(storage_name), "w", force_zip64=True) as member:
        shutil.copyfileobj(source, member, 1024 * 1024)
    return True


def _copy_files(archive: zipfile.ZipFile, tenant: Tenant, chosen: list[type[models.Model]],
                result: Result) -> int:
    """Copies every file a row names into the archive, reading the names table by table
    again rather than keeping them all."""
    copied = 0
    for model in chosen:
        for column in exported_columns(model):
            if not isinstance(column, models.FileField):
                continue
            names = (model._default_manager.filter(tenant=tenant).exclude(**{column.name: ""})
                     .order_by("pk").values_list(column.name, flat=True))
            for storage_name in streamed(names):
                copied += _copy_file(archive, storage_name, result)
    return copied


def _users(tenant: Tenant) -> Iterator[str]:
    member_ids = Membership.objects.filter(tenant=tenant).values("user_id")
    qs = User.objects.filter(pk__in=member_ids).order_by("pk").values_list(*USER_COLUMNS)
    for values in streamed(qs):
        yield jsonl_line(dict(zip(USER_COLUMNS, values, strict=True)))


def _tenant_settings(tenant: Tenant) -> dict[str, Any]:
    return {f.name: json_value(getattr(tenant, f.attname))
            for f in Tenant._meta.concrete_fields if f.name not in SECRET_COLUMNS}


def build(tenant: Tenant, out: IO[bytes], *, now: datetime,
          progress: Progress | None = None) -> Result:
    """Writes the tenant's archive to `out` (a file open for binary writing)."""
    report = (progress or Progress()).report
    result = Result()
    chosen = tenant_models()
    steps = len(chosen) + 3
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        zf.writestr("tenant.json", json.dumps(_tenant_settings(tenant), indent=2,
                                              ensure_ascii=False))
        for done, model in enumerate(chosen):
            label = model._meta.label_lower
            percent = done * 100 // steps

            def inside(rows: int, percent: int = percent, label: str = label) -> None:
                report(percent, f"{label}: {rows:,} rows")

            report(percent, label)
            app, name = label.split(".")
            _write(zf, f"data/{app}/{name}.jsonl",
                   encoded(_lines(tenant, model, result, inside)))
        report(len(chosen) * 100 // steps, "people")
        _write(zf, "data/tenancy/user.jsonl", encoded(_users(tenant)))
        report((len(chosen) + 1) * 100 // steps, "inbound mail")
        raw_count = 0
        messages = (InboundMessage.objects.filter(tenant=tenant).order_by("pk")
                    .values_list("pk", "raw"))
        for pk, raw in streamed(messages, chunk=RAW_CHUNK):
            zf.writestr(f"mail/inbound/{pk}.eml", bytes(raw))
            raw_count += 1
        report((len(chosen) + 2) * 100 // steps, "files")
        copied = _copy_files(zf, tenant, chosen, result)
        manifest = {
            "format": "casedesk-export", "version": FORMAT_VERSION,
            "created_at": moment_text(now),
            "tenant": {"slug": tenant.slug, "name": tenant.name},
            "counts": result.counts, "inbound_messages": raw_count,
            "files": copied,
            "missing_files": result.missing_files,
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    result.counts["mail/inbound"] = raw_count
    result.counts["files"] = copied
    return result


def build_to_storage(tenant: Tenant, name: str, *, now: datetime,
                     progress: Progress | None = None) -> tuple[str, int, Result]:
    """Builds the archive in a temporary file and saves it to Django's storage as `name`
    (copied in chunks); returns the stored name, its size and what it holds."""
    with tempfile.TemporaryFile(prefix="casedesk-export-") as scratch:
        result = build(tenant, scratch, now=now, progress=progress)
        size = scratch.tell()
        scratch.seek(0)
        stored = default_storage.save(name, File(scratch, name=posixpath.basename(name)))
    return stored, size, result
