"""Settings of a `casedesk live` (or `casedesk serve`) process a live test starts: the test
suite's, on the database DATABASE_URL names (the test database), with the streams' URLs."""

import os

from casedesk.settings import database_from_url
from casedesk.test_settings import *  # noqa: F403

DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
DATABASE_ROUTERS: list[str] = []
ROOT_URLCONF = "tests.chat.live_urlconf"
