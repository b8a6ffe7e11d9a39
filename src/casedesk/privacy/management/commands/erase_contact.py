from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.crm.models import Contact
from casedesk.privacy.erasure import contact_erase, erasure_preview
from casedesk.privacy.redaction import is_erased_email
from casedesk.tenancy.models import Tenant

CONFIRM = "erase"


class Command(BaseCommand):
    help = ("Erases a contact's personal data (the right to erasure): name, email, phone, "
            "their messages, files, mail and portal sign-ins, and every mention of them; "
            "their cases stay, anonymised. Asks for confirmation unless --yes.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", required=True)
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--email", help="The contact's email address.")
        which.add_argument("--contact", type=int, metavar="ID", help="The contact's id.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
        contacts = Contact.objects.filter(tenant=tenant)
        if options["email"] is not None:
            contact = contacts.filter(email__iexact=options["email"].strip()).first()
            if contact is None:
                raise CommandError(f"No contact with that email in {tenant.slug} (never known, "
                                   "or erased already).")
        else:
            contact = contacts.filter(pk=options["contact"]).first()
            if contact is None:
                raise CommandError(f"No contact {options['contact']} in {tenant.slug}.")
        if not is_erased_email(contact.email) and not options["yes"]:
            self._confirm(contact)
        result = contact_erase(contact=contact, actor=None, now=clock.now(), via="cli")
        if result.already_erased:
            self.stdout.write(f"Contact {contact.pk} was erased before "
                              f"({result.erasure.at:%Y-%m-%d %H:%M} UTC); nothing changed.")
            return
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(result.erasure.counts.items()))
        self.stdout.write(f"Erased contact {contact.pk} (erasure {result.erasure.pk}): {kinds}")

    def _confirm(self, contact: Contact) -> None:
        self.stdout.write(f"About to erase contact {contact.pk} ({contact.email}):")
        for kind, count in erasure_preview(contact).items():
            self.stdout.write(f"  {kind}: {count}")
        try:
            answer = input(f"This cannot be undone. Type {CONFIRM!r} to go on: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != CONFIRM:
            raise CommandError("Not erased: not confirmed (pass --yes to skip the question).")
