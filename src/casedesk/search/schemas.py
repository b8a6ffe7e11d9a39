"""The search API's output (names prefixed `Search`: schema names are global in the spec)."""

from datetime import datetime

from ninja import Field, Schema


class SearchCaseOut(Schema):
    number: str = Field(description="The case's number as shown, e.g. `CS-1042`.")
    subject: str
    status: str
    priority: str
    type: str
    queue: str | None
    owner: str | None = Field(description="The owner's email address.")
    contact: str | None = Field(description="The contact's email address.")
    updated_at: datetime
    score: float = Field(description="Higher is better; compare within one answer.")
    matched: str = Field(description=(
        "Where the best match was: `case` (subject or description), `reply`, `internal` "
        "(an internal note), `mail_in`, `mail_out`, `number`, or `filter` (operators only)."))
    snippet: str = Field(description=(
        "HTML: the matched text around the first match, escaped, the query's words in "
        "`<mark>`."))


class SearchFacetOut(Schema):
    value: str
    label: str
    count: int
    operator: str = Field(description="What to add to `q` to filter by this value.")


class SearchFacetsOut(Schema):
    status: list[SearchFacetOut] = []
    queue: list[SearchFacetOut] = []
    owner: list[SearchFacetOut] = []
    type: list[SearchFacetOut] = []


class SearchContactOut(Schema):
    id: int
    name: str
    email: str


class SearchAccountOut(Schema):
    id: int
    name: str
    domain: str


class SearchArticleOut(Schema):
    id: int
    title: str
    summary: str


class SearchOut(Schema):
    q: str
    total: int = Field(description="Matching cases counted (a lower bound when `capped`).")
    capped: bool = Field(description="More cases matched than were counted and ranked.")
    jump: str | None = Field(description=(
        "The case the query names by number (`#1042`, `CS-1042`, `number:1042`, or a bare "
        "number), when it exists."))
    cases: list[SearchCaseOut]
    facets: SearchFacetsOut
    contacts: list[SearchContactOut]
    accounts: list[SearchAccountOut]
    articles: list[SearchArticleOut]
