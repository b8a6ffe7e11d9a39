"""Files in the composer, in the browser: attach two files to an internal note through the
htmx post, see them listed under the note with their download links, and see a refused file
explained on the composer with the text kept."""

import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Note, NoteAttachment
from casedesk.tenancy.models import Membership, Tenant
from tests.cases.test_attachments import PDF
from tests.e2e.conftest import LogIn, Settle
from tests.e2e.test_kb_attachments import png
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_attach_files_to_a_note_and_see_a_refusal_in_place(
        page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership,
        tmp_path: Path, settle: Settle) -> None:
    case = make_case(tenant, subject="Printer jams", owner_id=agent.user_id)
    shot, invoice = tmp_path / "jam.png", tmp_path / "invoice.pdf"
    shot.write_bytes(png(20, 10))
    invoice.write_bytes(PDF)
    # The live server's first answer loads the whole site; on a busy machine that alone can
    # outlast the page timeout.
    urllib.request.urlopen(f"{live_server.url}/login/", timeout=120).read()
    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    settle(page)
    page.get_by_test_id("composer").fill("Photos of the jam.")
    page.get_by_test_id("composer-files").set_input_files([str(shot), str(invoice)])
    page.locator("#composer .composer-foot button").click()

    files = page.get_by_test_id("note-file")
    expect(files).to_have_count(2)
    expect(files.first).to_contain_text("jam.png")
    expect(page.get_by_test_id("composer")).to_have_value("")
    note = Note.objects.get(case=case)
    assert sorted(NoteAttachment.objects.filter(note=note).values_list("filename", flat=True)) \
        == ["invoice.pdf", "jam.png"]

    binary = tmp_path / "tool.exe"
    binary.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    page.get_by_test_id("composer").fill("And the tool.")
    page.get_by_test_id("composer-files").set_input_files(str(binary))
    page.locator("#composer .composer-foot button").click()
    expect(page.get_by_test_id("composer-error")).to_contain_text("tool.exe is a file of an "
                                                                  "unknown type")
    expect(page.get_by_test_id("composer")).to_have_value("And the tool.")
    assert Note.objects.filter(case=case).count() == 1
