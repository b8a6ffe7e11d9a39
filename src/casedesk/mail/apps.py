from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "casedesk.mail"
    label = "mail"

    def ready(self) -> None:
        from casedesk.cases import hooks
        from casedesk.mail.outbox import queue_account_mail, queue_reply
        from casedesk.mail.selectors import replies_mail_out
        from casedesk.mail.threading import merge_mail_moved, merge_mail_moved_back
        from casedesk.tenancy import hooks as tenancy_hooks

        # An agent's public reply is mailed to the customer and the people copied, through
        # the outbox, in the transaction that writes the reply.
        hooks.on_public_reply(lambda case, note, now: queue_reply(case=case, note=note, now=now))
        hooks.on_reply_mail_read(replies_mail_out)
        # A merged case's mail moves to the case it was merged into (and back on an undo).
        hooks.on_case_merge("mail", merge_mail_moved, merge_mail_moved_back)
        # Invitations and password resets go out through the same outbox.
        tenancy_hooks.register_account_mailer(queue_account_mail)
