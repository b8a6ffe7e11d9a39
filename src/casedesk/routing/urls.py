"""The routing app's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import path

from casedesk.routing.views import queues, rules

app_name = "routing"

urlpatterns = [
    path("routing/rules", rules.rule_list, name="rules"),
    path("routing/rules/new", rules.rule_new, name="rule_new"),
    path("routing/rules/reorder", rules.rule_reorder, name="rules_reorder"),
    path("routing/rules/<int:rule_id>", rules.rule_edit, name="rule"),
    path("routing/rules/<int:rule_id>/toggle", rules.rule_toggle, name="rule_toggle"),
    path("routing/rules/<int:rule_id>/move", rules.rule_move, name="rule_move"),
    path("routing/rules/<int:rule_id>/delete", rules.rule_delete, name="rule_delete"),
    path("routing/queues", queues.queue_overview, name="queues"),
    path("routing/queues/new", queues.queue_new, name="queue_new"),
    path("routing/queues/<int:queue_id>", queues.queue_edit, name="queue"),
    path("routing/queues/<int:queue_id>/members", queues.queue_members, name="queue_members"),
    path("routing/queues/<int:queue_id>/archive", queues.queue_archive, name="queue_archive"),
    path("routing/queues/<int:queue_id>/restore", queues.queue_restore, name="queue_restore"),
    path("routing/queues/<int:queue_id>/strategy", queues.queue_strategy, name="queue_strategy"),
    path("routing/members/<int:user_id>", queues.member_facts, name="member"),
    path("routing/skills", queues.skill_requirements, name="skills"),
]
