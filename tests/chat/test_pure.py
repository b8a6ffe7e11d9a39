"""The chat's pure decisions: plain text, the chatbot's score, the next agent, tokens."""

import pytest

from casedesk.chat import bot
from casedesk.chat.offers import ChatAgent, next_agent
from casedesk.chat.text import plain
from casedesk.routing.models import Strategy


@pytest.mark.parametrize(("typed", "kept"), [
    ("Hello <b>there</b>", "Hello there"),
    ("<script>alert(1)</script>Hi", "Hi"),
    ("<img src=x onerror=alert(1)>ok", "ok"),
    ("x < 3 and y > 2", "x < 3 and y > 2"),
    ("a &amp; b", "a &amp; b"),
    ("<p>one</p><p>two</p>", "one\ntwo"),
    ("tab\tand\x00null\x07bell", "tab\tandnullbell"),
    ("  spaced  \r\n\r\n\r\n\r\nout ", "spaced  \n\nout"),
    ("<style>p{}</style><svg><script>x</script></svg>text &lt;b&gt;", "text"),
])
def test_plain_text_keeps_words_and_drops_markup(typed: str, kept: str) -> None:
    assert plain(typed) == kept


def test_plain_text_never_returns_a_tag() -> None:
    for nasty in ("<<script>script>alert(1)<</script>/script>",
                  "<a href='javascript:x'>link</a>", "<iframe src=//evil></iframe>after"):
        assert "<script" not in plain(nasty).lower()
        assert "<a " not in plain(nasty)
        assert "<iframe" not in plain(nasty)


def test_bot_scores_coverage_of_the_question() -> None:
    question = "How do I reset my password?"
    assert bot.match_score(question, "Reset your password", "") == 100.0
    assert bot.match_score(question, "Account settings", "To reset a password, open…") == 60.0
    assert bot.match_score(question, "Invoices", "Download invoices") == 0.0
    # One telling word is not enough to answer on.
    assert bot.match_score("password?", "Password", "") == 0.0


def test_bot_folds_plurals_and_case() -> None:
    assert bot.match_score("Refund for invoices", "INVOICE refunds", "") == 100.0
    assert bot.telling_words("Where are my Invoices and invoice copies?") == [
        "invoice", "copy"]


def test_bot_answers_only_above_the_minimum() -> None:
    candidates = [bot.Candidate(1, "Invoices", "download"),
                  bot.Candidate(2, "Reset your password", "steps")]
    assert bot.best_answer("reset password please", candidates, 60) == (2, 100.0)
    assert bot.best_answer("export invoice totals", candidates, 60) is None
    assert bot.best_answer("reset password", [], 0) is None


def _agents(*loads: int, available: bool = True) -> list[ChatAgent]:
    return [ChatAgent(user_id=i + 1, active_chats=load, available=available)
            for i, load in enumerate(loads)]


def test_next_agent_fills_the_least_busy_first() -> None:
    choice = next_agent(Strategy.LOAD_BALANCED, _agents(2, 0, 1), chats_per_agent=3)
    assert choice.user_id == 2


def test_next_agent_skips_the_full_and_those_who_passed() -> None:
    agents = _agents(3, 1, 0)
    assert next_agent(Strategy.LOAD_BALANCED, agents, chats_per_agent=3,
                      passed=[3]).user_id == 2
    full = next_agent(Strategy.LOAD_BALANCED, agents, chats_per_agent=3, passed=[2, 3])
    assert full.user_id is None
    assert "capacity" in full.reason
    assert next_agent(Strategy.LOAD_BALANCED, agents, chats_per_agent=3,
                      passed=[1, 2, 3]).user_id is None


def test_next_agent_round_robin_follows_the_rota() -> None:
    agents = _agents(0, 0, 0)
    assert next_agent(Strategy.ROUND_ROBIN, agents, chats_per_agent=2,
                      last_user_id=2).user_id == 3
    assert next_agent(Strategy.ROUND_ROBIN, agents, chats_per_agent=2,
                      last_user_id=3).user_id == 1


def test_next_agent_manual_queue_pushes_to_the_least_busy() -> None:
    assert next_agent(Strategy.MANUAL, _agents(1, 0), chats_per_agent=2).user_id == 2


def test_next_agent_skills_falls_back_to_anyone_free() -> None:
    agents = [ChatAgent(1, 0, True, skills=frozenset({"french"})), ChatAgent(2, 0, True)]
    assert next_agent(Strategy.SKILLS, agents, chats_per_agent=2,
                      required_skills=frozenset({"french"})).user_id == 1
    assert next_agent(Strategy.SKILLS, agents, chats_per_agent=2, passed=[1],
                      required_skills=frozenset({"french"})).user_id == 2
