"""Escalation rules as an admin writes them: what is checked and refused."""

import pytest

from casedesk.core.errors import Invalid
from casedesk.sla.escalation import parse_actions, parse_conditions


@pytest.mark.parametrize(("conditions", "message"), [
    ([], "at least one condition"),
    ([{"field": "age", "op": "gt", "value": 1}], "unknown field 'age'"),
    ([{"field": "age_hours", "op": "lt", "value": 1}], "takes the operators"),
    ([{"field": "age_hours", "op": "gt", "value": -1}], "hours are a number"),
    ([{"field": "priority", "op": "equals", "value": "p1"}], "a priority is one of"),
    ([{"field": "status", "op": "in", "value": ["closed"]}], "a status is one of"),
    ([{"field": "breached", "op": "equals", "value": "yes"}], "breached is one of"),
])
def test_bad_conditions_are_refused(conditions, message) -> None:
    with pytest.raises(Invalid, match=message):
        parse_conditions(conditions)


@pytest.mark.parametrize(("actions", "message"), [
    ({}, "at least one action"),
    ({"notify": ["ceo"]}, "Unknown notify target"),
    ({"queue_id": "2"}, "must be an id"),
    ({"raise_priority": "yes"}, "true or false"),
    ({"email": "x"}, "Unknown action"),
])
def test_bad_actions_are_refused(actions, message) -> None:
    with pytest.raises(Invalid, match=message):
        parse_actions(actions)
