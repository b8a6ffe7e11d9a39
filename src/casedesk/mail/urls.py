"""The mail app's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import path

from casedesk.mail import views

app_name = "mail"

urlpatterns = [
    path("mail/", views.mail_home, name="home"),
    path("mail/inbound", views.inbound_list, name="inbound"),
    path("mail/inbound/<int:inbound_id>", views.inbound_detail, name="inbound_message"),
    path("mail/inbound/<int:inbound_id>/raw", views.inbound_raw, name="inbound_raw"),
    path("mail/inbound/<int:inbound_id>/reprocess", views.inbound_reprocess,
         name="inbound_reprocess"),
    path("mail/inbound/<int:inbound_id>/accept", views.inbound_accept, name="inbound_accept"),
    path("mail/inbound/<int:inbound_id>/new-case", views.inbound_new_case,
         name="inbound_new_case"),
    path("mail/outbound", views.outbound_list, name="outbound"),
    path("mail/outbound/<int:outbound_id>", views.outbound_detail, name="outbound_message"),
    path("mail/outbound/<int:outbound_id>/retry", views.outbound_retry, name="outbound_retry"),
    path("mail/mailboxes", views.mailbox_list, name="mailboxes"),
    path("mail/mailboxes/new", views.mailbox_new, name="mailbox_new"),
    path("mail/mailboxes/<int:mailbox_id>", views.mailbox_edit, name="mailbox"),
    path("mail/mailboxes/<int:mailbox_id>/delete", views.mailbox_delete, name="mailbox_delete"),
    path("mail/mailboxes/<int:mailbox_id>/test", views.mailbox_test, name="mailbox_test"),
    path("mail/mailboxes/<int:mailbox_id>/poll", views.mailbox_poll, name="mailbox_poll"),
    path("mail/settings", views.mail_settings, name="settings"),
    path("cases/<str:number>/attachments/<int:attachment_id>", views.case_attachment,
         name="case_attachment"),
]
