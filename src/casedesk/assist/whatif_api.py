"""The what-if API: replay a proposed SLA policy or routing rule set on the last N days of
cases and answer what would have changed. Managers and admins (managers may read policies
and try rules, so they may try these too); nothing is saved, ever. A proposal is refused
(422) with the message saving it would get."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from casedesk.assist import whatif_reads, whatif_runs
from casedesk.core import clock
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.schemas import Error, Id
from casedesk.routing.access import get_rule_for_member
from casedesk.routing.api import RuleIn
from casedesk.routing.services import RULE_LIMIT, RuleInput
from casedesk.sla.access import get_policy_for_member
from casedesk.sla.schemas import MAX_POLICIES, PolicyIn, PolicyPatch
from casedesk.tenancy.api_auth import require_manager

router = Router(tags=["assist"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}

Days = Field(
    whatif_reads.DEFAULT_DAYS,
    ge=1,
    le=whatif_reads.MAX_DAYS,
    description="Replay the cases created in the last `days` days (1 to 90).",
)


class WhatIfTargetOut(Schema):
    actual: int = Field(description="Touched cases breached as recorded.")
    proposed: int = Field(description="Touched cases that would have been breached.")
    actual_percent: float
    proposed_percent: float
    became_breached: int
    became_met: int
    became_breached_cases: list[str] = Field(description="The first 50 case numbers.")
    became_met_cases: list[str] = Field(description="The first 50 case numbers.")


class WhatIfPriorityOut(Schema):
    priority: str
    cases: int
    first_response_actual: int
    first_response_proposed: int
    resolution_actual: int
    resolution_proposed: int


class WhatIfPolicyRefOut(Schema):
    id: int | None
    name: str


class SlaWhatIfIn(Schema):
    days: int = Days
    policy: PolicyIn | None = Field(
        None,
        description=("A new policy, as `POST /sla/policies` takes it (its place: `position`)."),
    )
    policy_id: Id | None = Field(
        None,
        description=(
            "An existing policy, changed by `changes` (as `PATCH /sla/policies/{id}` takes "
            "them; none: the policy as stored)."
        ),
    )
    changes: PolicyPatch | None = None
    position: int | None = Field(
        None,
        ge=0,
        le=MAX_POLICIES,
        description=(
            "The proposal's place among the enabled policies, 0 first; by default an edited "
            "policy keeps its place and a new one goes last."
        ),
    )


class SlaWhatIfOut(Schema):
    days: int
    since: datetime
    until: datetime
    cases: int = Field(description="Cases created in the window (replayed).")
    capped: bool = Field(
        description="More cases than `cap` were created: the newest ones were replayed."
    )
    cap: int
    policy: WhatIfPolicyRefOut
    matched: int = Field(description="Cases the proposed policy would apply to.")
    touched: int = Field(description="Matched cases plus those that had the edited policy.")
    first_response: WhatIfTargetOut
    resolution: WhatIfTargetOut
    by_priority: list[WhatIfPriorityOut]
    note: str


class RoutingWhatIfIn(Schema):
    days: int = Days
    rules: list[RuleIn] | None = Field(
        None,
        max_length=RULE_LIMIT,
        description=(
            "The whole proposed rule list, first rule first (each as `POST /routing/rules` "
            "takes it; `position` is ignored, disabled rules are left out)."
        ),
    )
    rule: RuleIn | None = Field(
        None, description=("One new or changed rule tried within the current rules.")
    )
    rule_id: Id | None = Field(None, description="With `rule`: the rule it changes.")
    position: int | None = Field(
        None,
        ge=0,
        le=RULE_LIMIT,
        description=(
            "With `rule`: its place among the enabled rules, 0 first (by default a changed rule "
            "keeps its place and a new one goes last)."
        ),
    )


class WhatIfMoveOut(Schema):
    number: str
    from_queue: str
    to_queue: str


class WhatIfQueueOut(Schema):
    queue_id: int | None
    queue: str
    before: int
    after: int


class WhatIfOwnerOut(Schema):
    owner_id: int | None = Field(description="None for the unassigned and the strategy's picks.")
    owner: str
    before: int
    after: int


class WhatIfRuleCountOut(Schema):
    rule: str
    cases: int


class RoutingWhatIfOut(Schema):
    days: int
    since: datetime
    until: datetime
    cases: int
    capped: bool
    cap: int
    moved: int = Field(description="Cases that would have gone to another queue.")
    owner_changed: int
    moves: list[WhatIfMoveOut] = Field(description="The first 50 moved cases.")
    fallback_actual: int
    fallback_proposed: int = Field(description="Cases no rule would route (fallback map).")
    queues: list[WhatIfQueueOut]
    owners: list[WhatIfOwnerOut]
    rules: list[WhatIfRuleCountOut]
    note: str


def _rule_input(payload: RuleIn) -> RuleInput:
    return RuleInput(
        name=payload.name,
        match=payload.match,
        is_enabled=payload.is_enabled,
        conditions=[c.dict(exclude_unset=True) for c in payload.conditions],
        actions=payload.actions.dict(exclude_none=True),
    )


@router.post(
    "/sla/policies/whatif",
    response={200: SlaWhatIfOut, **ERRORS},
    summary="Replay a proposed SLA policy on past cases",
)
def sla_whatif(request: HttpRequest, payload: SlaWhatIfIn) -> Any:
    """What a new policy (`policy`) or a changed one (`policy_id` with `changes`) would have
    done to the cases of the last `days` days: breaches recorded and replayed, the cases
    that flip, by priority. Nothing is saved (managers and admins)."""
    manager = require_manager(request)
    tenant = manager.tenant
    if (payload.policy is None) == (payload.policy_id is None):
        raise Invalid("Send either policy (a new one) or policy_id (with changes).", field="policy")
    editing = None
    position = payload.position
    if payload.policy is not None:
        values = {
            **payload.policy.dict(),
            "conditions": [c.dict(exclude_unset=True) for c in payload.policy.conditions],
        }
    else:
        assert payload.policy_id is not None
        try:
            editing = get_policy_for_member(manager, payload.policy_id)
        except NotFound:
            # An id in the body, as `replacing_id` of the rules' preview: invalid input.
            raise Invalid(
                f"No SLA policy with id {payload.policy_id}.", field="policy_id"
            ) from None
        values = {}
        if payload.changes is not None:
            values = payload.changes.dict(exclude_unset=True)
            for name, value in values.items():
                if value is None and name not in ("calendar_id", "next_response_minutes"):
                    raise Invalid(f"{name} cannot be null.", field=name)
            if payload.changes.conditions is not None:
                values["conditions"] = [
                    c.dict(exclude_unset=True) for c in payload.changes.conditions
                ]
            moved = values.pop("position", None)
            position = position if position is not None else moved
    values = whatif_runs.sla_proposal(tenant=tenant, editing=editing, values=values)
    return whatif_runs.sla_whatif_out(
        whatif_runs.sla_whatif(
            tenant=tenant,
            values=values,
            editing=editing,
            position=position,
            days=payload.days,
            now=clock.now(),
        )
    )


@router.post(
    "/routing/rules/whatif",
    response={200: RoutingWhatIfOut, **ERRORS},
    summary="Replay proposed routing rules on past cases",
)
def routing_whatif(request: HttpRequest, payload: RoutingWhatIfIn) -> Any:
    """Where the cases of the last `days` days would have gone with the proposed rules (the
    whole list in `rules`, or one new or changed `rule` within the current ones), beside where
    routing sent them: queues and owners before and after, the cases that move, those left to
    the fallback map. Nothing is saved (managers and admins)."""
    manager = require_manager(request)
    tenant = manager.tenant
    if (payload.rules is None) == (payload.rule is None):
        raise Invalid("Send either rules (the whole list) or rule (one rule).", field="rules")
    if payload.rules is not None:
        specs = whatif_runs.rule_list(tenant, [_rule_input(r) for r in payload.rules])
    else:
        assert payload.rule is not None
        editing = None
        if payload.rule_id is not None:
            try:
                editing = get_rule_for_member(manager, payload.rule_id)
            except NotFound:
                raise Invalid(
                    f"No routing rule with id {payload.rule_id}.", field="rule_id"
                ) from None
        specs = whatif_runs.rules_with_draft(
            tenant, _rule_input(payload.rule), editing=editing, position=payload.position
        )
    return whatif_runs.routing_whatif_out(
        whatif_runs.routing_whatif(tenant=tenant, specs=specs, days=payload.days, now=clock.now())
    )
