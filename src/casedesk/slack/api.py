"""The Slack app's installation: `GET|PUT|DELETE /slack/installation`, admins only. PUT
installs or changes it (a new bot token is checked with Slack first), DELETE uninstalls
(and answers what remains: nothing installed). Secrets are never shown back."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from casedesk.core import clock
from casedesk.core.redirects import site_base
from casedesk.core.schemas import Error
from casedesk.slack.installation import installation_remove, installation_save
from casedesk.slack.presenters import installation_view
from casedesk.slack.schemas import SlackInstallationIn, SlackInstallationOut
from casedesk.slack.selectors import installation_of
from casedesk.tenancy.api_auth import require_admin

router = Router(tags=["slack"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _out(request: HttpRequest) -> dict[str, Any]:
    tenant = require_admin(request).tenant
    return installation_view(tenant, installation_of(tenant), site_base(request))


@router.get(
    "/slack/installation",
    response={200: SlackInstallationOut, **ERRORS},
    summary="The Slack app's installation",
)
def get_installation(request: HttpRequest) -> Any:
    """Admins. What is installed (`installed: false` before), the Request URLs, scopes and
    manifest to set the Slack app up with, and how posting to Slack is doing."""
    return _out(request)


@router.put(
    "/slack/installation",
    response={200: SlackInstallationOut, **ERRORS},
    summary="Install or change the Slack app",
)
def put_installation(request: HttpRequest, payload: SlackInstallationIn) -> Any:
    """Admins. The fields given change; the others stay. Installing needs `signing_secret`
    and `bot_token`; a token Slack refuses is a 422 naming `bot_token`, and nothing is
    saved."""
    membership = require_admin(request)
    installation_save(
        tenant=membership.tenant,
        actor=membership.user,
        changes=payload.dict(exclude_unset=True),
        now=clock.now(),
    )
    return _out(request)


@router.delete(
    "/slack/installation",
    response={200: SlackInstallationOut, **ERRORS},
    summary="Uninstall the Slack app",
)
def delete_installation(request: HttpRequest) -> Any:
    """Admins. Forgets the secrets and the posts still waiting; the case threads stay, and
    come back to life if the same workspace is installed again. Uninstalling twice is no
    error."""
    membership = require_admin(request)
    installation_remove(tenant=membership.tenant, actor=membership.user)
    return _out(request)
