"""A tenant's CSAT settings, with the defaults for a tenant that never changed them, and
what a rating means on each scale (pure)."""

from casedesk.csat.models import CsatSettings, Scale
from casedesk.tenancy.models import Tenant

GOOD, BAD = 5, 1
# The ratings a scale offers, in the order the mail and the page show them, with their words.
CHOICES: dict[str, list[tuple[int, str]]] = {
    Scale.GOOD_BAD: [(GOOD, "Good"), (BAD, "Bad")],
    Scale.ONE_TO_FIVE: [(5, "5 – Very satisfied"), (4, "4"), (3, "3"), (2, "2"),
                        (1, "1 – Very dissatisfied")],
}


def csat_settings(tenant: Tenant) -> CsatSettings:
    """The tenant's settings row, or an unsaved one holding the defaults."""
    found = CsatSettings.objects.filter(tenant=tenant).first()
    return found if found is not None else CsatSettings(tenant=tenant)


def is_valid_rating(scale: str, rating: int) -> bool:
    return rating in {value for value, _ in CHOICES.get(scale, [])}


def is_bad(rating: int | None) -> bool:
    """Bad: "bad" on good/bad (stored as 1), 1 or 2 on 1 to 5."""
    return rating is not None and rating <= 2


def rating_label(scale: str, rating: int | None) -> str:
    if rating is None:
        return ""
    if scale == Scale.GOOD_BAD:
        return "Good" if rating >= 3 else "Bad"
    return f"{rating} of 5"
