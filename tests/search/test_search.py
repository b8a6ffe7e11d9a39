"""The search service (search/selectors.py) on the real engines: FTS5 on SQLite, GIN
expression indexes on PostgreSQL."""

from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.cases.services import CustomerMessage, case_add_note, case_customer_reply
from casedesk.crm.models import Account, Contact
from casedesk.kb.services import article_create, article_publish
from casedesk.mail.models import InboundMessage
from casedesk.portal.customers import Customer
from casedesk.routing.models import Queue
from casedesk.search.query import QueryError
from casedesk.search.selectors import PER_SOURCE, Scope, search
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, make_case

pytestmark = pytest.mark.django_db


def numbers(result: Any) -> list[str]:
    return [hit.case.display_number for hit in result.cases]


@pytest.fixture
def me(agent: Membership) -> Scope:
    return Scope.of_member(agent)


@pytest.fixture
def contact(tenant: Tenant) -> Contact:
    account = AccountFactory(tenant=tenant, name="Initech Widgets")
    return ContactFactory(tenant=tenant, name="Joanna Lumbergh", email="jo@initech.example",
                          account=account)


def customer_scope(contact: Contact, *, admin: bool = False) -> Scope:
    return Scope.of_customer(Customer(tenant=contact.tenant, contact=contact,
                                      is_account_admin=admin))


def test_subject_hit_ranks_above_a_note_only_hit(tenant: Tenant, agent: Membership,
                                                 me: Scope) -> None:
    in_note = make_case(tenant, subject="Login trouble")
    case_add_note(case=in_note, actor=agent.user, body="The zeppelin module again.",
                  is_public=False, now=NOW)
    in_subject = make_case(tenant, subject="Zeppelin module fails to start")
    result = search(me, "zeppelin")
    assert numbers(result) == [in_subject.display_number, in_note.display_number]
    assert [hit.matched for hit in result.cases] == ["case", "internal"]


def test_a_note_is_findable_in_its_own_transaction(tenant: Tenant, agent: Membership,
                                                   me: Scope) -> None:
    case = make_case(tenant, subject="Printer")
    assert search(me, "quokka").cases == []
    case_add_note(case=case, actor=agent.user, body="A quokka chewed the cable.",
                  is_public=False, now=NOW)
    result = search(me, "quokka")
    assert numbers(result) == [case.display_number]
    assert "<mark>quokka</mark>" in str(result.cases[0].snippet)


def test_changed_subject_is_reindexed_and_deleted_case_forgotten(tenant: Tenant,
                                                                me: Scope) -> None:
    case = make_case(tenant, subject="Walrus alarm")
    Case.objects.filter(pk=case.pk).update(subject="Narwhal alarm")
    assert search(me, "walrus").cases == []
    assert numbers(search(me, "narwhal")) == [case.display_number]
    Case.objects.filter(pk=case.pk).delete()
    assert search(me, "narwhal").cases == []


def test_words_must_all_match_and_phrases_keep_order(tenant: Tenant, me: Scope) -> None:
    both = make_case(tenant, subject="Paper jam in tray two")
    make_case(tenant, subject="Paper order", description="tray is fine, a jam elsewhere")
    assert len(search(me, "paper jam").cases) == 2
    assert numbers(search(me, '"paper jam"')) == [both.display_number]


def test_exclusion_leaves_out(tenant: Tenant, me: Scope) -> None:
    keep = make_case(tenant, subject="Scanner broken")
    make_case(tenant, subject="Scanner toner broken")
    assert numbers(search(me, "scanner -toner")) == [keep.display_number]


def test_status_owner_queue_type_operators(tenant: Tenant, agent: Membership,
                                           agent2: Membership, me: Scope,
                                           support_queue: Queue) -> None:
    mine = make_case(tenant, subject="Gizmo one", owner_id=agent.user_id,
                     queue_id=support_queue.pk, type="Bug")
    theirs = make_case(tenant, subject="Gizmo two", owner_id=agent2.user_id, type="Question")
    nobody = make_case(tenant, subject="Gizmo three")
    Case.objects.filter(pk=theirs.pk).update(status="in_progress")
    # Routing may have filed them: only `mine` stays in the queue.
    Case.objects.filter(pk__in=[theirs.pk, nobody.pk]).update(queue=None)
    Case.objects.filter(pk=mine.pk).update(queue=support_queue)
    assert set(numbers(search(me, "gizmo"))) == {
        mine.display_number, theirs.display_number, nobody.display_number}
    assert numbers(search(me, "gizmo owner:me")) == [mine.display_number]
    assert numbers(search(me, f"gizmo owner:{agent2.user.email}")) == [theirs.display_number]
    assert numbers(search(me, "gizmo owner:none")) == [nobody.display_number]
    assert numbers(search(me, "gizmo status:in_progress")) == [theirs.display_number]
    assert set(numbers(search(me, "gizmo status:unresolved"))) == {
        mine.display_number, theirs.display_number, nobody.display_number}
    assert numbers(search(me, "gizmo status:done")) == []
    assert numbers(search(me, f'gizmo queue:"{support_queue.name.upper()}"')) == [
        mine.display_number]
    assert numbers(search(me, "gizmo type:bug")) == [mine.display_number]
    # Operators alone list the matching cases, newest first.
    assert numbers(search(me, "owner:me")) == [mine.display_number]


