from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from casedesk.tenancy.models import ApiToken, Invitation, Membership, Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    list_display = ("slug", "name", "case_prefix", "time_zone", "reopen_limit", "reopen_window")
    search_fields = ("slug", "name")
    readonly_fields = ("next_case_number", "created_at")


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_active", "is_staff")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "full_name", "password1", "password2")}),)
    filter_horizontal = ()
    list_filter = ("is_active", "is_staff")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "tenant", "role", "manager", "capacity", "is_active")
    list_filter = ("tenant", "role", "is_active")
    search_fields = ("user__email",)
    raw_id_fields = ("user", "manager")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("prefix", "name", "membership", "read_only", "created_at", "last_used_at",
                    "revoked_at")
    list_filter = ("tenant",)
    readonly_fields = ("tenant", "membership", "prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are made by `casedesk create_token` or the API, shown once


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    """For the operator to see who was invited where; invitations are made and withdrawn by
    the tenant's admins on its people page (the link is only ever in the mail)."""

    list_display = ("email", "tenant", "role", "sent_at", "expires_at", "accepted_at",
                    "revoked_at")
    list_filter = ("tenant", "role")
    search_fields = ("email",)
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
