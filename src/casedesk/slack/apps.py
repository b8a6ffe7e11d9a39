from django.apps import AppConfig


class SlackConfig(AppConfig):
    name = "casedesk.slack"
    label = "slack"

    def ready(self) -> None:
        from casedesk.cases import hooks
        from casedesk.slack.outbox import reply_carry

        # An agent's public reply on a case with a Slack thread is posted into the thread
        # (queued in the reply's transaction) instead of being mailed.
        hooks.on_reply_carrier(reply_carry)
