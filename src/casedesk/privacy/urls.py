from django.urls import URLPattern, path

from casedesk.privacy import views

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path("settings/privacy", views.settings_page, name="settings"),
    path("settings/privacy/contacts/<int:pk>/erase", views.erase_page, name="erase_contact"),
]
