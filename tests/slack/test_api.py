"""`GET|PUT|DELETE /api/v1/slack/installation`: installing checks the token with Slack (the
stand-in), secrets never come back, admins only, and each tenant sees and changes its own."""

import pytest

from casedesk.slack.models import SlackInstallation
from casedesk.tenancy.models import AuditEntry
from tests.api_checks import conforms, error
from tests.conftest import NOW
from tests.slack.conftest import SECRET, TEAM, TOKEN

INSTALL = {"signing_secret": SECRET, "bot_token": TOKEN}
PATH = "/slack/installation"


def test_before_installing_get_says_so_and_shows_what_to_set_up(admin_api, tenant) -> None:
    body = conforms(admin_api.get(PATH), "GET", PATH)

    assert body["installed"] is False and body["team_id"] is None
    urls = body["request_urls"]
    assert urls["commands"].endswith(f"/slack/{tenant.slug}/commands")
    assert urls["interactions"].endswith(f"/slack/{tenant.slug}/interactions")
    assert urls["events"].endswith(f"/slack/{tenant.slug}/events")
    assert set(body["scopes"]) == {
        "commands",
        "chat:write",
        "users:read",
        "users:read.email",
        "channels:history",
        "groups:history",
    }
    manifest = body["manifest"]
    assert manifest["features"]["slash_commands"][0]["url"] == urls["commands"]
    assert manifest["settings"]["interactivity"]["request_url"] == urls["interactions"]
    assert manifest["settings"]["event_subscriptions"]["request_url"] == urls["events"]
    assert manifest["oauth_config"]["scopes"]["bot"] == body["scopes"]


def test_installing_checks_the_token_with_slack_and_never_shows_the_secrets(
    admin_api, tenant, slack_api
) -> None:
    response = admin_api.put(PATH, INSTALL)

    body = conforms(response, "PUT", PATH)
    assert body["installed"] and body["is_enabled"]
    assert (body["team_id"], body["team_name"], body["bot_user_id"]) == (
        TEAM,
        "Acme Workspace",
        "U0BOT",
    )
    assert body["signing_secret_last4"] == "…" + SECRET[-4:]
    assert body["bot_token_last4"] == "…" + TOKEN[-4:]
    assert SECRET not in response.content.decode() and TOKEN not in response.content.decode()
    assert body["missing_scopes"] == []
    assert [call.token for call in slack_api.calls_of("auth.test")] == [TOKEN]
    entry = AuditEntry.objects.get(tenant=tenant, action="slack.installed")
    assert entry.changes["bot_token"] == ["(secret)", "(secret)"]
    assert SECRET not in str(entry.changes) and TOKEN not in str(entry.changes)


def test_a_token_slack_refuses_is_an_error_and_nothing_is_saved(
    admin_api, tenant, slack_api
) -> None:
    response = admin_api.put(PATH, {**INSTALL, "bot_token": "xoxb-revoked-or-made-up"})

    body = error(response, 422, field="bot_token", mentions=("invalid_auth",))
    assert "Nothing was saved" in body["detail"]
    assert not SlackInstallation.objects.filter(tenant=tenant).exists()


