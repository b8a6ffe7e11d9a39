"""Custom field validation, without a database: values, required fields (where they are
asked for), the values of retired fields."""

import pytest

from casedesk.cases.customfields import FieldKind, FieldSpec, clean_custom_fields
from casedesk.core.errors import Invalid

SPECS = [
    FieldSpec("order_ref", "Order reference", FieldKind.TEXT, required=True),
    FieldSpec("seats", "Seats", FieldKind.NUMBER),
    FieldSpec("renewal", "Renewal date", FieldKind.DATE),
    FieldSpec("plan", "Plan", FieldKind.PICKLIST, choices=("Starter", "Pro")),
    FieldSpec("vip", "VIP", FieldKind.CHECKBOX),
]


def test_valid_values_are_normalised() -> None:
    cleaned = clean_custom_fields(SPECS, {"order_ref": "A-1", "seats": "12", "renewal":
                                          "2027-01-31", "plan": "Pro", "vip": True})
    assert cleaned == {"order_ref": "A-1", "seats": 12, "renewal": "2027-01-31", "plan": "Pro",
                       "vip": True}


def test_decimal_numbers_stay_decimal() -> None:
    assert clean_custom_fields(SPECS, {"order_ref": "x", "seats": 2.5})["seats"] == 2.5


@pytest.mark.parametrize(("key", "value"), [
    ("seats", "many"), ("seats", True), ("seats", "inf"), ("seats", 1e20),
    ("renewal", "31/01/2027"), ("renewal", 20270131),
    ("plan", "Gold"), ("vip", "yes"), ("order_ref", 5),
])
def test_invalid_values_name_the_field(key: str, value: object) -> None:
    with pytest.raises(Invalid) as error:
        clean_custom_fields(SPECS, {"order_ref": "x", key: value})
    assert error.value.field == f"custom_fields.{key}"
    assert key in error.value.detail


def test_required_field_missing_is_refused() -> None:
    with pytest.raises(Invalid) as error:
        clean_custom_fields(SPECS, {"seats": 3})
    assert error.value.field == "custom_fields.order_ref"


def test_unknown_field_is_refused() -> None:
    with pytest.raises(Invalid) as error:
        clean_custom_fields(SPECS, {"order_ref": "x", "colour": "red"})
    assert error.value.field == "custom_fields.colour"


def test_update_merges_and_null_clears() -> None:
    current = {"order_ref": "A-1", "seats": 3, "plan": "Pro"}
    merged = clean_custom_fields(SPECS, {"seats": None, "vip": False}, current=current)
    assert merged == {"order_ref": "A-1", "plan": "Pro", "vip": False}


def test_clearing_a_required_field_is_refused() -> None:
    with pytest.raises(Invalid):
        clean_custom_fields(SPECS, {"order_ref": ""}, current={"order_ref": "A-1"})


def test_a_required_field_new_cases_are_not_asked_for_binds_no_new_case() -> None:
    specs = [FieldSpec("root_cause", "Root cause", FieldKind.TEXT, required=True,
                       on_new_case=False), *SPECS[1:]]
    assert clean_custom_fields(specs, {"seats": 3}) == {"seats": 3}
    with pytest.raises(Invalid) as error:
        clean_custom_fields(specs, {"root_cause": None}, current={"root_cause": "Disk"})
    assert error.value.field == "custom_fields.root_cause"


def test_an_untouched_empty_required_field_does_not_block_a_change() -> None:
    assert clean_custom_fields(SPECS, {"seats": 4}, current={"seats": 3}) == {"seats": 4}


def test_a_required_checkbox_cleared_is_unticked() -> None:
    specs = [FieldSpec("vip", "VIP", FieldKind.CHECKBOX, required=True)]
    assert clean_custom_fields(specs, {}) == {"vip": False}
    assert clean_custom_fields(specs, {"vip": None}, current={"vip": True}) == {"vip": False}


def test_values_of_retired_fields_stay_but_cannot_be_set() -> None:
    current = {"order_ref": "A-1", "legacy_code": "X9"}
    merged = clean_custom_fields(SPECS, {"seats": 2}, current=current)
    assert merged == {"order_ref": "A-1", "legacy_code": "X9", "seats": 2}
    with pytest.raises(Invalid) as error:
        clean_custom_fields(SPECS, {"legacy_code": "Y"}, current=current)
    assert error.value.field == "custom_fields.legacy_code"
