"""Installing, changing and removing a tenant's Slack app. A bot token is checked with
Slack's `auth.test` before anything is saved (a token Slack refuses is refused here, with
Slack's reason), and tells which workspace and bot user the installation is. Audited, the
secrets masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.routing.models import Queue
from casedesk.slack import webapi
from casedesk.slack.domain import secret_problem, token_problem
from casedesk.slack.models import SlackInstallation
from casedesk.tenancy.audit import (
    SECRET,
    audit_change,
    audit_created,
    audit_deleted,
    audit_snapshot,
    updated_action,
)
from casedesk.tenancy.models import Tenant, User

EDITABLE = ("signing_secret", "bot_token", "is_enabled", "queue_id", "mirror_replies")
_AUDITED = (
    "team_id",
    "team_name",
    "bot_user_id",
    "is_enabled",
    "queue_id",
    "mirror_replies",
    "signing_secret",
    "bot_token",
)
_SECRETS = ("signing_secret", "bot_token")


def _checked_secret(value: Any) -> str:
    secret = (value or "").strip() if isinstance(value, str) else ""
    problem = secret_problem(secret)
    if problem is not None:
        raise Invalid(problem, field="signing_secret")
    return secret


def _checked_token(value: Any) -> webapi.Team:
    token = (value or "").strip() if isinstance(value, str) else ""
    problem = token_problem(token)
    if problem is not None:
        raise Invalid(problem, field="bot_token")
    answer = webapi.auth_test(token)
    if isinstance(answer, webapi.Failure):
        if answer.status is None or answer.is_rate_limited or (answer.status or 0) >= 500:
            raise Invalid(
                f"Slack could not be asked about this token ({answer.error}); "
                "nothing was saved. Try again.",
                field="bot_token",
            )
        raise Invalid(
            f"Slack refused this token: {answer.error}. Nothing was saved.", field="bot_token"
        )
    if not answer.team_id or not answer.bot_user_id:
        raise Invalid(
            "Slack did not name a workspace and bot user for this token; is it the "
            "Bot User OAuth Token (xoxb-…)?",
            field="bot_token",
        )
    return answer


def _checked_queue(tenant: Tenant, value: Any) -> int | None:
    if value is None:
        return None
    if not Queue.objects.filter(tenant=tenant, pk=value, is_active=True).exists():
        raise Invalid("No such active queue.", field="queue_id")
    return int(value)


def installation_save(
    *, tenant: Tenant, actor: User | None, changes: dict[str, Any], now: datetime
) -> SlackInstallation:
    """Installs the tenant's Slack app or changes it: the fields in `changes` change, the
    others stay. A first installation needs the signing secret and the bot token; a new bot
    token is checked with Slack (`auth.test`) first, outside the transaction, and sets the
    workspace and bot user. Audited; refusals (Invalid, naming the field) change nothing."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(f"Unknown field: {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    current = SlackInstallation.objects.filter(tenant=tenant).first()
    if current is None:
        for name in _SECRETS:
            if not changes.get(name):
                raise Invalid("Installing needs the signing secret and the bot token.", field=name)
    values: dict[str, Any] = {}
    if "signing_secret" in changes and (changes["signing_secret"] or current is None):
        values["signing_secret"] = _checked_secret(changes["signing_secret"])
    if "queue_id" in changes:
        values["queue_id"] = _checked_queue(tenant, changes["queue_id"])
    for name in ("is_enabled", "mirror_replies"):
        if changes.get(name) is not None:
            values[name] = bool(changes[name])
    if "bot_token" in changes and (changes["bot_token"] or current is None):
        team = _checked_token(changes["bot_token"])  # the network, before any lock is held
        values.update(
            bot_token=changes["bot_token"].strip(),
            team_id=team.team_id,
            team_name=team.team_name,
            team_url=team.team_url,
            bot_user_id=team.bot_user_id,
            bot_id=team.bot_id,
            granted_scopes=team.scopes,
        )
    try:
        with transaction.atomic():
            return _write(tenant, actor, values, now)
    except IntegrityError:
        raise Conflict(
            "Slack was being installed for this desk at the same moment; look again and retry."
        ) from None


def _write(
    tenant: Tenant, actor: User | None, values: dict[str, Any], now: datetime
) -> SlackInstallation:
    row = SlackInstallation.objects.select_for_update().filter(tenant=tenant).first()
    if row is None:
        row = SlackInstallation(
            tenant=tenant, installed_by=actor, installed_at=now, updated_at=now, **values
        )
        row.save()
        audit_created(
            tenant=tenant,
            actor=actor,
            action="slack.installed",
            target_type="slack",
            target_id=row.pk,
            target_label=str(row),
            values=audit_snapshot(row, _AUDITED),
            secret=_SECRETS,
        )
        return row
    before = audit_snapshot(row, _AUDITED)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    row.save()
    after = audit_snapshot(row, _AUDITED)
    audit_change(
        tenant=tenant,
        actor=actor,
        action=updated_action("slack", before, after),
        target_type="slack",
        target_id=row.pk,
        target_label=str(row),
        before=before,
        after=after,
        secret=_SECRETS,
    )
    return row


def installation_remove(*, tenant: Tenant, actor: User | None) -> bool:
    """Uninstalls: the secrets and the posts still waiting go; the threads stay, asleep, and
    wake if the same workspace is installed again. False when nothing was installed."""
    with transaction.atomic():
        row = SlackInstallation.objects.select_for_update().filter(tenant=tenant).first()
        if row is None:
            return False
        values = {**audit_snapshot(row, _AUDITED), "signing_secret": SECRET, "bot_token": SECRET}
        audit_deleted(
            tenant=tenant,
            actor=actor,
            action="slack.uninstalled",
            target_type="slack",
            target_id=row.pk,
            target_label=str(row),
            values=values,
            secret=_SECRETS,
        )
        row.delete()
    return True


def installation_disable(*, installation: SlackInstallation, now: datetime) -> None:
    """Switches the installation off because Slack said the app was removed from the
    workspace (`app_uninstalled`, `tokens_revoked`); the admin installs it again."""
    with transaction.atomic():
        updated = SlackInstallation.objects.filter(pk=installation.pk, is_enabled=True).update(
            is_enabled=False, updated_at=now
        )
        if updated:
            audit_change(
                tenant=installation.tenant_id,
                actor=None,
                action="slack.disabled",
                target_type="slack",
                target_id=installation.pk,
                target_label=str(installation),
                before={"is_enabled": True},
                after={"is_enabled": False},
            )
