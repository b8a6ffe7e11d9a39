"""The tenant's mail settings: its support address, the size limit, who may join a case by
mail, sender authentication, and the acknowledgement of new cases with its limits.

`mail_settings_update` checks every value before it stores any and refuses with `Invalid`
naming the field; who may call it (admins) is the caller's business. How the hourly
acknowledgement cap stands is a read (`mail.selectors.ack_usage`).
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.mail.checks import checked_flag, checked_text, checked_whole
from casedesk.mail.outbox import check_template
from casedesk.routing.models import Queue
from casedesk.tenancy.audit import audit_change, audit_snapshot
from casedesk.tenancy.models import StrangerAction, Tenant, User

MAIL_SETTINGS = ("mail_address", "mail_max_bytes", "mail_match_account_by_domain",
                 "mail_from", "mail_from_name", "mail_ack_enabled", "mail_ack_template",
                 "mail_ack_per_hour", "mail_ack_tenant_per_hour", "mail_stranger_action",
                 "mail_quarantine_failed_auth", "mail_authserv_ids")
MB = 1024 * 1024
MIN_MAIL_BYTES = 1 * MB
MAX_MAIL_BYTES = 100 * MB
MAX_ACK_PER_HOUR = 100
MAX_ACK_TENANT_PER_HOUR = 10_000
MAX_TEMPLATE = 20_000
MAX_AUTHSERV_IDS = max_length(Tenant, "mail_authserv_ids")
# An authserv-id as servers write it: a host name, mostly (RFC 8601 allows any token).
_AUTHSERV_ID = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,252}[a-z0-9])?$")


def _address(changes: dict[str, Any], name: str, label: str) -> str:
    value = checked_text(changes, name, label, max_length=max_length(Tenant, name),
                         required=False).lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise Invalid(f"{label} is not an email address.", field=name) from None
    return value


def _address_owner(tenant: Tenant, address: str) -> str | None:
    """Who else takes mail at `address`: the listeners route by it, so two owners would send
    one tenant's mail to the other."""
    if Tenant.objects.exclude(pk=tenant.pk).filter(mail_address__iexact=address).exists():
        return "another tenant"
    queue = (Queue.objects.filter(email__iexact=address)
             .values_list("tenant_id", "name").first())
    if queue is not None:
        return f"the queue {queue[1]}" if queue[0] == tenant.pk else "another tenant"
    return None


def mail_settings_update(*, tenant: Tenant, changes: dict[str, Any],
                         actor: User | None = None) -> Tenant:
    """Changes the tenant's mail settings given; all of them or, when one is refused, none.
    Audited with old and new values.

    The support address must be the tenant's alone, the size limit is 1 to 100 MB and the
    acknowledgement template must compile (it is rendered for every new case from mail)."""
    unknown = sorted(set(changes) - set(MAIL_SETTINGS))
    if unknown:
        raise Invalid(f"{unknown[0]} is not a mail setting.", field=unknown[0])
    clean: dict[str, Any] = {}
    if "mail_address" in changes:
        address = _address(changes, "mail_address", "The support address")
        owner = _address_owner(tenant, address) if address else None
        if owner is not None:
            raise Invalid(f"{address} already takes mail for {owner}.", field="mail_address")
        clean["mail_address"] = address
    if "mail_from" in changes:
        clean["mail_from"] = _address(changes, "mail_from", "The sender address")
    if "mail_from_name" in changes:
        clean["mail_from_name"] = checked_text(
            changes, "mail_from_name", "The sender name",
            max_length=max_length(Tenant, "mail_from_name"), required=False)
    if "mail_max_bytes" in changes:
        value = changes["mail_max_bytes"]
        if (not isinstance(value, int) or isinstance(value, bool)
                or not MIN_MAIL_BYTES <= value <= MAX_MAIL_BYTES):
            raise Invalid("The largest message taken whole is from 1 MB to 100 MB "
                          f"({MIN_MAIL_BYTES} to {MAX_MAIL_BYTES} bytes).",
                          field="mail_max_bytes")
        clean["mail_max_bytes"] = value
    for name in ("mail_match_account_by_domain", "mail_ack_enabled"):
        if name in changes:
            clean[name] = checked_flag(changes, name)
    if "mail_ack_per_hour" in changes:
        clean["mail_ack_per_hour"] = checked_whole(changes, "mail_ack_per_hour",
                                                   "Acknowledgements per sender an hour", 0,
                                                   MAX_ACK_PER_HOUR)
    if "mail_ack_tenant_per_hour" in changes:
        clean["mail_ack_tenant_per_hour"] = checked_whole(changes, "mail_ack_tenant_per_hour",
                                                          "Acknowledgements an hour in all", 0,
                                                          MAX_ACK_TENANT_PER_HOUR)
    if "mail_stranger_action" in changes:
        action = changes["mail_stranger_action"]
        if action not in StrangerAction.values:
            raise Invalid(f"mail_stranger_action is one of: {', '.join(StrangerAction.values)}.",
                          field="mail_stranger_action")
        clean["mail_stranger_action"] = action
    if "mail_quarantine_failed_auth" in changes:
        clean["mail_quarantine_failed_auth"] = checked_flag(changes,
                                                            "mail_quarantine_failed_auth")
    if "mail_authserv_ids" in changes:
        clean["mail_authserv_ids"] = _authserv_ids(changes)
    if "mail_ack_template" in changes:
        clean["mail_ack_template"] = _ack_template(changes["mail_ack_template"])
    if clean:
        with transaction.atomic():
            before = audit_snapshot(tenant, clean)
            for name, value in clean.items():
                setattr(tenant, name, value)
            tenant.save(update_fields=list(clean))
            audit_change(tenant=tenant, actor=actor, action="mail_settings.updated",
                         target_type="tenant", target_id=tenant.pk, target_label="Mail settings",
                         before=before, after=audit_snapshot(tenant, clean))
    return tenant


def _authserv_ids(changes: dict[str, Any]) -> str:
    """The receiving server's authserv-id(s), normalised to "a, b" in lower case."""
    text = checked_text(changes, "mail_authserv_ids", "The trusted authserv-ids",
                        max_length=MAX_AUTHSERV_IDS, required=False)
    ids: list[str] = []
    for part in text.replace(",", " ").split():
        part = part.lower()
        if not _AUTHSERV_ID.match(part):
            raise Invalid(f"“{part}” is not an authserv-id: a host name such as "
                          "mx.example.com, as the server writes it in Authentication-Results.",
                          field="mail_authserv_ids")
        if part not in ids:
            ids.append(part)
    value = ", ".join(ids)
    if len(value) > MAX_AUTHSERV_IDS:
        raise Invalid(f"The trusted authserv-ids are at most {MAX_AUTHSERV_IDS} characters.",
                      field="mail_authserv_ids")
    return value


def _ack_template(value: Any) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid("The acknowledgement template must be text.", field="mail_ack_template")
    if len(value) > MAX_TEMPLATE:
        raise Invalid(f"The acknowledgement template is at most {MAX_TEMPLATE} characters.",
                      field="mail_ack_template")
    if "\x00" in value:
        raise Invalid("The acknowledgement template must not contain NUL characters.",
                      field="mail_ack_template")
    if value.strip():
        # With the engine the outbox renders with (plain text, no app tag libraries), so a
        # template accepted here also renders there.
        check_template(value)
    return value if value.strip() else ""
