"""Sender authentication (issue 10, security defect 1, second half): the receiving server's
Authentication-Results verdict for the From domain is read (with `authres`) from the one
header the tenant trusts, stored on the message, and — when the tenant says so — quarantines
the mail, in the one-by-one and the batch path alike."""

from io import StringIO

import pytest
from django.core.management import call_command

from casedesk.cases.models import Case
from casedesk.mail.authresults import sender_authentication, trusted_ids
from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.mail.models import AuthVerdict, InboundMessage, InboundStatus
from casedesk.mail.quarantine import inbound_reprocess
from casedesk.mail.selectors import case_auth_warning
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW
from tests.mail.test_ingest import mail

BANK = "ceo@bank.example"
DMARC_FAIL = ("mx.acme.test; dkim=fail header.d=bank.example; spf=pass "
              "smtp.mailfrom=evil.example; dmarc=fail (p=reject) header.from=bank.example")
DMARC_PASS = ("mx.acme.test; dkim=pass header.d=bank.example header.s=s1; spf=pass "
              "smtp.mailfrom=bank.example; dmarc=pass header.from=bank.example")


def signed(*headers: str, sender: str = BANK, **kw) -> bytes:
    """A message with these Authentication-Results headers on top, the first topmost (as
    servers prepend them)."""
    top = "".join(f"Authentication-Results: {h}\r\n" for h in headers).encode()
    return top + mail(sender=sender, **kw)


# --- the verdict -------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "verdict"), [
    (DMARC_FAIL, "fail"),
    (DMARC_PASS, "pass"),
    # No DMARC (or no policy): DKIM or SPF must pass for the From domain itself.
    ("mx; dkim=pass header.d=mail.bank.example; dmarc=none header.from=bank.example", "pass"),
    ("mx; spf=pass smtp.mailfrom=bounce@bank.example", "pass"),
    ("mx; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example", "fail"),
    ("mx; dkim=fail header.d=bank.example; spf=softfail smtp.mailfrom=bank.example", "fail"),
    ("mx; dkim=none; spf=none smtp.mailfrom=bank.example", "fail"),
    ("mx; dkim=pass header.d=example", "fail"),  # a bare TLD aligns with nothing
    ("mx; spf=temperror smtp.mailfrom=bank.example", ""),
    ("mx; none", ""),
    # The server judged another From than the one read here (two From headers?).
    ("mx; dmarc=pass header.from=other.example", "fail"),
    ("not a header at all;;", ""),
    ("", ""),
])
def test_the_verdict_for_the_from_domain(header, verdict) -> None:
    assert sender_authentication([header], BANK).verdict == verdict


def test_the_summary_says_what_was_found_and_who_said_so() -> None:
    found = sender_authentication([DMARC_FAIL], BANK)
    assert found.failed
    assert found.summary.startswith("DMARC failed for bank.example (reported by mx.acme.test:")
    assert "dmarc=fail header.from=bank.example" in found.summary


def test_only_the_topmost_header_counts_when_no_server_is_named() -> None:
    # A sender can write any header into their mail; the receiving server prepends its own.
    assert sender_authentication([DMARC_FAIL, DMARC_PASS], BANK).verdict == "fail"
    assert sender_authentication([DMARC_PASS, DMARC_FAIL], BANK).verdict == "pass"


def test_a_named_server_is_the_only_one_believed() -> None:
    forged = "mx.acme.test.evil.example; dmarc=pass header.from=bank.example"
    ours = trusted_ids("MX.Acme.test, backup.acme.test")
    assert ours == {"mx.acme.test", "backup.acme.test"}
    assert sender_authentication([forged, DMARC_FAIL], BANK, ours).verdict == "fail"
    assert sender_authentication([forged], BANK, ours).verdict == ""


# --- on the way in -----------------------------------------------------------------------------

@pytest.fixture
def strict(tenant: Tenant) -> Tenant:
    tenant.mail_quarantine_failed_auth = True
    tenant.save(update_fields=["mail_quarantine_failed_auth"])
    return tenant


