"""Real SMTP peers for the mail tests: an aiosmtpd server on loopback that records what it is
sent (or answers with a refusal), and the mailer settings that point casedesk at it. Its
fixtures are registered for every test module (`pytest_plugins` in tests/conftest.py)."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from casedesk.tenancy.models import Tenant

LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


class Recorder:
    """An SMTP handler that keeps every message, or answers RCPT or DATA as told."""

    def __init__(self, answer_rcpt: str = "", answer_data: str = "") -> None:
        self.messages: list[bytes] = []
        self.answer_rcpt, self.answer_data = answer_rcpt, answer_data

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if self.answer_rcpt:
            return self.answer_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer_data:
            return self.answer_data
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smtp_mailer(settings: Any, port: int, timeout: int = 5) -> None:
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": timeout}}}


@contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """An SMTP server with `handler` on a free loopback port, for as long as the block runs."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextmanager
def mailing_to(settings: Any, recorder: Recorder) -> Iterator[Recorder]:
    """casedesk's mail goes to a real server that answers as `recorder` says."""
    with smtp_server(recorder) as port:
        smtp_mailer(settings, port)
        yield recorder


@pytest.fixture
def peer(settings: Any) -> Iterator[Recorder]:
    """A real SMTP server on loopback that takes every message."""
    with mailing_to(settings, Recorder()) as recorder:
        yield recorder


@pytest.fixture
def refusing(settings: Any) -> Iterator[Recorder]:
    """A real SMTP server on loopback that refuses every recipient for good (550)."""
    with mailing_to(settings, Recorder(answer_rcpt="550 5.1.1 No such user here")) as recorder:
        yield recorder


@pytest.fixture
def quiet_desk(tenant: Tenant) -> Tenant:
    """The tenant with a support address and no acknowledgements, so the outbox holds only
    the replies a test makes (the acknowledgements' own tests live with the outbox)."""
    tenant.mail_address = "support@acme.test"
    tenant.mail_ack_enabled = False
    tenant.save(update_fields=["mail_address", "mail_ack_enabled"])
    return tenant
