"""`casedesk poll_mailboxes [--tenant SLUG] [--mailbox NAME] [--all]`: polls IMAP mailboxes now,
whatever their schedule. One line per mailbox; exits non-zero (with the reasons on stderr)
when a tenant or mailbox is unknown or a mailbox could not be polled."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.mail.imap import poll_mailboxes
from casedesk.mail.models import Mailbox
from casedesk.tenancy.models import Tenant


class Command(BaseCommand):
    help = ("Polls IMAP mailboxes now, whatever their schedule: every enabled one (--all), a "
            "tenant's (--tenant), or one by name (--tenant and --mailbox).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG")
        parser.add_argument("--mailbox", metavar="NAME")
        parser.add_argument("--all", action="store_true",
                            help="Every enabled mailbox of every tenant.")

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = self._chosen(options["tenant"], options["mailbox"], options["all"])
        if not mailboxes:
            self.stdout.write("No enabled mailbox to poll.")
            return
        results = poll_mailboxes(mailboxes, now=clock.now())
        for label, result in results.items():
            self.stdout.write(f"{label}: {result.summary()}")
        failed = [label for label, result in results.items() if not result.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} mailboxes failed: "
                               f"{', '.join(failed)}")

    def _chosen(self, slug: str | None, name: str | None, everything: bool) -> list[Mailbox]:
        if everything and (slug or name):
            raise CommandError("--all polls every mailbox: give it alone, or --tenant "
                               "(and --mailbox) instead.")
        if name and not slug:
            raise CommandError("--mailbox needs --tenant: mailbox names are per tenant.")
        if not (everything or slug):
            raise CommandError("Say which mailboxes: --all, or --tenant SLUG [--mailbox NAME].")
        found = Mailbox.objects.select_related("tenant").order_by("tenant__slug", "name")
        if everything:
            return list(found.filter(enabled=True))
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with the slug {slug!r}.")
        found = found.for_tenant(tenant)
        if not name:
            return list(found.filter(enabled=True))
        mailbox = found.filter(name=name).first()
        if mailbox is None:
            raise CommandError(f"Tenant {slug!r} has no mailbox named {name!r}.")
        if not mailbox.enabled:
            raise CommandError(f"Mailbox {name!r} of tenant {slug!r} is disabled: enable it "
                               "first.")
        return [mailbox]
