"""Writes for accounts, contacts and deals."""

from typing import Any

from django.db import IntegrityError, models, transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits, clipped
from casedesk.core.text import check_texts
from casedesk.crm.models import Account, Contact, Deal
from casedesk.tenancy.models import Tenant


def _account(tenant: Tenant, account_id: int | None, *, required: bool = False
             ) -> Account | None:
    if account_id is None:
        if required:
            raise Invalid("An account is required.", field="account_id")
        return None
    account = Account.objects.filter(tenant=tenant, pk=account_id).first()
    if account is None:
        raise Invalid(f"No account with id {account_id}.", field="account_id")
    return account


def _save[M: models.Model](obj: M, changes: dict[str, Any], *,
                           duplicate: str = "This conflicts with an existing record.") -> M:
    """Writes `changes` onto `obj`, refusing first any text the database cannot store and
    any value longer (or larger) than its column holds."""
    check_texts(changes, list(changes))
    check_fits(type(obj), changes)
    for field, value in changes.items():
        setattr(obj, field, value)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict(duplicate) from None
    return obj


def account_create(*, tenant: Tenant, name: str, **fields: Any) -> Account:
    """A new account; the domain is stored lower-case."""
    fields["domain"] = (fields.get("domain") or "").strip().lower()
    return _save(Account(tenant=tenant), {"name": name.strip(), **fields})


def account_update(*, account: Account, changes: dict[str, Any]) -> Account:
    if "domain" in changes:
        changes["domain"] = (changes["domain"] or "").strip().lower()
    return _save(account, changes)


def _contact_changes(tenant: Tenant, changes: dict[str, Any]) -> dict[str, Any]:
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
    if "account_id" in changes:
        changes["account"] = _account(tenant, changes.pop("account_id"))
    return changes


def contact_create(*, tenant: Tenant, email: str, **fields: Any) -> Contact:
    """A new contact; the email is unique within the tenant (compared lower-case)."""
    changes = _contact_changes(tenant, {"email": email, **fields})
    return _save(Contact(tenant=tenant), changes,
                 duplicate=f"A contact with the email {changes['email']} exists already.")


def contact_for_email(tenant: Tenant, email: str, name: str) -> Contact:
    """The contact with `email`, made (with `name`, and the account of the address's domain
    when the tenant matches mail that way) when there is none; a known contact's name is
    kept. For channels where a customer gives their address themselves (web form, chat)."""
    contact = Contact.objects.filter(tenant=tenant, email=email).first()
    if contact is not None:
        return contact
    account = None
    if tenant.mail_match_account_by_domain:
        account = Account.objects.filter(tenant=tenant,
                                         domain=email.rpartition("@")[2]).first()
    try:
        with transaction.atomic():
            return Contact.objects.create(tenant=tenant, email=email, account=account,
                                          name=clipped(Contact, "name", name))
    except IntegrityError:  # made at the same moment by another post
        return Contact.objects.get(tenant=tenant, email=email)


def contact_update(*, contact: Contact, changes: dict[str, Any]) -> Contact:
    changes = _contact_changes(contact.tenant, changes)
    return _save(contact, changes,
                 duplicate=f"A contact with the email {changes.get('email')} exists already.")


def deal_create(*, tenant: Tenant, name: str, account_id: int, **fields: Any) -> Deal:
    account = _account(tenant, account_id, required=True)
    return _save(Deal(tenant=tenant), {"name": name.strip(), "account": account, **fields})


def deal_update(*, deal: Deal, changes: dict[str, Any]) -> Deal:
    if "account_id" in changes:
        changes["account"] = _account(deal.tenant, changes.pop("account_id"), required=True)
    return _save(deal, changes)
