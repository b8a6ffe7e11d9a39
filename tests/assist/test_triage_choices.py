"""The triage panel's decisions, without a database: agreeing suggestions, the changes an
apply asks for, the admins' score rows."""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from casedesk.assist.triage_choices import (
    changes_for,
    current_values,
    score_rows,
    suggestion_rows,
)
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority


@dataclass(frozen=True)
class Guess:
    target: str
    value: str
    label: str
    confidence: float


def test_current_values_name_the_priority_and_the_queue_by_id() -> None:
    case = SimpleNamespace(
        category="Billing", subcategory="", type="Question", priority=Priority.HIGH, queue_id=7
    )
    assert current_values(case) == {
        "category": "Billing",
        "subcategory": "",
        "type": "Question",
        "priority": "high",
        "queue": "7",
    }


def test_a_suggestion_equal_to_the_current_value_agrees_and_the_rest_do_not() -> None:
    current = {"category": "billing", "type": "Bug", "priority": "normal", "queue": "3"}
    rows = suggestion_rows(
        current,
        {
            "queue": Guess("queue", "3", "Finance", 0.7),
            "category": Guess("category", "Billing", "Billing", 0.93),
            "priority": Guess("priority", "high", "high", 0.61),
        },
    )
    assert [(r.target, r.agrees) for r in rows] == [
        ("category", True),
        ("priority", False),
        ("queue", True),
    ]
    assert rows[0].percent == 93
    assert rows[2].label == "Finance"


def test_changing_the_category_clears_the_subcategory_of_the_old_one() -> None:
    assert changes_for("category", "Billing", current_category="Technical") == {
        "category": "Billing",
        "subcategory": "",
    }
    assert changes_for("category", "billing", current_category="Billing") == {"category": "Billing"}


def test_priority_and_queue_suggestions_become_the_fields_case_update_takes() -> None:
    assert changes_for("priority", "Urgent", current_category="") == {"priority": Priority.URGENT}
    assert changes_for("queue", "12", current_category="") == {"queue_id": 12}
    assert changes_for("type", "Bug", current_category="") == {"type": "Bug"}
    assert changes_for("subcategory", "Refund", current_category="Billing") == {
        "subcategory": "Refund"
    }


@pytest.mark.parametrize(
    ("target", "value"),
    [
        ("owner", "5"),
        ("status", "closed"),
        ("queue", "Finance"),
        ("priority", "asap"),
        ("category", "  "),
    ],
)
def test_what_is_no_suggestion_is_refused(target: str, value: str) -> None:
    with pytest.raises(Invalid):
        changes_for(target, value, current_category="")


def test_score_rows_follow_the_panel_order_and_skip_what_is_not_a_score() -> None:
    rows = score_rows(
        {
            "queue": {"accuracy": 0.81, "baseline": 0.5, "classes": 3, "usable": True},
            "category": {"accuracy": 0.9, "baseline": 0.3, "classes": 6, "usable": True},
            "type": {"accuracy": 0.4, "baseline": 0.45, "classes": 4, "usable": False},
            "junk": "not a score",
        }
    )
    assert [(r.target, r.usable) for r in rows] == [
        ("category", True),
        ("type", False),
        ("queue", True),
    ]
    assert rows[0].accuracy_percent == "90.0"
    assert score_rows(None) == []


def test_a_subcategory_comes_with_its_category_and_agrees_only_under_it() -> None:
    suggestions = {
        "category": Guess("category", "Billing", "Billing", 0.9),
        "subcategory": Guess("subcategory", "Refund", "Refund", 0.8),
    }
    under_other = suggestion_rows({"category": "Technical", "subcategory": "Refund"}, suggestions)
    assert [(r.target, r.category, r.agrees) for r in under_other] == [
        ("category", "", False),
        ("subcategory", "Billing", False),
    ]
    under_it = suggestion_rows({"category": "Billing", "subcategory": "refund"}, suggestions)
    assert all(r.agrees for r in under_it)


def test_applying_a_subcategory_sets_its_category_when_the_case_has_another() -> None:
    assert changes_for(
        "subcategory", "Refund", current_category="Technical", category="Billing"
    ) == {"category": "Billing", "subcategory": "Refund"}
    assert changes_for("subcategory", "Refund", current_category="Billing", category="Billing") == {
        "subcategory": "Refund"
    }
