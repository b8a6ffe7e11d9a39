from tests.factories import make_case


def test_case_created_through_api_is_readable(tenant, admin_api):
    response = admin_api.post("/cases", {"subject": "Printer on fire"})
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert number == "CS-1"
    assert admin_api.get(f"/cases/{number}").json()["subject"] == "Printer on fire"


def test_make_case_numbers_sequentially(tenant):
    assert [make_case(tenant).number for _ in range(3)] == [1, 2, 3]
