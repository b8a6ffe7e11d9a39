"""The tenant's counted words behind typo correction, idf and the rerank of suggestions: roots,
corrections, the per-process cache and how it follows changes made here and elsewhere."""

from datetime import timedelta

import pytest

from casedesk.kb import vocabulary as vocabularies
from casedesk.kb.index import index_article
from casedesk.kb.models import Article
from casedesk.kb.vocabulary import Vocabulary, root, vocabulary
from casedesk.tenancy.models import Tenant
from tests.kb.search_corpus import CORPUS, WHEN, Doc, add_article, load_corpus


@pytest.mark.parametrize(("words", "same"), [
    (["invoice", "invoices", "invoiced", "invoicing"], True),
    (["setting", "settings", "set"], True),
    (["ship", "ships", "shipped", "shipping"], True),
    (["copy", "copies", "copied"], True),
    (["address", "addresses"], True),
    (["update", "updates", "updated", "updating"], True),
    (["access", "status", "business"], False),  # no "s" taken off: "acces", "statu"
    (["invoice", "voice"], False),
])
def test_roots_group_the_forms_of_a_word(words: list[str], same: bool) -> None:
    assert (len({root(word) for word in words}) == 1) is same


def test_short_words_and_words_with_digits_are_their_own_root() -> None:
    assert root("api") == "api"
    assert root("w9308") == "w9308"
    assert root("2fa") == "2fa"


def _vocabulary(*texts: str) -> Vocabulary:
    counted = Vocabulary(stamp=None)
    counted.add((text, "", "", "", "en") for text in texts)
    return counted


def test_a_typo_is_corrected_to_the_closest_word_and_the_commoner_of_two() -> None:
    counted = _vocabulary("password reset", "password change", "passport photo",
                          "invoice copy")
    assert counted.corrected("pasword") == "password"
    assert counted.corrected("invocie") == "invoice"
    # "passwrd" is as close to nothing else; "pasport" is closer to the rarer "passport".
    assert counted.corrected("pasport") == "passport"
    assert counted.df("password") == 2 and counted.df("passwords") == 2


def test_known_words_short_words_and_codes_are_not_corrected() -> None:
    counted = _vocabulary("Resetting the router", "Error E1234")
    assert counted.corrected("resets") == "resets"  # the root is known: not a typo
    assert counted.corrected("rooter") == "router"
    assert counted.corrected("eror") == "error"
    assert counted.corrected("err") == "err"  # too short to tell
    assert counted.corrected("e1243") == "e1243"
    assert counted.corrected("zzzzzz") == "zzzzzz"


def test_idf_is_higher_for_rarer_words() -> None:
    counted = _vocabulary("printer offline", "printer jam", "printer toner", "vpn offline")
    assert counted.idf("vpn") > counted.idf("offline") > counted.idf("printer") > 0


def test_the_score_weighs_the_title_above_the_body() -> None:
    counted = _vocabulary("a b c", "d e f")
    terms = {root("invoice"): 1.0}
    in_title = counted.score(terms, {"title": "Invoice copies", "body": "Billing words here"})
    in_body = counted.score(terms, {"title": "Billing words", "body": "Invoice copies here"})
    assert in_title > in_body > 0
    assert counted.score(terms, {"title": "Nothing", "body": "at all"}) == 0


@pytest.mark.django_db
def test_the_vocabulary_is_the_tenants_own(tenant: Tenant, other_tenant: Tenant) -> None:
    load_corpus(tenant)
    add_article(other_tenant, Doc("vault", "Globex vault", "Secret", "zanzibar quokka"))
    ours, theirs = vocabulary(tenant.pk), vocabulary(other_tenant.pk)
    assert ours.articles == len(CORPUS) and theirs.articles == 1
    assert not ours.knows("zanzibar") and theirs.knows("zanzibar")
    assert ours.corrected("zanzibr") == "zanzibr"
    assert ours.languages == {"en"}


@pytest.mark.django_db
def test_it_is_kept_until_an_article_changes_here(tenant: Tenant) -> None:
    articles = load_corpus(tenant)
    first = vocabulary(tenant.pk)
    assert vocabulary(tenant.pk) is first
    article = articles["mobile-app"]
    article.body += " Tablets work as well."
    article.save()
    index_article(article)  # a write here: the next use counts afresh
    second = vocabulary(tenant.pk)
    assert second is not first and second.knows("tablets") and not first.knows("tablets")


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_read_by_its_stamp(tenant: Tenant) -> None:
    load_corpus(tenant)
    held = vocabulary(tenant.pk)
    # Another process adds an article: this one only sees the later `updated_at`.
    added = add_article(tenant, Doc("fax", "Sending a fax", "Faxes", "Use the fax gateway."))
    Article.objects.filter(pk=added.pk).update(updated_at=WHEN + timedelta(hours=1))
    vocabularies._vocabularies[tenant.pk] = held  # as if the write happened elsewhere
    refreshed = vocabulary(tenant.pk)
    assert refreshed is not held and refreshed.knows("gateway")
    assert refreshed.articles == len(CORPUS) + 1 and refreshed.added == 1
    assert not held.knows("gateway")  # a vocabulary handed out never changes


@pytest.mark.django_db
def test_only_the_tenants_used_last_are_kept(tenant: Tenant, other_tenant: Tenant,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocabularies, "MAX_TENANTS", 1)
    vocabulary(tenant.pk)
    vocabulary(other_tenant.pk)
    assert list(vocabularies._vocabularies) == [other_tenant.pk]
