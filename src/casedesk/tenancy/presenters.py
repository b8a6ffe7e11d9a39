"""How the API shows a person (an agent, an author, an owner): one shape for every app."""

from typing import Any

from ninja import Schema

from casedesk.tenancy.models import User


class PersonOut(Schema):
    id: int
    name: str
    email: str


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name, "email": user.email}
