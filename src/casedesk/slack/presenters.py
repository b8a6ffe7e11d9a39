"""The installation as the API and the settings page show it: the secrets by their last
characters only, the Request URLs and the manifest to paste into Slack, the scopes, and how
the outbox is doing."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from casedesk.slack.domain import SCOPES, RequestUrls, last4, manifest, missing_scopes
from casedesk.slack.models import SlackInstallation
from casedesk.slack.selectors import post_counts, recent_failures
from casedesk.tenancy.models import Tenant


def request_urls(base: str, tenant: Tenant) -> RequestUrls:
    """The three Request URLs of the tenant's Slack app, absolute from `base`."""

    def url(name: str) -> str:
        return base + reverse(f"slack:{name}", args=[tenant.slug])

    return RequestUrls(
        commands=url("commands"), interactions=url("interactions"), events=url("events")
    )


def installation_view(
    tenant: Tenant, installation: SlackInstallation | None, base: str
) -> dict[str, Any]:
    urls = request_urls(base, tenant)
    view: dict[str, Any] = {
        "installed": installation is not None,
        "request_urls": {
            "commands": urls.commands,
            "interactions": urls.interactions,
            "events": urls.events,
        },
        "scopes": list(SCOPES),
        "manifest": manifest(tenant.name, urls),
        "is_enabled": None,
        "team_id": None,
        "team_name": None,
        "team_url": None,
        "bot_user_id": None,
        "signing_secret_last4": None,
        "bot_token_last4": None,
        "queue_id": None,
        "mirror_replies": None,
        "missing_scopes": [],
        "installed_at": None,
        "updated_at": None,
        "posts": {"pending": 0, "failed": 0, "recent_failures": []},
    }
    if installation is None:
        return view
    counts = post_counts(installation)
    view.update(
        {
            "is_enabled": installation.is_enabled,
            "team_id": installation.team_id,
            "team_name": installation.team_name,
            "team_url": installation.team_url,
            "bot_user_id": installation.bot_user_id,
            "signing_secret_last4": last4(installation.signing_secret),
            "bot_token_last4": last4(installation.bot_token),
            "queue_id": installation.queue_id,
            "mirror_replies": installation.mirror_replies,
            "missing_scopes": missing_scopes(list(installation.granted_scopes or [])),
            "installed_at": installation.installed_at,
            "updated_at": installation.updated_at,
            "posts": {
                "pending": counts.pending,
                "failed": counts.failed,
                "recent_failures": [
                    {
                        "id": post.pk,
                        "kind": post.kind,
                        "case_number": post.case.display_number if post.case is not None else None,
                        "error": post.last_error,
                        "attempts": post.attempts,
                        "mailed_instead": post.mailed_instead,
                        "created_at": post.created_at,
                    }
                    for post in recent_failures(installation)
                ],
            },
        }
    )
    return view
