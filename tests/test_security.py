"""Defences of the installation as a whole: sign-in throttling (django-axes) on `/login/` and
`/admin/login/`, the API-token throttle, the Content-Security-Policy, the `CASEDESK_HTTPS`
switch, and JSON 500s under `/api/`."""

import json
import logging
import os
import re
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from casedesk.core import throttle
from casedesk.core.models import ApiAuthFailures
from casedesk.tenancy.models import ApiToken, Membership
from casedesk.tenancy.services import token_create
from tests.api_checks import spec
from tests.conftest import NOW, Clock, login

PASSWORD = "pw-alice-123"  # the `agent` fixture's
LOCKED = "Too many failed sign-ins; try again in 15 minutes."


def sign_in(path: str, email: str, password: str, ip: str) -> Any:
    return Client(REMOTE_ADDR=ip).post(path, {"username": email, "password": password})


def signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def locked(response: Any) -> bool:
    return response.status_code == 429 and LOCKED in response.content.decode()


# --- sign-in throttling -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_and_then_the_right_one_waits(path, agent) -> None:
    email = agent.user.email
    if path.startswith("/admin/"):
        agent.user.is_staff = True
        agent.user.save()
    answers = [sign_in(path, email, f"guess-{i}", "203.0.113.7") for i in range(5)]
    assert [a.status_code for a in answers[:4]] == [200] * 4  # "didn't match", form again
    assert locked(answers[4]), answers[4].content.decode()[:500]
    assert answers[4]["Retry-After"] == str(15 * 60)
    right = sign_in(path, email, PASSWORD, "203.0.113.7")
    assert locked(right) and not signed_in(right)
    # The account is held back from everywhere, not just from the guesser's address.
    assert locked(sign_in(path, email, PASSWORD, "198.51.100.20"))


def test_the_lockout_says_the_same_whether_the_account_exists_or_not(agent) -> None:
    def lockout_page(email: str, ip: str) -> str:
        for i in range(5):
            answer = sign_in("/login/", email, f"guess-{i}", ip)
        assert locked(answer)
        page = answer.content.decode()
        return re.sub(r'value="[^"]*"', 'value=""', page)  # CSRF tokens and the typed email

    assert (lockout_page(agent.user.email, "203.0.113.7")
            == lockout_page("nobody@acme.test", "203.0.113.8"))


def test_one_address_trying_many_accounts_is_held_back(agent) -> None:
    for i in range(4):
        assert sign_in("/login/", f"user{i}@acme.test", "guess", "203.0.113.9").status_code == 200
    assert locked(sign_in("/login/", "user4@acme.test", "guess", "203.0.113.9"))
    assert locked(sign_in("/login/", agent.user.email, PASSWORD, "203.0.113.9"))
    # The account itself is not held back: from elsewhere its owner signs in.
    assert signed_in(sign_in("/login/", agent.user.email, PASSWORD, "198.51.100.20"))


def test_an_address_in_another_spelling_counts_for_the_same_account(agent) -> None:
    for i, spelling in enumerate(["ALICE@acme.test", " alice@acme.test", "Alice@ACME.test",
                                  "alice@acme.test", "aLiCe@acme.test"]):
        answer = sign_in("/login/", spelling, "guess", f"198.51.100.{i + 1}")
    assert locked(answer)


def test_the_lock_ends_after_the_cool_off(agent) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        for i in range(5):
            sign_in("/login/", agent.user.email, f"guess-{i}", "203.0.113.7")
        traveller.shift(timedelta(minutes=14))
        assert locked(sign_in("/login/", agent.user.email, PASSWORD, "203.0.113.7"))
        # Each refused try starts the cool-off again: 15 minutes from the last one.
        traveller.shift(timedelta(minutes=15, seconds=1))
        assert signed_in(sign_in("/login/", agent.user.email, PASSWORD, "203.0.113.7"))


