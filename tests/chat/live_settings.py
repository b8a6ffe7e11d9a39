"""Settings of a `casedesk live` process a live test starts: the test suite's (its key, so
the tokens the test signs are good), on the database DATABASE_URL names (the test
database)."""

import os

from casedesk.settings import database_from_url
from casedesk.test_settings import *  # noqa: F403

DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
DATABASE_ROUTERS: list[str] = []
