from django.contrib import admin
from django.http import HttpRequest

from casedesk.cases.models import Case, CustomFieldDefinition, PicklistValue


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    """Read-only: a case changes only through the case services, which keep its timeline."""

    list_display = ("number", "tenant", "subject", "status", "priority", "queue", "owner",
                    "created_at")
    list_filter = ("tenant", "status", "priority")
    search_fields = ("subject",)
    list_select_related = ("tenant", "queue", "owner")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


@admin.register(PicklistValue)
class PicklistValueAdmin(admin.ModelAdmin[PicklistValue]):
    list_display = ("kind", "value", "parent", "position", "is_active", "tenant")
    list_filter = ("tenant", "kind", "is_active")


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin[CustomFieldDefinition]):
    list_display = ("key", "label", "kind", "required", "is_active", "tenant")
    list_filter = ("tenant", "kind")