def test_an_admin_unlocks_an_account_with_axes_reset_username(agent) -> None:
    for i in range(5):
        sign_in("/login/", agent.user.email, "guess", f"198.51.100.{i + 1}")
    assert locked(sign_in("/login/", agent.user.email, PASSWORD, "198.51.100.50"))
    call_command("axes_reset_username", agent.user.email)
    assert signed_in(sign_in("/login/", agent.user.email, PASSWORD, "198.51.100.50"))


def test_axes_reset_unlocks_everyone(agent) -> None:
    for _ in range(5):
        sign_in("/login/", agent.user.email, "guess", "203.0.113.7")
    assert locked(sign_in("/login/", agent.user.email, PASSWORD, "203.0.113.7"))
    call_command("axes_reset")
    assert signed_in(sign_in("/login/", agent.user.email, PASSWORD, "203.0.113.7"))


def test_a_forwarded_for_header_is_ignored_unless_configured(agent) -> None:
    """By default the peer address counts: a guesser cannot spread its tries over forged
    X-Forwarded-For addresses."""
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(5):
        answer = client.post("/login/", {"username": f"user{i}@acme.test", "password": "x"},
                             headers={"X-Forwarded-For": f"192.0.2.{i}"})
    assert locked(answer)


def request_from(remote: str, **headers: str) -> Any:
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_the_client_address_comes_from_the_configured_proxy_header_only() -> None:
    forged = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Real-IP": "6.6.6.6"}
    assert throttle.client_ip(request_from("10.0.0.2", **forged)) == "10.0.0.2"
    with override_settings(CASEDESK_CLIENT_IP_HEADER="X-Forwarded-For"):
        # One proxy appends the address it saw; what the client wrote comes before it.
        assert throttle.client_ip(request_from("10.0.0.2", **forged)) == "203.0.113.7"
        # Not through the proxy: the peer address.
        assert throttle.client_ip(request_from("198.51.100.3")) == "198.51.100.3"
        assert throttle.client_ip(request_from("10.0.0.2", **{"X-Forwarded-For": "junk"})
                                  ) == "10.0.0.2"
    with override_settings(CASEDESK_CLIENT_IP_HEADER="X-Forwarded-For",
                           CASEDESK_TRUSTED_PROXY_COUNT=2):
        chain = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.0.0.9"}
        assert throttle.client_ip(request_from("10.0.0.2", **chain)) == "203.0.113.7"
    with override_settings(CASEDESK_CLIENT_IP_HEADER="X-Real-IP"):
        assert throttle.client_ip(request_from("10.0.0.2", **{"X-Real-IP": "2001:db8::1"})
                                  ) == "2001:db8::1"