def test_slack_out_of_reach_is_an_error_and_nothing_is_saved(admin_api, tenant, settings) -> None:
    from tests.mail.peers import free_port

    settings.CASEDESK_SLACK_API_URL = f"http://127.0.0.1:{free_port()}/api/"
    response = admin_api.put(PATH, INSTALL)

    error(response, 422, field="bot_token", mentions=("could not be asked",))
    assert not SlackInstallation.objects.filter(tenant=tenant).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"signing_secret": SECRET}, "bot_token"),
        ({"bot_token": TOKEN}, "signing_secret"),
        ({**INSTALL, "bot_token": "xoxp-a-user-token"}, "bot_token"),
        ({**INSTALL, "signing_secret": "not a secret!"}, "signing_secret"),
        ({**INSTALL, "queue_id": 999999}, "queue_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field(admin_api, tenant, slack_api, body, field) -> None:
    error(admin_api.put(PATH, body), 422, field=field)
    assert not SlackInstallation.objects.filter(tenant=tenant).exists()
    assert not slack_api.calls_of("auth.test")


def test_a_change_keeps_the_secrets_not_given(
    admin_api, tenant, slack_api, seeded_support_queue
) -> None:
    admin_api.put(PATH, INSTALL)

    body = conforms(
        admin_api.put(
            PATH,
            {
                "is_enabled": False,
                "mirror_replies": False,
                "queue_id": seeded_support_queue.pk,
                "signing_secret": "",
                "bot_token": None,
            },
        ),
        "PUT",
        PATH,
    )

    assert (body["is_enabled"], body["mirror_replies"]) == (False, False)
    assert body["queue_id"] == seeded_support_queue.pk
    row = SlackInstallation.objects.get(tenant=tenant)
    assert (row.signing_secret, row.bot_token) == (SECRET, TOKEN)
    assert len(slack_api.calls_of("auth.test")) == 1  # the token was not asked about again
    assert AuditEntry.objects.filter(tenant=tenant, action="slack.updated").exists()


def test_a_token_lacking_scopes_is_installed_and_says_which(admin_api, slack_api) -> None:
    slack_api.add_token("xoxb-few-scopes", team_id=TEAM, scopes="commands,chat:write")

    body = admin_api.put(PATH, {**INSTALL, "bot_token": "xoxb-few-scopes"}).json()

    assert body["missing_scopes"] == [
        "users:read",
        "users:read.email",
        "channels:history",
        "groups:history",
    ]


def test_uninstalling_forgets_the_secrets_and_twice_is_no_error(
    admin_api, tenant, slack_api
) -> None:
    admin_api.put(PATH, INSTALL)

    first = conforms(admin_api.delete(PATH), "DELETE", PATH)
    second = conforms(admin_api.delete(PATH), "DELETE", PATH)

    assert first["installed"] is False and second["installed"] is False
    assert not SlackInstallation.objects.filter(tenant=tenant).exists()
    assert AuditEntry.objects.filter(tenant=tenant, action="slack.uninstalled").count() == 1


@pytest.mark.parametrize(("method", "body"), [("get", None), ("put", INSTALL), ("delete", None)])
def test_only_admins_may(agent_api, manager_api, tenant, slack_api, method, body) -> None:
    for api in (agent_api, manager_api):
        call = getattr(api, method)
        response = call(PATH, body) if body is not None else call(PATH)
        error(response, 403)
    assert not SlackInstallation.objects.filter(tenant=tenant).exists()


def test_anonymous_is_refused(anonymous_api) -> None:
    error(anonymous_api.get(PATH), 401)


def test_each_tenant_sees_and_changes_its_own_installation(
    admin_api, outsider_api, tenant, other_tenant, slack_api
) -> None:
    slack_api.add_token(
        "xoxb-globex-1-2-3", team_id="T0GLOBEX", team="Globex Space", bot_user_id="U0GBOT"
    )
    assert (
        outsider_api.put(
            PATH,
            {
                "signing_secret": "globexsecret0000globexsecret0000",
                "bot_token": "xoxb-globex-1-2-3",
            },
        ).status_code
        == 200
    )

    mine = admin_api.get(PATH).json()
    assert mine["installed"] is False and "globex" not in str(mine).lower()
    admin_api.put(PATH, INSTALL)
    admin_api.put(PATH, {"is_enabled": False})
    admin_api.delete(PATH)

    theirs = SlackInstallation.objects.get(tenant=other_tenant)
    assert (theirs.team_id, theirs.is_enabled) == ("T0GLOBEX", True)
    assert outsider_api.get(PATH).json()["team_name"] == "Globex Space"


def test_a_queue_of_another_tenant_is_refused(admin_api, tenant, slack_api, foreign) -> None:
    error(admin_api.put(PATH, {**INSTALL, "queue_id": foreign.queue_id}), 422, field="queue_id")


def test_the_endpoints_are_in_the_openapi_document(admin_api) -> None:
    spec = admin_api.client.get("/api/v1/openapi.json").json()
    operations = spec["paths"]["/api/v1/slack/installation"]
    assert set(operations) >= {"get", "put", "delete"}
    assert all(op["tags"] == ["slack"] for op in operations.values())


def test_now_is_the_installations_time(admin_api, tenant, slack_api, clock) -> None:
    admin_api.put(PATH, INSTALL)

    assert SlackInstallation.objects.get(tenant=tenant).installed_at == NOW
