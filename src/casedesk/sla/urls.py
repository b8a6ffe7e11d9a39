"""The sla app's pages, mounted at the site root by casedesk.urls (paths are a contract).
The "Run breach sweep now" button posts to `console:sla_sweep` (`sla/sweep`): the sweep
changes cases, a floor above this app."""

from django.urls import path

from casedesk.sla.views import calendars, escalations, policies

app_name = "sla"

urlpatterns = [
    path("sla/", policies.sla_home, name="home"),
    path("sla/policies", policies.policy_list, name="policies"),
    path("sla/policies/new", policies.policy_new, name="policy_new"),
    path("sla/policies/<int:policy_id>", policies.policy_edit, name="policy"),
    path("sla/policies/<int:policy_id>/toggle", policies.policy_toggle, name="policy_toggle"),
    path("sla/policies/<int:policy_id>/move", policies.policy_move, name="policy_move"),
    path("sla/policies/<int:policy_id>/delete", policies.policy_delete, name="policy_delete"),
    path("sla/settings", policies.sla_settings, name="settings"),
    path("sla/calendars", calendars.calendar_list, name="calendars"),
    path("sla/calendars/new", calendars.calendar_new, name="calendar_new"),
    path("sla/calendars/<int:calendar_id>", calendars.calendar_edit, name="calendar"),
    path("sla/calendars/<int:calendar_id>/delete", calendars.calendar_delete,
         name="calendar_delete"),
    path("sla/calendars/<int:calendar_id>/holidays", calendars.holiday_add, name="holiday_add"),
    path("sla/calendars/<int:calendar_id>/holidays/import", calendars.holidays_import,
         name="holidays_import"),
    path("sla/calendars/<int:calendar_id>/holidays/<int:holiday_id>/delete",
         calendars.holiday_delete, name="holiday_delete"),
    path("sla/escalations", escalations.rule_list, name="escalations"),
    path("sla/escalations/new", escalations.rule_new, name="escalation_new"),
    path("sla/escalations/<int:rule_id>", escalations.rule_edit, name="escalation"),
    path("sla/escalations/<int:rule_id>/toggle", escalations.rule_toggle,
         name="escalation_toggle"),
    path("sla/escalations/<int:rule_id>/delete", escalations.rule_delete,
         name="escalation_delete"),
]