def test_behind_a_proxy_each_client_is_counted_apart(agent) -> None:
    with override_settings(CASEDESK_CLIENT_IP_HEADER="X-Forwarded-For"):
        proxy = Client(REMOTE_ADDR="10.0.0.2")
        for i in range(5):
            answer = proxy.post("/login/", {"username": f"user{i}@acme.test", "password": "x"},
                                headers={"X-Forwarded-For": "203.0.113.7"})
        assert locked(answer)
        other = proxy.post("/login/", {"username": agent.user.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.4"})
        assert signed_in(other)


def test_the_login_username_is_storable_whatever_was_posted() -> None:
    request = RequestFactory().post("/login/", {"username": "x"})
    assert throttle.login_username(request, {"username": "  Alice@Acme.TEST "}) == \
        "alice@acme.test"
    assert throttle.login_username(request, {"username": "a\x00b\ud800"}) == "ab?"
    assert len(throttle.login_username(request, {"username": "x" * 1000}) or "") == 255
    assert throttle.login_username(request, None) == "x"
    assert throttle.login_username(request, {"username": "   "}) is None


# --- the API-token throttle -------------------------------------------------------------------

def bearer(token: str, ip: str = "203.0.113.7") -> Client:
    return Client(REMOTE_ADDR=ip, headers={"Authorization": f"Bearer {token}"})


def test_bad_tokens_from_one_address_get_429_with_retry_after(agent, clock: Clock) -> None:
    good = token_create(membership=agent, name="good").secret
    guesser = bearer("cdk_guess")
    for _ in range(20):
        assert guesser.get("/api/v1/me").status_code == 401
    held = guesser.get("/api/v1/me")
    assert held.status_code == 429
    assert held["Content-Type"].startswith("application/json")
    assert "try again" in held.json()["detail"]
    assert held["Retry-After"] == str(15 * 60)
    # A good token from the same address is not even looked at: no oracle for the guesser.
    assert bearer(good).get("/api/v1/me").status_code == 429
    # Other clients are not held back.
    assert bearer(good, "198.51.100.20").get("/api/v1/me").status_code == 200
    clock.advance(minutes=10)
    assert int(bearer(good).get("/api/v1/me")["Retry-After"]) == 5 * 60
    clock.advance(minutes=5)
    assert bearer(good).get("/api/v1/me").status_code == 200


def test_requests_held_back_write_nothing(agent, clock: Clock) -> None:
    for _ in range(20):
        bearer("cdk_guess").get("/api/v1/me")
    before = list(ApiAuthFailures.objects.values_list("client", "failures", "last_failure_at"))
    clock.advance(minutes=1)
    with CaptureQueriesContext(connection) as queries:
        assert bearer("cdk_guess").get("/api/v1/cases").status_code == 429
    assert not [q for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert list(ApiAuthFailures.objects.values_list(
        "client", "failures", "last_failure_at")) == before


def test_a_request_with_a_good_token_writes_nothing(agent, clock: Clock) -> None:
    good = token_create(membership=agent, name="good").secret
    bearer(good).get("/api/v1/me")  # stamps the token's last use, once a minute at most
    with CaptureQueriesContext(connection) as queries:
        assert bearer(good).get("/api/v1/me").status_code == 200
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    throttle_reads = [q for q in queries if ApiAuthFailures._meta.db_table in q["sql"]]
    assert len(throttle_reads) == 1
    # ... in the statement that looks the token up: one round trip, not two.
    assert ApiToken._meta.db_table in throttle_reads[0]["sql"]
    assert not ApiAuthFailures.objects.exists()


def test_a_run_of_failures_ends_after_the_cool_off() -> None:
    policy = throttle.Policy(limit=3, cooloff=timedelta(minutes=15))
    count = 0
    last = None
    for minutes in (0, 5, 19):  # each within 15 minutes of the one before
        count = throttle.failures_after_one_more(count, last, now=NOW + timedelta(
            minutes=minutes), policy=policy)
        last = NOW + timedelta(minutes=minutes)
    assert count == 3
    assert throttle.retry_after(count, last, now=last, policy=policy) == 15 * 60
    assert throttle.retry_after(count, last, now=last + timedelta(seconds=899.5),
                                policy=policy) == 1
    assert throttle.retry_after(count, last, now=last + timedelta(minutes=15),
                                policy=policy) is None
    assert throttle.retry_after(2, last, now=last, policy=policy) is None
    assert throttle.failures_after_one_more(count, last, now=last + timedelta(minutes=15),
                                            policy=policy) == 1


def test_ipv6_clients_are_counted_by_their_64_network() -> None:
    assert throttle.client_key("2001:db8:1:2:aaaa::1") == throttle.client_key(
        "2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert throttle.client_key("2001:db8:1:3::1") != throttle.client_key("2001:db8:1:2::1")
    assert throttle.client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert throttle.client_key(None) == "unknown"


@pytest.mark.django_db(transaction=True)
def test_processes_counting_at_once_lose_no_failure() -> None:
    """Counted in the database, each under a row lock: several web processes (here threads,
    each with its own connection) failing for one client at once add up exactly."""
    policy = throttle.Policy(limit=1000, cooloff=timedelta(minutes=15))
    errors: list[BaseException] = []

    def fail_five() -> None:
        try:
            for _ in range(5):
                throttle.token_failure_record("203.0.113.7", now=NOW, policy=policy)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fail_five) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert ApiAuthFailures.objects.get(client="203.0.113.7").failures == 30


def test_every_authenticated_operation_documents_429_with_retry_after() -> None:
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if not operation.get("security"):
                continue
            documented = operation["responses"].get("429")
            assert documented, (method, path)
            assert "Retry-After" in documented["headers"]
            assert documented["content"]["application/json"]["schema"] == \
                operation["responses"]["401"]["content"]["application/json"]["schema"]


# --- Content-Security-Policy ------------------------------------------------------------------

def policy_of(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/json\")"
                r"[^>]*>", re.I), "an inline script without a nonce"),
    (re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I), "an inline <style> without a nonce"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"\[document\.", re.I), "an htmx trigger filter (eval)"),
]


