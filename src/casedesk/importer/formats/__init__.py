"""The readers of other desks' exports: each turns all of an import's files into one
`sources.Export` (Zendesk's tickets name users of another file, Salesforce's comments cases
of another file). A file that cannot be read at all is one problem; the other files are
still read, so a dry run shows everything at once."""

from collections.abc import Callable

from casedesk.importer.formats import freshdesk, generic, salesforce, zendesk
from casedesk.importer.mapping import Mapping
from casedesk.importer.sources import Export, SourceFile

Reader = Callable[[list[SourceFile], Mapping], Export]
READERS: dict[str, Reader] = {
    "zendesk": zendesk.read, "freshdesk": freshdesk.read, "salesforce": salesforce.read,
    "csv": generic.read,
}


def export_read(format: str, files: list[SourceFile], mapping: Mapping) -> Export:
    """Everything in `files`, read as `format` (one of `READERS`)."""
    return READERS[format](files, mapping)
