"""`/settings/slack`: admins install, change and uninstall the Slack app there and find the
Request URLs, scopes and manifest to paste into Slack; nobody else gets in."""

import json

from casedesk.slack.models import SlackInstallation
from tests.conftest import login
from tests.slack.conftest import SECRET, TEAM, TOKEN

PAGE = "/settings/slack"


def test_the_page_shows_what_to_paste_into_slack(admin, tenant) -> None:
    response = login(admin).get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    for endpoint in ("commands", "interactions", "events"):
        assert f"/slack/{tenant.slug}/{endpoint}" in page
    for scope in ("commands", "chat:write", "users:read.email", "groups:history"):
        assert scope in page
    manifest = json.loads(response.context["manifest_json"])
    assert manifest["features"]["slash_commands"][0]["command"] == "/case"
    assert 'data-testid="save-slack"' in page and "Install" in page


def test_an_admin_installs_through_the_form(admin, tenant, slack_api) -> None:
    client = login(admin)

    response = client.post(
        PAGE,
        {
            "signing_secret": SECRET,
            "bot_token": TOKEN,
            "is_enabled": "on",
            "mirror_replies": "on",
            "queue": "",
        },
    )

    assert response.status_code == 302
    row = SlackInstallation.objects.get(tenant=tenant)
    assert (row.team_id, row.is_enabled, row.mirror_replies, row.queue_id) == (
        TEAM,
        True,
        True,
        None,
    )
    page = client.get(PAGE).content.decode()
    assert "Acme Workspace" in page and "…" + SECRET[-4:] in page
    assert SECRET not in page and TOKEN not in page


def test_a_refused_token_is_shown_on_its_field_and_nothing_saved(admin, tenant, slack_api) -> None:
    response = login(admin).post(
        PAGE, {"signing_secret": SECRET, "bot_token": "xoxb-nope", "is_enabled": "on"}
    )

    assert response.status_code == 422
    assert "invalid_auth" in str(response.context["form"].errors["bot_token"])
    assert not SlackInstallation.objects.filter(tenant=tenant).exists()


def test_saving_without_secrets_keeps_them(
    admin, tenant, installation, seeded_support_queue
) -> None:
    response = login(admin).post(
        PAGE, {"signing_secret": "", "bot_token": "", "queue": str(seeded_support_queue.pk)}
    )

    assert response.status_code == 302
    row = SlackInstallation.objects.get(tenant=tenant)
    assert (row.signing_secret, row.bot_token) == (SECRET, TOKEN)
    assert (row.queue_id, row.is_enabled, row.mirror_replies) == (
        seeded_support_queue.pk,
        False,
        False,
    )


def test_an_admin_uninstalls(admin, tenant, installation) -> None:
    response = login(admin).post(PAGE, {"action": "uninstall"})

    assert response.status_code == 302
    assert not SlackInstallation.objects.filter(tenant=tenant).exists()


def test_only_admins_get_in(agent, manager, installation, tenant) -> None:
    for membership in (agent, manager):
        client = login(membership)
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {"action": "uninstall"}).status_code == 403
    assert SlackInstallation.objects.filter(tenant=tenant).exists()


def test_the_page_lists_posts_slack_gave_up_on(
    admin, installation, slack, slack_api, clock
) -> None:
    slack_api.fail_next("chat.postMessage", "not_in_channel")
    slack.command("Printer on fire")
    from casedesk.slack.delivery import deliver_due_posts

    deliver_due_posts(clock.now)

    page = login(admin).get(PAGE).content.decode()
    assert 'data-testid="slack-failures"' in page and "not_in_channel" in page
