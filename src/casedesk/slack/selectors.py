"""Reads of the Slack app's rows, each scoped to one tenant (or to the tenant a request's
URL names)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Subquery

from casedesk.cases.models import Case
from casedesk.core.text import is_storable
from casedesk.slack.models import (
    PostStatus,
    SlackInstallation,
    SlackPost,
    SlackThread,
    ThreadStatus,
)
from casedesk.tenancy.models import Tenant


def installation_of(tenant: Tenant) -> SlackInstallation | None:
    return SlackInstallation.objects.filter(tenant=tenant).select_related("queue").first()


def installation_by_slug(slug: str) -> SlackInstallation | None:
    """The installation of the tenant a Slack Request URL names (enabled or not)."""
    if not slug or len(slug) > 50 or not is_storable(slug):
        return None
    return SlackInstallation.objects.select_related("tenant").filter(tenant__slug=slug).first()


def thread_at(
    installation: SlackInstallation, channel_id: str, thread_ts: str
) -> SlackThread | None:
    """The case thread a Slack thread is, in the installation's workspace."""
    if not thread_ts:
        return None
    return (
        SlackThread.objects.select_related("case", "case__tenant")
        .filter(
            tenant_id=installation.tenant_id,
            team_id=installation.team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
        )
        .first()
    )


def carrying_thread(case: Case) -> tuple[SlackThread, int] | None:
    """The Slack thread that carries the case's replies, with its installation's id: the
    newest of the case's threads that is open (or whose first message is still to be
    posted) in the workspace installed now, enabled with replies mirrored. One query, on
    the threads' case index: every public reply of every case asks."""
    installed = SlackInstallation.objects.filter(
        tenant_id=case.tenant_id, is_enabled=True, mirror_replies=True
    )
    thread = (
        SlackThread.objects.filter(
            tenant_id=case.tenant_id,
            case_id=case.pk,
            status__in=(ThreadStatus.PENDING, ThreadStatus.OPEN),
            team_id__in=installed.values("team_id"),
        )
        .annotate(installation_pk=Subquery(installed.values("pk")[:1]))
        .order_by("-id")
        .first()
    )
    if thread is None:
        return None
    return thread, int(thread.installation_pk)


@dataclass(frozen=True)
class PostCounts:
    pending: int
    failed: int


def post_counts(installation: SlackInstallation) -> PostCounts:
    counts = SlackPost.objects.filter(installation=installation).aggregate(
        pending=Count("id", filter=Q(status=PostStatus.PENDING)),
        failed=Count("id", filter=Q(status=PostStatus.FAILED)),
    )
    return PostCounts(pending=counts["pending"] or 0, failed=counts["failed"] or 0)


def recent_failures(installation: SlackInstallation, *, limit: int = 20) -> list[SlackPost]:
    """The posts that failed for good, newest first, with their cases."""
    return list(
        SlackPost.objects.filter(installation=installation, status=PostStatus.FAILED)
        .select_related("case", "case__tenant")
        .order_by("-id")[:limit]
    )
