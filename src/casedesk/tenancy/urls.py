"""The tenancy app's pages, mounted at the site root by casedesk.urls (paths are a contract):
the tenant's settings and people, accepting an invitation, password reset."""

from django.urls import path

from casedesk.tenancy import audit_views, views

app_name = "tenancy"

urlpatterns = [
    path("settings/", views.settings_home, name="settings"),
    path("settings/people", views.people, name="people"),
    path("settings/audit", audit_views.audit_log, name="audit"),
    path("settings/people/invite", views.invite, name="invite"),
    path("settings/people/invitations/<int:invitation_id>/resend", views.invitation_resend,
         name="invitation_resend"),
    path("settings/people/invitations/<int:invitation_id>/revoke", views.invitation_revoke,
         name="invitation_revoke"),
    path("settings/people/<int:user_id>", views.person, name="person"),
    path("settings/people/<int:user_id>/active", views.person_active, name="person_active"),
    path("invitations/<str:token>", views.accept, name="accept"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent", views.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm,
         name="password_reset_confirm"),
    path("password-reset/done", views.password_reset_complete,
         name="password_reset_complete"),
]
