from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "casedesk.chat"
    label = "chat"

    def ready(self) -> None:
        from casedesk.cases import hooks
        from casedesk.chat.services import carry_reply

        # An agent's public reply on a case whose chat is live goes into the chat, not mail.
        hooks.on_reply_carrier(carry_reply)
