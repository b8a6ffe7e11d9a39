"""CSAT tables: a tenant's survey settings and one survey per case (its mail, its answer)."""

from django.db import models

from casedesk.core.models import TenantScoped

DEFAULT_DELAY_HOURS = 24
MAX_DELAY_HOURS = 24 * 14
COMMENT_MAX = 2000


class Scale(models.TextChoices):
    GOOD_BAD = "good_bad", "Good or bad"
    ONE_TO_FIVE = "one_to_five", "1 to 5"


class CsatSettings(models.Model):
    """One tenant's survey settings. A tenant without a row has the defaults (`csat.config`):
    surveys on, mailed 24 hours after resolution, for every queue, good or bad."""

    tenant = models.OneToOneField("tenancy.Tenant", on_delete=models.CASCADE,
                                  related_name="csat_settings")
    enabled = models.BooleanField(default=True)
    delay_hours = models.PositiveSmallIntegerField(default=DEFAULT_DELAY_HOURS)
    # Ids of the queues whose cases are surveyed; empty: every case, with a queue or not.
    queues = models.JSONField(default=list, blank=True)
    scale = models.CharField(max_length=12, choices=Scale.choices, default=Scale.GOOD_BAD)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"CSAT settings of {self.tenant_id}"


class Survey(TenantScoped):
    """The satisfaction survey of one case: made when the survey mail is queued (in the same
    transaction), answered by the customer through the signed link. One row per case (the
    unique case decides, so two workers cannot both survey it); a second answer replaces the
    first. `rating` is on one scale for both: 1 to 5, and good/bad is 5/1."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    # The signed link names the survey and this nonce; a link for another nonce is refused.
    nonce = models.CharField(max_length=32)
    scale = models.CharField(max_length=12, choices=Scale.choices)
    recipient = models.EmailField(max_length=254)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX)
    answered_at = models.DateTimeField(null=True, blank=True)
    # When the owner and their manager were told of a bad rating: at most once per survey.
    bad_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-id"], name="csat_survey_list"),
            models.Index(fields=["tenant", "rating", "-id"], name="csat_survey_rating"),
        ]

    def __str__(self) -> str:
        return f"Survey of case {self.case_id}"
