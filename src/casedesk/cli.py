"""The `casedesk` console script: Django's manage.py for this project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    from django.core.management import execute_from_command_line

    from casedesk.core.origin import process_via_set

    # What runs in this process outside a request is a command's work (the worker and its
    # jobs say "worker" instead); a request served here says which way it came in.
    process_via_set("cli")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