def test_unknown_queue_and_member_are_refused(tenant: Tenant, me: Scope) -> None:
    with pytest.raises(QueryError):
        search(me, "queue:Nowhere")
    with pytest.raises(QueryError):
        search(me, "owner:ghost@example.com")


def test_from_finds_notes_mail_and_contact(tenant: Tenant, me: Scope,
                                           contact: Contact) -> None:
    as_contact = make_case(tenant, subject="Billing question", contact_id=contact.pk)
    wrote = make_case(tenant, subject="Billing issue")
    case_customer_reply(case=wrote, message=CustomerMessage(
        body="Any news?", author_email="ann@example.org"), now=NOW)
    mailed = make_case(tenant, subject="Billing thing")
    InboundMessage.objects.create(tenant=tenant, sha256="0" * 64, received_at=NOW, size=10,
                                  raw=b"x", sender="bob@example.net", subject="Billing thing",
                                  case=mailed)
    make_case(tenant, subject="Billing other")
    assert numbers(search(me, "from:jo@initech.example")) == [as_contact.display_number]
    assert numbers(search(me, "billing from:ANN@example.org")) == [wrote.display_number]
    assert numbers(search(me, "from:bob@example.net")) == [mailed.display_number]


def test_case_number_jumps(tenant: Tenant, me: Scope) -> None:
    case = make_case(tenant, subject="Something")
    for text in (f"#{case.number}", case.display_number, f"number:{case.number}"):
        result = search(me, text)
        assert result.jump == case
        assert numbers(result) == [case.display_number]
    assert search(me, "#999999").jump is None


def test_facets_count_the_matches(tenant: Tenant, agent: Membership, me: Scope,
                                  support_queue: Queue) -> None:
    for k in range(3):
        make_case(tenant, subject=f"Sprocket {k}", queue_id=support_queue.pk, type="Bug",
                  owner_id=agent.user_id if k else None)
    other = make_case(tenant, subject="Sprocket x", type="Question")
    Case.objects.filter(tenant=tenant).exclude(pk=other.pk).update(queue=support_queue)
    Case.objects.filter(pk=other.pk).update(queue=None, owner=None)
    facets = search(me, "sprocket").facets
    assert {(v.value, v.count) for v in facets["status"]} == {("new", 4)}
    assert {(v.value, v.count) for v in facets["queue"]} == {(support_queue.name, 3),
                                                              ("none", 1)}
    assert {(v.value, v.count) for v in facets["type"]} == {("Bug", 3), ("Question", 1)}
    assert {(v.value, v.count) for v in facets["owner"]} == {(agent.user.email, 2),
                                                              ("none", 2)}
    chosen = next(v for v in facets["type"] if v.value == "Bug")
    assert len(search(me, f"sprocket {chosen.operator}").cases) == 3


def test_snippet_is_escaped_then_marked(tenant: Tenant, me: Scope) -> None:
    make_case(tenant, subject="Form problem",
              description='<img src=x onerror="alert(1)"> the axolotl <b>field</b>')
    html = str(search(me, "axolotl").cases[0].snippet)
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img" in html and "<mark>axolotl</mark>" in html


def test_internal_notes_never_reach_a_customer(tenant: Tenant, agent: Membership,
                                               contact: Contact) -> None:
    case = make_case(tenant, subject="Router resets", contact_id=contact.pk)
    case_add_note(case=case, actor=agent.user, body="Internal: capybara firmware bug.",
                  is_public=False, now=NOW)
    case_add_note(case=case, actor=agent.user, body="We shipped a platypus fix.",
                  is_public=True, now=NOW)
    customer = customer_scope(contact)
    assert search(customer, "capybara").cases == []
    assert search(customer, "capybara firmware").total == 0
    found = search(customer, "platypus")
    assert numbers(found) == [case.display_number]
    assert "capybara" not in str(found.cases[0].snippet)
    # Their own case's subject, but with the internal word, finds nothing either.
    assert search(customer, "router capybara").cases == []
    assert numbers(search(Scope.of_member(agent), "capybara")) == [case.display_number]