def pages(agent: Membership, admin: Membership) -> dict[str, Client]:
    anonymous = Client()
    member = login(agent)
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    staff = login(admin)
    return {"/": anonymous, "/login/": anonymous, "/admin/login/": anonymous,
            "/inbox/cases": member, "/cases": member, "/cases/board": member,
            "/admin/": staff, "/api/v1/docs": anonymous}


def test_every_page_has_a_strict_content_security_policy(agent, admin) -> None:
    for path, client in pages(agent, admin).items():
        response = client.get(path)
        assert response.status_code == 200, path
        policy = policy_of(response)
        assert policy["default-src"] == ["'self'"], path
        for directive in ("script-src", "style-src"):
            assert "'self'" in policy[directive]
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(policy[directive]), path
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"] and policy["base-uri"] == ["'none'"]


def test_the_pages_need_nothing_the_policy_refuses(agent, admin, tenant) -> None:
    """What the browser would refuse under the policy: inline scripts and styles without the
    request's nonce, style attributes, inline event handlers, htmx filters compiled with eval.
    (The browser tests also fail on any violation the console reports.)"""
    for path, client in pages(agent, admin).items():
        html = client.get(path).content.decode()
        for pattern, what in INLINE:
            found = pattern.search(html)
            assert found is None, f"{path} has {what}: {html[found.start():found.start() + 120]}"


def test_a_nonce_in_the_page_is_the_one_in_the_header(agent) -> None:
    response = login(agent).get("/inbox/cases")
    nonces = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
    assert nonces, "htmx's script tag carries the request's nonce"
    assert {f"'nonce-{n}'" for n in nonces} <= set(policy_of(response)["script-src"])


# --- CASEDESK_HTTPS ---------------------------------------------------------------------------

SECURITY_SETTINGS = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
                     "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
                     "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
                     "SECURE_REDIRECT_EXEMPT", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME",
                     "CASEDESK_API_AUTH_FAILURE_LIMIT", "CASEDESK_API_AUTH_COOLOFF",
                     "CASEDESK_ALLOW_PRIVATE_NETWORKS", "CASEDESK_CLIENT_IP_HEADER",
                     "SECURE_CSP")


