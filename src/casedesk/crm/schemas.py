"""API schemas for accounts, contacts and deals."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from casedesk.core.schemas import Email, Id, RequiredText, Text

Short = Annotated[Text, Field(max_length=100)]
# An account's or deal's name: as long as its column (`max_length=200`), not RequiredText's 255.
Name = Annotated[RequiredText, Field(max_length=200)]
Stage = Literal["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=2, ge=0)]


class AccountIn(Schema):
    name: Name
    domain: Annotated[Text, Field(max_length=253)] = ""
    tier: Annotated[Text, Field(max_length=50)] = ""
    segment: Annotated[Text, Field(max_length=50)] = ""
    territory: Short = ""


class AccountPatch(Schema):
    name: Name | None = None
    domain: Annotated[Text, Field(max_length=253)] | None = None
    tier: Annotated[Text, Field(max_length=50)] | None = None
    segment: Annotated[Text, Field(max_length=50)] | None = None
    territory: Short | None = None


class AccountOut(Schema):
    id: int
    name: str
    domain: str
    tier: str
    segment: str
    territory: str
    created_at: datetime
    updated_at: datetime


class ContactIn(Schema):
    email: Email
    name: Annotated[Text, Field(max_length=200)] = ""
    phone: Annotated[Text, Field(max_length=50)] = ""
    account_id: Id | None = None


class ContactPatch(Schema):
    email: Email | None = None
    name: Annotated[Text, Field(max_length=200)] | None = None
    phone: Annotated[Text, Field(max_length=50)] | None = None
    account_id: Id | None = None


class ContactOut(Schema):
    id: int
    email: str
    name: str
    phone: str
    account_id: int | None
    created_at: datetime
    updated_at: datetime


class DealIn(Schema):
    name: Name
    account_id: Id
    stage: Stage = "prospecting"
    amount: Amount | None = None
    close_date: date | None = None


class DealPatch(Schema):
    name: Name | None = None
    account_id: Id | None = None
    stage: Stage | None = None
    amount: Amount | None = None
    close_date: date | None = None


class DealOut(Schema):
    id: int
    name: str
    account_id: int
    stage: Stage
    amount: Decimal | None
    close_date: date | None
    created_at: datetime
    updated_at: datetime


class AccountPage(Schema):
    items: list[AccountOut]
    next_cursor: str | None


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None
