from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.kb import importer


class Command(BaseCommand):
    help = ("Imports knowledge-base articles into a tenant from a folder of Markdown files "
            "(YAML front matter: title, summary, category, tags, visibility, language, slug, "
            "status) or from a CSV file (columns title, body and those). Articles are matched "
            "by slug: re-running an import updates what changed and creates no duplicates. "
            "Any problem is reported as path:line: message and nothing is imported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH",
                            help="A folder (every *.md file under it) or a .csv file.")
        parser.add_argument("--tenant", metavar="SLUG", required=True,
                            help="The tenant the articles go to.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check everything and show what would happen; write nothing.")
        parser.add_argument("--publish", action="store_true",
                            help="Publish the articles that do not name a status (default: "
                                 "draft).")
        parser.add_argument("--author", metavar="EMAIL",
                            help="The member written down as the author of new articles and "
                                 "the publisher of the versions this import publishes.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = importer.find_tenant(options["tenant"])
            author = (importer.find_author(tenant, options["author"])
                      if options["author"] else None)
            result = importer.run_import(tenant, Path(options["path"]), author=author,
                                         now=clock.now(), publish=options["publish"],
                                         dry_run=options["dry_run"])
        except Invalid as error:
            raise CommandError(error.detail) from None
        if result.problems:
            for problem in result.problems:
                self.stderr.write(str(problem))
            count = len(result.problems)
            raise CommandError(f"{count} problem{'s' if count != 1 else ''}: nothing was "
                               "imported.")
        self._report(result)

    def _report(self, result: importer.ImportResult) -> None:
        dry = result.dry_run
        verbs = {"created": "would create", "updated": "would update",
                 "unchanged": "unchanged"} if dry else {}
        for outcome in result.outcomes:
            verb = verbs.get(outcome.action, outcome.action)
            published = " (published)" if outcome.published else ""
            where = (f"{outcome.source}:{outcome.line}"
                     if outcome.source.lower().endswith(".csv") else outcome.source)
            self.stdout.write(f"{verb:<13} {outcome.slug}{published}  [{where}]")
        for path in result.categories:
            self.stdout.write(f"{'would create' if dry else 'created':<13} category {path}")
        created, updated, unchanged = (result.count(a)
                                       for a in ("created", "updated", "unchanged"))
        categories = len(result.categories)
        summary = (f"{created} to create, {updated} to update, {unchanged} unchanged; "
                   f"{categories} categor{'y' if categories == 1 else 'ies'} to create. "
                   "Dry run: nothing was written." if dry else
                   f"{created} created, {updated} updated, {unchanged} unchanged; "
                   f"{categories} categor{'y' if categories == 1 else 'ies'} created.")
        self.stdout.write(summary)
