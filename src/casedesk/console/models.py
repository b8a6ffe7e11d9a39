"""What the console remembers per agent: saved list views and who is looking at a case."""

from django.conf import settings
from django.db import models

from casedesk.core.models import TenantScoped


class SavedView(TenantScoped):
    """A named set of case-list filters and sort order, private to one member."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, help_text="The list's query string.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "name"],
                                               name="savedview_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CasePresence(TenantScoped):
    """That a member has a case open (and when they last typed in its composer).

    Rows are upserted by the case page's poll; a row older than a few seconds means gone.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    seen_at = models.DateTimeField()
    typing_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"],
                                               name="presence_unique_viewer")]
        indexes = [models.Index(fields=["case", "seen_at"], name="presence_case_seen")]

    def __str__(self) -> str:
        return f"{self.user_id} on case {self.case_id}"
