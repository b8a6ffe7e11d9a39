import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Listens for SMTP and takes in mail for the tenants' addresses (and queues' "
            "addresses); other recipients are refused at RCPT time.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--max-bytes", type=int, default=40 * 1024 * 1024,
                            help="Largest message accepted at the SMTP level (SIZE).")

    def handle(self, *args: Any, **options: Any) -> None:
        from aiosmtpd.controller import Controller

        from casedesk.mail.listener import Handler

        controller = Controller(Handler(), hostname=options["host"], port=options["port"],
                                data_size_limit=options["max_bytes"])
        controller.start()
        self.stdout.write(f"casedesk smtpd listening on {options['host']}:{options['port']}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
