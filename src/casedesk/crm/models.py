"""Light CRM records that cases link to: accounts, their contacts and deals."""

from django.db import models

from casedesk.core.models import TenantScoped


class Account(TenantScoped):
    """A customer organisation."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text="e.g. example.com")
    tier = models.CharField(max_length=50, blank=True, help_text="e.g. Enterprise, SMB")
    segment = models.CharField(max_length=50, blank=True)
    territory = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "name"], name="account_tenant_name")]

    def __str__(self) -> str:
        return self.name


class Contact(TenantScoped):
    """A person at a customer who writes in; the email is unique within a tenant."""

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=50, blank=True)
    is_portal_admin = models.BooleanField(
        default=False, help_text="Sees the account's cases in the portal.")
    # When the contact last used the customers' portal (signed in or opened a page there).
    last_portal_visit_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], name="contact_unique_email")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class DealStage(models.TextChoices):
    PROSPECTING = "prospecting", "Prospecting"
    QUALIFICATION = "qualification", "Qualification"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Closed won"
    LOST = "lost", "Closed lost"


class Deal(TenantScoped):
    """An opportunity with an account, so a case can show what is at stake."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="deals")
    name = models.CharField(max_length=200)
    stage = models.CharField(max_length=20, choices=DealStage.choices,
                             default=DealStage.PROSPECTING)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
