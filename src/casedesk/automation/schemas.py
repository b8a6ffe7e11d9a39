"""The automation rules API's input and output schemas. Shapes are bounded here; what each
trigger and action accepts is decided by `automation.rules` and the services."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from casedesk.automation import rules, services, templating
from casedesk.automation.models import AutomationRule
from casedesk.core.priority import PriorityName
from casedesk.core.schemas import MAX_ID, Id, RequiredText, Text, fits
from casedesk.routing.rules import CASE_FIELDS, MAX_CONDITIONS, MAX_LIST_VALUES, MAX_VALUE_LENGTH

TriggerName = Literal["case_created", "field_changed", "status_changed", "note_added",
                      "sla_warning", "sla_breach", "csat_received", "time"]
ActionKind = Literal["set_fields", "add_note", "email", "webhook", "create_task",
                     "apply_macro", "transition", "acknowledge"]
Short = Annotated[Text, Field(max_length=rules.MAX_TEXT)]
Template = Annotated[Text, Field(max_length=templating.MAX_TEMPLATE_LENGTH)]
Tag = Annotated[Text, Field(max_length=50)]

RULE_HELP = (
    "An automation rule: when `trigger` happens to a case (narrowed by `trigger_options`) and "
    "its `conditions` hold (`match`: all or any; none match every case), its `actions` run in "
    "order. Triggers and their options: `case_created`; `field_changed` {field, from, to}; "
    "`status_changed` {from, to}; `note_added` {visibility: any|public|internal, author: "
    "any|customer|agent}; `sla_warning` and `sla_breach` {target: any|first_response|"
    "resolution|next_response}; `csat_received` {rating: any|good|bad}; `time` {anchor: "
    "created|status_changed|resolved|closed|updated, hours (or days)} (fires that long after "
    "the anchor if the conditions still hold then; stored as hours). Actions: `set_fields` "
    "{priority, type, category, "
    "subcategory, queue_id, owner_id, tags_add, tags_remove}; `add_note` {body}; `email` {to: "
    "contact|owner|user, user_id, subject, body}; `webhook` {endpoint_id}; `create_task` "
    "{subject, due_in_hours, owner: case_owner|user, owner_id, notes}; `apply_macro` "
    "{macro_id}; `transition` {to, note, closed_reason}; `acknowledge`. Texts are Django "
    "templates over the case's own fields (`case.subject`, `contact.name`, …)."
)


class AutomationTriggerOptionsIn(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    field: Short | None = None
    from_: Short | None = Field(None, alias="from")
    to: Short | None = None
    visibility: Literal["any", "public", "internal"] | None = None
    author: Literal["any", "customer", "agent"] | None = None
    target: Literal["any", "first_response", "resolution", "next_response"] | None = None
    rating: Literal["any", "good", "bad"] | None = None
    anchor: Literal["created", "status_changed", "resolved", "closed", "updated"] | None = None
    hours: int | None = Field(None, ge=1, le=rules.MAX_HOURS)
    days: int | None = Field(None, ge=1, le=rules.MAX_HOURS // 24)


ValueInt = Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)]
ValueFloat = Annotated[float, Field(allow_inf_nan=False)]
ValueText = Annotated[Text, Field(max_length=MAX_VALUE_LENGTH)]
Scalar = ValueText | bool | ValueInt | ValueFloat
ConditionValue = Scalar | Annotated[list[Scalar], Field(max_length=MAX_LIST_VALUES)] | None
ScalarOut = str | bool | int | float


class AutomationConditionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    field: Annotated[Text, Field(max_length=100, description=(
        f"One of {', '.join(CASE_FIELDS)}, or custom.<key> for a custom field."))]
    op: Annotated[Text, Field(max_length=20)]
    value: ConditionValue = None


class AutomationConditionOut(Schema):
    field: str
    op: str
    value: ScalarOut | list[ScalarOut] | None


class AutomationActionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: ActionKind
    priority: PriorityName | None = None
    type: Short | None = None
    category: Short | None = None
    subcategory: Short | None = None
    queue_id: Id | None = None
    owner_id: Id | None = None
    tags_add: list[Tag] | None = Field(None, max_length=20)
    tags_remove: list[Tag] | None = Field(None, max_length=20)
    body: Template | None = None
    to: Short | None = Field(None, description=(
        "email: contact, owner or user; transition: the status to move to."))
    user_id: Id | None = None
    subject: Template | None = None
    endpoint_id: Id | None = None
    due_in_hours: int | None = Field(None, ge=0, le=rules.MAX_HOURS)
    owner: Literal["case_owner", "user"] | None = None
    notes: Template | None = None
    macro_id: Id | None = None
    note: Template | None = None
    closed_reason: Short | None = None


class AutomationRuleIn(Schema):
    name: Annotated[RequiredText, fits(AutomationRule, "name")]
    description: Annotated[Text, Field(max_length=services.MAX_DESCRIPTION)] = ""
    trigger: TriggerName
    trigger_options: AutomationTriggerOptionsIn | None = None
    match: Literal["all", "any"] = "all"
    conditions: list[AutomationConditionIn] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    actions: list[AutomationActionIn] = Field(min_length=1, max_length=rules.MAX_ACTIONS)
    is_enabled: bool = True
    position: int | None = Field(None, ge=0, le=services.RULE_LIMIT,
                                 description="0 is first; the rule goes last without one.")


class AutomationRulePatch(Schema):
    name: Annotated[RequiredText, fits(AutomationRule, "name")] | None = None
    description: Annotated[Text, Field(max_length=services.MAX_DESCRIPTION)] | None = None
    trigger: TriggerName | None = None
    trigger_options: AutomationTriggerOptionsIn | None = Field(None, description=(
        "Replaces the options; when `trigger` changes without them the new trigger gets none."))
    match: Literal["all", "any"] | None = None
    conditions: list[AutomationConditionIn] | None = Field(None, max_length=MAX_CONDITIONS)
    actions: list[AutomationActionIn] | None = Field(None, min_length=1,
                                                     max_length=rules.MAX_ACTIONS)
    is_enabled: bool | None = None
    position: int | None = Field(None, ge=0, le=services.RULE_LIMIT)


class AutomationRunCountsOut(Schema):
    total: int
    failed: int
    last_run: datetime | None


class AutomationRuleOut(Schema):
    id: int
    name: str
    description: str
    position: int
    is_enabled: bool
    trigger: TriggerName
    trigger_options: dict[str, Any]
    trigger_text: str = Field(description="The trigger in words.")
    match: Literal["all", "any"]
    conditions: list[AutomationConditionOut]
    actions: list[dict[str, Any]]
    actions_text: list[str] = Field(description="The actions in words, in order.")
    enabled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AutomationRuleDetailOut(AutomationRuleOut):
    runs: AutomationRunCountsOut


class AutomationRuleOrderIn(Schema):
    rule_ids: list[Id] = Field(max_length=services.RULE_LIMIT, description=(
        "Every rule of the tenant, once each, first rule first."))


class AutomationPreviewIn(Schema):
    name: Annotated[RequiredText, fits(AutomationRule, "name")] = "Draft rule"
    trigger: TriggerName
    trigger_options: AutomationTriggerOptionsIn | None = None
    match: Literal["all", "any"] = "all"
    conditions: list[AutomationConditionIn] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    actions: list[AutomationActionIn] = Field(min_length=1, max_length=rules.MAX_ACTIONS)
    is_enabled: bool = Field(True, description=(
        "As the rule would be saved: a disabled draft may leave a webhook without endpoint."))
    limit: int = Field(services.PREVIEW_CASES, ge=1, le=services.PREVIEW_CASES)


class AutomationPreviewRowOut(Schema):
    number: str
    subject: str
    status: str
    matched: bool = Field(description="Whether the conditions hold for the case now.")
    due: bool | None = Field(description=(
        "A time rule: whether its wait has passed for the case; null for other triggers."))
    would_run: bool
    actions: str = Field(description="What the rule would do, in words.")


class AutomationRunOut(Schema):
    id: int
    case_number: str | None
    trigger: str
    outcome: Literal["done", "failed", "stopped"]
    summary: str
    error: str
    created_at: datetime


class AutomationRunPageOut(Schema):
    items: list[AutomationRunOut]
    next_cursor: str | None
