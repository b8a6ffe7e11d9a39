"""The priority rungs are named once (`core.priority`), for the API, the rules and the
pages."""

from typing import get_args

import pytest

from casedesk.core.errors import Invalid
from casedesk.core.priority import (
    PRIORITY_BY_RUNG,
    PRIORITY_CHOICES,
    PRIORITY_NAMES,
    Priority,
    PriorityName,
    parse_priority,
)


def test_the_api_names_are_the_models_names() -> None:
    assert get_args(PriorityName) == tuple(p.label for p in Priority)
    assert PRIORITY_NAMES == {"low": 1, "normal": 2, "high": 3, "urgent": 4}
    assert PRIORITY_BY_RUNG == {1: "low", 2: "normal", 3: "high", 4: "urgent"}
    assert [value for value, _ in PRIORITY_CHOICES] == ["urgent", "high", "normal", "low"]


@pytest.mark.parametrize(("value", "rung"), [("urgent", 4), (" High ", 3), ("LOW", 1),
                                              (2, 2), (4, 4)])
def test_a_priority_is_read_by_name_or_rung(value: object, rung: int) -> None:
    assert parse_priority(value, "condition 1", field="conditions") == rung


@pytest.mark.parametrize("value", [True, False, 0, 5, "critical", "", None, 2.0, ["high"]])
def test_anything_else_is_refused_with_the_names(value: object) -> None:
    with pytest.raises(Invalid) as refused:
        parse_priority(value, "condition 2", field="conditions")
    assert refused.value.detail == ("condition 2: a priority is one of low, normal, high, "
                                    "urgent.")
    assert refused.value.field == "conditions"
