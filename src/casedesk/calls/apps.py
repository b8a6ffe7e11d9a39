from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "casedesk.calls"
    label = "calls"

    def ready(self) -> None:
        from casedesk.calls.services import merge_calls_moved, merge_calls_moved_back
        from casedesk.cases import hooks

        # A merged case's calls (and their timeline events) move to the case it was merged
        # into, as its notes do, and back on an undo.
        hooks.on_case_merge("calls", merge_calls_moved, merge_calls_moved_back)
