"""API schemas for accounts, contacts and deals."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from casedesk.core.schemas import Email, Id, RequiredText, Text, fits
from casedesk.crm.models import Account, Contact, Deal

Stage = Literal["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
AccountName = Annotated[RequiredText, fits(Account, "name")]
Domain = Annotated[Text, fits(Account, "domain")]
Tier = Annotated[Text, fits(Account, "tier")]
Segment = Annotated[Text, fits(Account, "segment")]
Territory = Annotated[Text, fits(Account, "territory")]
ContactEmail = Annotated[Email, fits(Contact, "email")]
ContactName = Annotated[Text, fits(Contact, "name")]
Phone = Annotated[Text, fits(Contact, "phone")]
DealName = Annotated[RequiredText, fits(Deal, "name")]
Amount = Annotated[Decimal, fits(Deal, "amount", ge=0)]


class AccountIn(Schema):
    name: AccountName
    domain: Domain = ""
    tier: Tier = ""
    segment: Segment = ""
    territory: Territory = ""


class AccountPatch(Schema):
    name: AccountName | None = None
    domain: Domain | None = None
    tier: Tier | None = None
    segment: Segment | None = None
    territory: Territory | None = None


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
    email: ContactEmail
    name: ContactName = ""
    phone: Phone = ""
    account_id: Id | None = None
    is_portal_admin: bool = Field(False, description=(
        "Sees all of the account's cases in the customers' portal, not only their own."))


class ContactPatch(Schema):
    email: ContactEmail | None = None
    name: ContactName | None = None
    phone: Phone | None = None
    account_id: Id | None = None
    is_portal_admin: bool | None = None


class ContactOut(Schema):
    id: int
    email: str
    name: str
    phone: str
    account_id: int | None
    is_portal_admin: bool
    last_portal_visit_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DealIn(Schema):
    name: DealName
    account_id: Id
    stage: Stage = "prospecting"
    amount: Amount | None = None
    close_date: date | None = None


class DealPatch(Schema):
    name: DealName | None = None
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