def settings_with(**env: str) -> dict[str, Any]:
    """The production settings module, loaded in a fresh interpreter with `env` set (and no
    CASEDESK_* variable of this process leaking in)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CASEDESK_", "DJANGO_"))}
    clean.update({"CASEDESK_SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "casedesk.settings",
                  **env})
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"names = {SECURITY_SETTINGS!r}; "
        "print(json.dumps({n: getattr(settings, n, None) for n in names}, default=str))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_the_https_switch_nothing_assumes_tls() -> None:
    plain = settings_with()
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["CSRF_COOKIE_SECURE"] is False
    assert plain["SECURE_SSL_REDIRECT"] is False and plain["SECURE_PROXY_SSL_HEADER"] is None
    assert plain["SECURE_HSTS_SECONDS"] == 0
    assert "upgrade-insecure-requests" not in plain["SECURE_CSP"]
    # The throttles' and the SSRF check's defaults.
    assert plain["AXES_FAILURE_LIMIT"] == 5 and plain["AXES_COOLOFF_TIME"] == "0:15:00"
    assert plain["CASEDESK_API_AUTH_FAILURE_LIMIT"] == 20
    assert plain["CASEDESK_API_AUTH_COOLOFF"] == "0:15:00"
    assert plain["CASEDESK_ALLOW_PRIVATE_NETWORKS"] is False
    assert plain["CASEDESK_CLIENT_IP_HEADER"] == ""


def test_the_https_switch_turns_on_every_tls_setting() -> None:
    tls = settings_with(CASEDESK_HTTPS="1")
    assert tls["SESSION_COOKIE_SECURE"] is True and tls["CSRF_COOKIE_SECURE"] is True
    assert tls["SECURE_SSL_REDIRECT"] is True
    assert tls["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert tls["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert tls["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False and tls["SECURE_HSTS_PRELOAD"] is False
    assert tls["SECURE_CSP"]["upgrade-insecure-requests"] is True
    tuned = settings_with(CASEDESK_HTTPS="1", CASEDESK_HSTS_SECONDS="3600",
                          CASEDESK_HSTS_INCLUDE_SUBDOMAINS="1", CASEDESK_SSL_REDIRECT="0",
                          CASEDESK_LOGIN_FAILURE_LIMIT="3", CASEDESK_LOGIN_COOLOFF_MINUTES="30",
                          CASEDESK_API_AUTH_FAILURE_LIMIT="50",
                          CASEDESK_ALLOW_PRIVATE_NETWORKS="1")
    assert tuned["SECURE_HSTS_SECONDS"] == 3600 and tuned["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert tuned["SECURE_SSL_REDIRECT"] is False
    assert tuned["AXES_FAILURE_LIMIT"] == 3 and tuned["AXES_COOLOFF_TIME"] == "0:30:00"
    assert tuned["CASEDESK_API_AUTH_FAILURE_LIMIT"] == 50
    assert tuned["CASEDESK_ALLOW_PRIVATE_NETWORKS"] is True


def test_behind_tls_plain_http_is_redirected_but_the_health_check_is_not(db) -> None:
    tls = settings_with(CASEDESK_HTTPS="1")
    values = {name: tls[name] for name in (
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "SECURE_REDIRECT_EXEMPT")}
    with override_settings(SECURE_PROXY_SSL_HEADER=tuple(tls["SECURE_PROXY_SSL_HEADER"]),
                           **values):
        plain = Client().get("/login/")
        assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
        assert Client().get("/healthz").status_code == 200
        proxied = Client().get("/login/", headers={"X-Forwarded-Proto": "https"})
        assert proxied.status_code == 200
        assert proxied["Strict-Transport-Security"] == "max-age=31536000"
        assert proxied.cookies["csrftoken"]["secure"]


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_number_in_the_environment_is_a_clear_error(value) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEDESK_", "DJANGO_"))}
    env.update(CASEDESK_SECRET_KEY="x" * 50, CASEDESK_LOGIN_FAILURE_LIMIT=value)
    done = subprocess.run([sys.executable, "-c", "import casedesk.settings"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "CASEDESK_LOGIN_FAILURE_LIMIT must be" in done.stderr


# --- JSON 500s under /api/ ---------------------------------------------------------------------

@pytest.mark.parametrize("debug", [False, True])
def test_an_unhandled_api_error_is_a_logged_json_500(debug, agent, monkeypatch,
                                                     caplog) -> None:
    def broken(membership: Membership) -> Any:
        raise RuntimeError("the database melted")

    monkeypatch.setattr("casedesk.tenancy.api.member_out", broken)
    token = token_create(membership=agent, name="t").secret
    client = Client(raise_request_exception=False,
                    headers={"Authorization": f"Bearer {token}"})
    with override_settings(DEBUG=debug), caplog.at_level(logging.ERROR, "django.request"):
        response = client.get("/api/v1/me")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Internal server error."}
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and "the database melted" in str(logged[0].exc_info[1])


def test_pages_outside_the_api_keep_django_500s(agent, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("casedesk.core.views.render", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert not response.get("Content-Type", "").startswith("application/json")