def test_customer_sees_only_own_cases_and_account_admin_the_account(
        tenant: Tenant, contact: Contact) -> None:
    colleague = ContactFactory(tenant=tenant, account=contact.account)
    own = make_case(tenant, subject="Kiwi sync", contact_id=contact.pk)
    theirs = make_case(tenant, subject="Kiwi sync", contact_id=colleague.pk,
                       account_id=contact.account_id)
    stranger = make_case(tenant, subject="Kiwi sync")
    assert numbers(search(customer_scope(contact), "kiwi")) == [own.display_number]
    assert set(numbers(search(customer_scope(contact, admin=True), "kiwi"))) == {
        own.display_number, theirs.display_number}
    assert search(customer_scope(contact), f"#{stranger.number}").jump is None
    with pytest.raises(QueryError):
        search(customer_scope(contact), "kiwi owner:me")


def test_other_tenants_data_never_matches(tenant: Tenant, other_tenant: Tenant,
                                          me: Scope, outsider: Membership) -> None:
    make_case(other_tenant, subject="Mongoose outbreak")
    ContactFactory(tenant=other_tenant, name="Mongoose Person")
    assert search(me, "mongoose").cases == [] and search(me, "mongoose").contacts == []
    assert search(Scope.of_member(outsider), "mongoose").total == 1


def test_contacts_accounts_and_articles_beside_the_cases(tenant: Tenant, admin: Membership,
                                                         me: Scope, contact: Contact) -> None:
    article = article_create(tenant=tenant, author=admin.user, title="Resetting Initech keys",
                             body="Hold the button for ten seconds.", now=NOW)
    article_publish(article=article, actor=admin.user, now=NOW)
    result = search(me, "initech")
    assert result.contacts == [contact]
    assert result.accounts == [Account.objects.get(pk=contact.account_id)]
    assert [a.pk for a in result.articles] == [article.pk]
    assert search(me, "jo@initech.example").contacts == [contact]
    assert search(me, "Lumbergh").contacts == [contact]


@pytest.mark.parametrize("text", [
    "&|!():*'\"\\", "a & b | !c", "NEAR(a b)", "* OR *", "-", '"', "((((", "x" * 499,
    "'; DROP TABLE cases_case; --", "status:open -", "-\"\"", "ünïcödé ñ 中文"])
def test_hostile_text_never_fails(tenant: Tenant, me: Scope, text: str) -> None:
    make_case(tenant, subject="Something")
    search(me, text)


def test_nul_is_refused(me: Scope) -> None:
    with pytest.raises(QueryError.__mro__[1]):  # Invalid
        search(me, "a\x00b")


def test_many_matches_are_capped_and_counted(tenant: Tenant, me: Scope,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("casedesk.search.selectors.PER_SOURCE", 3)
    for k in range(5):
        make_case(tenant, subject=f"Lemur {k}")
    result = search(me, "lemur", limit=2)
    assert result.capped and result.total == 3 and len(result.cases) == 2
    assert PER_SOURCE > 3


class _AllCommon(dict[str, float]):
    def get(self, key: str, default: float | None = None) -> float:  # type: ignore[override]
        return 1.0


@pytest.mark.skipif("not __import__('tests.conftest').conftest.is_postgres()")
def test_common_words_walk_the_newest_rows_then_fall_back(
        tenant: Tenant, agent: Membership, me: Scope, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a query of common words walks the newest rows; too few there, and the GIN
    index answers: both give the same matches, ranked the same way."""
    monkeypatch.setattr("casedesk.search.engines._common_words", lambda: _AllCommon())
    monkeypatch.setattr("casedesk.search.engines.WALK_ROWS", 2)
    old = make_case(tenant, subject="Dingo report")
    case_add_note(case=old, actor=agent.user, body="A dingo in the logs.", is_public=False,
                  now=NOW)
    for k in range(3):
        make_case(tenant, subject=f"Filler {k}")
    assert numbers(search(me, "dingo")) == [old.display_number]  # beyond the walk: GIN
    monkeypatch.setattr("casedesk.search.engines.WALK_ROWS", 10_000)
    monkeypatch.setattr("casedesk.search.engines.MIN_WALK_MATCHES", 1)
    newer = make_case(tenant, subject="Dingo again")
    result = search(me, "dingo")
    # The old case matches in its subject and a note: it outranks the newer one.
    assert numbers(result) == [old.display_number, newer.display_number]
    assert numbers(search(me, '"dingo report"')) == [old.display_number]