def test_a_failed_verdict_is_stored_and_warned_about_but_filed_by_default(tenant) -> None:
    result = ingest(tenant=tenant, raw=signed(DMARC_FAIL), now=NOW)
    assert result.status == InboundStatus.PROCESSED and result.created
    stored = InboundMessage.objects.get()
    assert stored.auth_verdict == AuthVerdict.FAIL
    assert "DMARC failed for bank.example" in stored.auth_summary
    warning = case_auth_warning(result.case)
    assert warning is not None and warning.count == 1 and warning.latest == stored
    passed = ingest(tenant=tenant, raw=signed(DMARC_PASS, sender="ann@bank.example"), now=NOW)
    assert passed.message.auth_verdict == AuthVerdict.PASS
    assert case_auth_warning(passed.case) is None


def test_the_tenant_may_quarantine_it_and_a_person_may_file_it_anyway(strict) -> None:
    result = ingest(tenant=strict, raw=signed(DMARC_FAIL), now=NOW)
    assert result.status == InboundStatus.QUARANTINED
    stored = InboundMessage.objects.get()
    assert stored.error.startswith("Sender authentication failed: DMARC failed for "
                                   "bank.example")
    assert stored.auth_verdict == AuthVerdict.FAIL and stored.sender == BANK
    assert not Case.objects.exists()
    # Mail that passes, or says nothing, still comes in.
    assert ingest(tenant=strict, raw=signed(DMARC_PASS), now=NOW).status == "processed"
    assert ingest(tenant=strict, raw=mail(), now=NOW).status == "processed"
    again = inbound_reprocess(stored, now=NOW)
    assert again.status == InboundStatus.PROCESSED and again.created
    assert InboundMessage.objects.get(pk=stored.pk).auth_verdict == AuthVerdict.FAIL


def test_only_the_named_servers_header_is_read_on_the_way_in(strict) -> None:
    strict.mail_authserv_ids = "mx.acme.test"
    strict.save(update_fields=["mail_authserv_ids"])
    # The sender's own "pass" sits on top (the receiving server added none above it)…
    forged = "relay.evil.example; dmarc=pass header.from=bank.example"
    assert ingest(tenant=strict, raw=signed(forged, DMARC_FAIL), now=NOW).status == "quarantined"
    # …and a "fail" from a server not named is not believed either.
    unnamed = "relay.evil.example; dmarc=fail header.from=bank.example"
    assert ingest(tenant=strict, raw=signed(unnamed), now=NOW).status == "processed"


def test_the_batch_path_reads_and_quarantines_the_same_way(strict) -> None:
    results = ingest_batch(tenant=strict, raws=[signed(DMARC_FAIL), signed(DMARC_PASS),
                                                mail(subject="Unsigned")], now=NOW)
    assert [r.status for r in results] == ["quarantined", "processed", "processed"]
    verdicts = list(InboundMessage.objects.order_by("pk").values_list("auth_verdict", flat=True))
    assert verdicts == ["fail", "pass", ""]
    Tenant.objects.filter(pk=strict.pk).update(mail_quarantine_failed_auth=False)
    strict.refresh_from_db()
    result = ingest_batch(tenant=strict, raws=[signed(DMARC_FAIL)], now=NOW)[0]
    assert result.status == "processed" and result.message.auth_verdict == "fail"
    assert InboundMessage.objects.get(pk=result.message.pk).auth_verdict == "fail"


def test_the_pipe_command_does_not_bounce_a_quarantined_forgery(strict, tmp_path) -> None:
    path = tmp_path / "forged.eml"
    path.write_bytes(signed(DMARC_FAIL))
    out = StringIO()
    call_command("ingest_email", "--tenant", "acme", str(path), stdout=out)  # exit 0
    assert "Sender authentication failed" in out.getvalue()
    assert InboundMessage.objects.get().status == InboundStatus.QUARANTINED
