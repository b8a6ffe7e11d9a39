from django.contrib import admin

from casedesk.routing.models import Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    list_display = ("name", "tenant", "email", "is_active")
    list_filter = ("tenant", "is_active")
    filter_horizontal = ("members",)
