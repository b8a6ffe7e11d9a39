"""The crm app's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import URLPattern, path

from casedesk.crm import views

app_name = "crm"

urlpatterns: list[URLPattern] = [
    path("accounts", views.account_list, name="account_list"),
    path("accounts/new", views.account_create, name="account_create"),
    path("accounts/<int:pk>", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit", views.account_edit, name="account_edit"),
    path("contacts", views.contact_list, name="contact_list"),
    path("contacts/new", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit", views.contact_edit, name="contact_edit"),
    path("pickers/accounts", views.pick_account, name="pick_account"),
    path("pickers/contacts", views.pick_contact, name="pick_contact"),
]
