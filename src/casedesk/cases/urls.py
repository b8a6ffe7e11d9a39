"""The cases app's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import path

from casedesk.cases.views import attachments, custom_fields, fields, links

app_name = "cases"

urlpatterns = [
    path("settings/fields", fields.fields_overview, name="fields"),
    path("settings/fields/values/<str:kind>/add", fields.value_add, name="value_add"),
    path("settings/fields/values/<int:value_id>/rename", fields.value_rename,
         name="value_rename"),
    path("settings/fields/values/<int:value_id>/move", fields.value_move, name="value_move"),
    path("settings/fields/values/<int:value_id>/retire", fields.value_retire,
         name="value_retire"),
    path("settings/fields/values/<int:value_id>/restore", fields.value_restore,
         name="value_restore"),
    path("settings/fields/custom/new", custom_fields.custom_field_new, name="custom_field_new"),
    path("settings/fields/custom/<int:field_id>", custom_fields.custom_field_edit,
         name="custom_field"),
    path("settings/fields/custom/<int:field_id>/move", custom_fields.custom_field_move,
         name="custom_field_move"),
    path("settings/fields/custom/<int:field_id>/retire", custom_fields.custom_field_retire,
         name="custom_field_retire"),
    path("settings/fields/custom/<int:field_id>/restore", custom_fields.custom_field_restore,
         name="custom_field_restore"),
    path("cases/<str:number>/note-attachments/<int:attachment_id>",
         attachments.note_attachment, name="note_attachment"),
    path("cases/<str:number>/links", links.links_panel, name="links_panel"),
    path("cases/<str:number>/links/add", links.link_add, name="link_add"),
    path("cases/<str:number>/links/<int:link_id>/remove", links.link_remove,
         name="link_remove"),
]
