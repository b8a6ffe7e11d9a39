from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "casedesk.automation"
    label = "automation"

    def ready(self) -> None:
        from casedesk.automation.engine import (
            acknowledgement_wanted,
            buffer_mark,
            buffer_undo,
            change_done,
            timeline_seen,
        )
        from casedesk.cases.changes import on_change_done, on_change_scope
        from casedesk.cases.hooks import on_acknowledgement_wanted, on_timeline_written

        on_timeline_written(timeline_seen)
        on_change_done(change_done)
        on_change_scope(buffer_mark, buffer_undo)
        on_acknowledgement_wanted(acknowledgement_wanted)
