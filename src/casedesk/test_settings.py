"""Settings for the test suite: PostgreSQL when CASEDESK_TEST_DATABASE_URL is set, else SQLite."""

import os

from casedesk.settings import *  # noqa: F403
from casedesk.settings import STATIC_ROOT, VAR_DIR, database_from_url, replica_database

_test_url = os.environ.get("CASEDESK_TEST_DATABASE_URL")
if _test_url:
    DATABASES = {"default": database_from_url(_test_url)}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The replica for tests/reports/test_replica.py (only tests that name it may use it): a
    # real standby of the test server when CASEDESK_TEST_REPLICA_DATABASE_URL names one
    # (scripts/start-replica), else a second connection to the test database, read-only as
    # a standby is.
    _replica_url = os.environ.get("CASEDESK_TEST_REPLICA_DATABASE_URL") or _test_url
    DATABASES["replica"] = replica_database(_replica_url, read_only=True)
    DATABASES["replica"]["CONN_MAX_AGE"] = 0
    DATABASE_ROUTERS = ["casedesk.core.replica.ReplicaRouter"]
else:
    DATABASES = {"default": database_from_url(f"sqlite:///{VAR_DIR / 'test.sqlite3'}")}
    # A file, not Django's default in-memory test database: the browser tests' live server
    # would otherwise share one sqlite3 connection between its request threads and the test,
    # and the page's own polling makes those requests overlap. With a file every thread has
    # its own connection and WAL keeps them apart, as in a real SQLite deployment.
    # One file per process, so two runs side by side never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}

# Reports read the test database itself: the tests that read through the replica say so.
CASEDESK_REPORTS_DATABASE = "default"
# The tests' own key: a test never depends on the installation's var/secret_key.
SECRET_KEY = "casedesk-test-suite-key-not-for-any-installation-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                     "QUEUES": ["default", "mail", "sweeps"]}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests serve static files through the finders (as in development); an empty STATIC_ROOT keeps
# whitenoise from warning on every request that `collectstatic` has not run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Sent mail stays in memory (pytest-django's `mailoutbox`); tests of the SMTP path set their
# own mailer pointing at a real listener on loopback.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# The IMAP tests run a real Dovecot on loopback; the tests of the SSRF check turn this off.
CASEDESK_ALLOW_PRIVATE_NETWORKS = True
