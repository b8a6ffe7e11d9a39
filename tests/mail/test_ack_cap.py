"""The acknowledgement cap per tenant (issue 10, security defect 8, last bullet): From is
forged at will, so besides the per-sender limit the tenant acknowledges at most
`mail_ack_tenant_per_hour` new cases an hour; each case the cap leaves unacknowledged is
marked on its inbound message, and admins see both counts."""

from datetime import timedelta

import pytest

from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.mail.models import AckWithheld, InboundMessage, OutboundKind, OutboundMail
from casedesk.mail.selectors import ack_usage
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW
from tests.mail.test_batch import desk
from tests.mail.test_ingest import mail

H = timedelta(hours=1)


def acks(tenant: Tenant) -> list[str]:
    return list(OutboundMail.objects.filter(tenant=tenant, kind=OutboundKind.ACKNOWLEDGEMENT)
                .order_by("pk").values_list("recipient", flat=True))


def flood(count: int, start: int = 0) -> list[bytes]:
    """New cases from as many (made-up) senders."""
    return [mail(subject=f"Win a prize {i}", sender=f"victim{i}@example.net")
            for i in range(start, start + count)]


def withheld(tenant: Tenant) -> list[str]:
    return list(InboundMessage.objects.filter(tenant=tenant).order_by("pk")
                .values_list("ack_withheld", flat=True))


def capped(slug: str, cap: int = 3) -> Tenant:
    tenant = desk(slug)
    tenant.mail_ack_tenant_per_hour = cap
    tenant.save(update_fields=["mail_ack_tenant_per_hour"])
    return tenant


@pytest.mark.django_db
def test_the_tenant_acknowledges_at_most_its_cap_an_hour_and_records_the_rest() -> None:
    tenant = capped("cap")
    assert Tenant._meta.get_field("mail_ack_tenant_per_hour").default == 100
    for raw in flood(5):
        assert ingest(tenant=tenant, raw=raw, now=NOW).status == "processed"
    assert acks(tenant) == [f"victim{i}@example.net" for i in range(3)]
    assert withheld(tenant) == ["", "", "", AckWithheld.TENANT, AckWithheld.TENANT]
    usage = ack_usage(tenant, NOW)
    assert (usage.sent, usage.cap, usage.withheld, usage.capped) == (3, 3, 2, True)
    # An hour on, the cap has room again, and the count of withheld ones starts afresh.
    ingest(tenant=tenant, raw=flood(1, start=5)[0], now=NOW + H + timedelta(seconds=1))
    assert len(acks(tenant)) == 4
    usage = ack_usage(tenant, NOW + H + timedelta(seconds=1))
    assert (usage.sent, usage.withheld) == (1, 0)


@pytest.mark.django_db
def test_the_per_sender_limit_is_recorded_as_well() -> None:
    tenant = capped("sender", cap=100)
    for i in range(4):
        ingest(tenant=tenant, raw=mail(subject=f"Again {i}"), now=NOW)
    assert withheld(tenant) == ["", "", "", AckWithheld.SENDER]
    assert ack_usage(tenant, NOW).withheld == 0  # the tenant's cap withheld none


@pytest.mark.django_db
def test_a_batch_is_capped_as_one_by_one_is() -> None:
    one, many = capped("one"), capped("many")
    for raw in flood(5):
        ingest(tenant=one, raw=raw, now=NOW)
    ingest_batch(tenant=many, raws=flood(5), now=NOW)
    assert acks(many) == acks(one) and len(acks(many)) == 3
    assert withheld(many) == withheld(one)
    assert ack_usage(many, NOW) == ack_usage(one, NOW)


@pytest.mark.django_db
def test_a_cap_of_zero_acknowledges_nothing() -> None:
    tenant = capped("zero", cap=0)
    ingest(tenant=tenant, raw=mail(), now=NOW)
    assert acks(tenant) == [] and withheld(tenant) == [AckWithheld.TENANT]
