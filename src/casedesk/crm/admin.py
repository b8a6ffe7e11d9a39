from django.contrib import admin

from casedesk.crm.models import Account, Contact, Deal


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ("name", "tenant", "domain", "tier", "territory")
    list_filter = ("tenant", "tier")
    search_fields = ("name", "domain")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ("email", "name", "account", "tenant")
    list_filter = ("tenant",)
    search_fields = ("email", "name")
    raw_id_fields = ("account",)


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin[Deal]):
    list_display = ("name", "account", "stage", "amount", "tenant")
    list_filter = ("tenant", "stage")
    raw_id_fields = ("account",)
