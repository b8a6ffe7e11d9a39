from typing import Any

from django.contrib import admin

from casedesk.cases.models import Case, CustomFieldDefinition, PicklistValue


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: a case changes only through the case services, which keep its timeline."""

    list_display = ("number", "tenant", "subject", "status", "priority", "queue", "owner",
                    "created_at")
    list_filter = ("tenant", "status", "priority")
    search_fields = ("subject",)
    list_select_related = ("tenant", "queue", "owner")
    show_full_result_count = False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(PicklistValue)
class PicklistValueAdmin(admin.ModelAdmin):
    list_display = ("kind", "value", "parent", "position", "is_active", "tenant")
    list_filter = ("tenant", "kind", "is_active")


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    list_display = ("key", "label", "kind", "required", "is_active", "tenant")
    list_filter = ("tenant", "kind")
