"""Routing rules as plain data: what each operator means, what the parser refuses, the
fallback map. No database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.core.errors import Invalid
from casedesk.routing.rules import (
    AccountFacts,
    Actions,
    CaseFacts,
    RuleSpec,
    compile_condition,
    compile_rules,
    fallback_queue_name,
    first_match,
    parse_actions,
    parse_condition,
    parse_conditions,
)

ACME = AccountFacts(id=7, name="Acme", tier="Enterprise", segment="Retail", territory="EMEA")
FACTS = CaseFacts(
    subject="Refund for invoice 1042", description="We were charged twice this month.",
    category="Billing", subcategory="Refund", type="Question", source="email",
    language="de", priority=3, tags=("vip", "Renewal"),
    custom={"seats": 250, "plan": "Pro", "renewal": "2026-12-01", "beta": True},
    account=ACME, contact_id=5, contact_email="Jo@Acme.example",
)


def holds(field: str, op: str, value: object = None, facts: CaseFacts = FACTS) -> bool:
    return compile_condition(parse_condition({"field": field, "op": op, "value": value}))(facts)


@pytest.mark.parametrize(("field", "op", "value", "expected"), [
    ("category", "equals", "billing", True),  # text ignores case
    ("category", "equals", "Technical", False),
    ("category", "not_equals", "Technical", True),
    ("category", "in", ["Technical", "Billing"], True),
    ("category", "not_in", ["Technical", "Billing"], False),
    ("subcategory", "equals", "Refund", True),
    ("type", "equals", "Question", True),
    ("source", "in", ["email", "web"], True),
    ("language", "equals", "DE", True),
    ("subject", "contains", "REFUND", True),
    ("subject", "contains", ["chargeback", "invoice"], True),  # any of the words
    ("subject", "not_contains", "password", True),
    ("description", "contains", "charged twice", True),
    ("text", "contains", "invoice", True),  # subject or description
    ("text", "contains", "this month", True),
    ("priority", "equals", "high", True),
    ("priority", "gt", "normal", True),
    ("priority", "gte", "high", True),
    ("priority", "lt", "high", False),
    ("priority", "lte", "urgent", True),
    ("priority", "in", ["urgent", "high"], True),
    ("tags", "contains", "VIP", True),
    ("tags", "contains", ["renewal", "other"], True),
    ("tags", "not_contains", "spam", True),
    ("tags", "is_set", None, True),
    ("account.tier", "equals", "enterprise", True),
    ("account.segment", "equals", "Retail", True),
    ("account.territory", "in", ["EMEA", "APAC"], True),
    ("account.name", "contains", "acm", True),
    ("account.id", "equals", 7, True),
    ("account.id", "in", [1, 2], False),
    ("contact.id", "equals", 5, True),
    ("contact.email", "equals", "jo@acme.example", True),
    ("contact.domain", "equals", "acme.example", True),
    ("custom.seats", "gt", 100, True),
    ("custom.seats", "lte", 100, False),
    ("custom.seats", "equals", 250, True),
    ("custom.plan", "in", ["pro", "enterprise"], True),
    ("custom.renewal", "lt", "2027-01-01", True),  # ISO dates compare as text
    ("custom.renewal", "gt", "2027-01-01", False),
    ("custom.beta", "equals", True, True),
    ("custom.missing", "is_empty", None, True),
    ("custom.missing", "equals", "x", False),
    ("custom.missing", "gt", 1, False),  # nothing to compare: no match, no error
    ("custom.plan", "gt", 5, False),  # text against a number: no match, no error
])
def test_operators(field: str, op: str, value: object, expected: bool) -> None:
    assert holds(field, op, value) is expected


def test_account_conditions_do_not_match_a_case_without_account() -> None:
    bare = CaseFacts(subject="Hello")
    assert not holds("account.tier", "equals", "Enterprise", bare)
    assert holds("account.tier", "is_empty", None, bare)
    assert holds("account.tier", "not_equals", "Enterprise", bare)


@pytest.mark.parametrize(("raw", "message"), [
    ({"field": "colour", "op": "equals", "value": "red"}, "unknown field 'colour'"),
    ({"field": "custom.Bad Key", "op": "equals", "value": "x"}, "unknown field"),
    ({"field": "category", "op": "gt", "value": "x"}, "takes the operators"),
    ({"field": "tags", "op": "equals", "value": "x"}, "takes the operators"),
    ({"field": "priority", "op": "equals", "value": "critical"}, "a priority is one of"),
    ({"field": "priority", "op": "equals", "value": True}, "a priority is one of"),
    ({"field": "category", "op": "in", "value": "Billing"}, "needs a list"),
    ({"field": "category", "op": "in", "value": []}, "needs a list"),
    ({"field": "category", "op": "equals", "value": "  "}, "is empty"),
    ({"field": "category", "op": "equals", "value": 5}, "must be text"),
    ({"field": "category", "op": "equals", "value": "a\x00b"}, "not text"),
    ({"field": "account.id", "op": "equals", "value": "7"}, "record id"),
    ({"field": "custom.seats", "op": "gt", "value": [1]}, "number or a date"),
    ("category = Billing", "expected an object"),
])
def test_bad_conditions_are_refused_naming_the_condition(raw: object, message: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_conditions([{"field": "category", "op": "equals", "value": "ok"}, raw])
    assert error.value.field == "conditions"
    assert "condition 2" in error.value.detail
    assert message in error.value.detail


def test_conditions_must_be_a_short_list() -> None:
    with pytest.raises(Invalid):
        parse_conditions({"field": "category"})
    with pytest.raises(Invalid, match="at most 20"):
        parse_conditions([{"field": "category", "op": "is_set"}] * 21)


@pytest.mark.parametrize(("raw", "message"), [
    ({}, "at least one action"),
    ({"queue": 1}, "Unknown action 'queue'"),
    ({"queue_id": "1"}, "must be an id"),
    ({"owner_id": True}, "must be an id"),
    ({"priority": "critical"}, "priority is one of"),
    ({"tags": "vip"}, "list of words"),
    ({"tags": [""]}, "list of words"),
    ([1], "must be an object"),
])
def test_bad_actions_are_refused(raw: object, message: str) -> None:
    with pytest.raises(Invalid, match=message) as error:
        parse_actions(raw)
    assert error.value.field == "actions"


def test_actions_are_normalised() -> None:
    actions = parse_actions({"queue_id": 3, "priority": "Urgent", "tags": [" vip ", "vip"]})
    assert actions == Actions(queue_id=3, priority=4, tags=("vip",))
    assert actions.routes
    assert not parse_actions({"priority": "high"}).routes


def rule(name: str, *conditions: dict, match_all: bool = True, **actions: object) -> RuleSpec:
    return RuleSpec(id=None, name=name, conditions=parse_conditions(list(conditions)),
                    actions=parse_actions(actions or {"tags": ["x"]}), match_all=match_all)


def test_the_first_matching_rule_wins_in_order() -> None:
    rules = compile_rules([
        rule("Urgent tech", {"field": "category", "op": "equals", "value": "Technical"},
             queue_id=1),
        rule("Billing VIP", {"field": "category", "op": "equals", "value": "Billing"},
             {"field": "tags", "op": "contains", "value": "vip"}, queue_id=2),
        rule("Billing", {"field": "category", "op": "equals", "value": "Billing"}, queue_id=3),
    ])
    matched = first_match(rules, FACTS)
    assert matched is not None and matched.name == "Billing VIP"
    assert first_match(rules, CaseFacts(category="General")) is None


def test_match_any_needs_one_condition_and_no_conditions_match_everything() -> None:
    either = compile_rules([rule("Either", {"field": "category", "op": "equals", "value": "X"},
                                 {"field": "language", "op": "equals", "value": "de"},
                                 match_all=False, queue_id=1)])
    assert first_match(either, FACTS) is not None
    assert first_match(either, CaseFacts(language="fr")) is None
    catch_all = compile_rules([rule("Everything", queue_id=1)])
    assert first_match(catch_all, CaseFacts()) is not None


@pytest.mark.parametrize(("category", "queue"), [
    ("Billing", "Finance"), ("billing ", "Finance"), ("Technical", "Engineering"),
    ("Account", "Support"), ("General", "Support"), ("", "Support"), ("Anything", "Support"),
])
def test_fallback_map(category: str, queue: str) -> None:
    assert fallback_queue_name(category) == queue


words = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@given(subject=words, needle=words.filter(lambda w: w.strip() != ""))
def test_contains_agrees_with_a_casefolded_substring_search(subject: str, needle: str) -> None:
    facts = CaseFacts(subject=subject)
    expected = needle.strip().casefold() in subject.casefold()
    assert holds("subject", "contains", needle, facts) is expected
    assert holds("subject", "not_contains", needle, facts) is not expected
