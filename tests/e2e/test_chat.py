"""Live chat in two browsers: a visitor on a shop's page that embeds the widget with the real
`<script src>` tag (the page served from another origin, under a Content-Security-Policy that
allows casedesk only in `script-src` and `frame-src`), and an agent in the console's dock.

On SQLite there is no LISTEN/NOTIFY: the visitor's live stream answers what is new and ends
(short polling), or the widget polls `events?after=`; both are what these tests drive. The
PostgreSQL path is the live helper's tests."""

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from casedesk.cases.models import Case
from casedesk.chat import services
from casedesk.chat.models import Chat, ChatEvent, ChatState
from casedesk.core import clock
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_create, article_publish
from casedesk.tenancy.models import Membership, Tenant
from tests.e2e.conftest import LogIn, Settle
from tests.servers import free_port

pytestmark = pytest.mark.e2e

QUESTION = "How do I reset my password?"
SLOW = 20_000  # ms: what crosses from one browser to the other through polls


class HostSite:
    """The tenant's own site: one page with the widget's tag, on its own origin."""

    def __init__(self, casedesk: str, slug: str, extra: str = "") -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        page = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Acme shop</title></head><body><h1>Acme shop</h1>"
            f"<p>Everything for your desk.</p>{extra}"
            f'<script src="{casedesk}/chat/{slug}/widget.js" async></script>'
            f"</body></html>"
        ).encode()
        # The site's own policy: nothing inline, casedesk only as a script and a frame.
        policy = (
            f"default-src 'self'; script-src 'self' {casedesk}; "
            f"frame-src {casedesk}; style-src 'self'; img-src 'self'"
        )

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", policy)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host_site(live_server: Any, tenant: Tenant) -> Iterator[HostSite]:
    site = HostSite(live_server.url, tenant.slug)
    services.chat_settings_update(
        tenant=tenant,
        actor=None,
        now=clock.now(),
        changes={"enabled": True, "allowed_origins": [site.origin]},
    )
    yield site
    site.close()


@pytest.fixture
def reset_article(tenant: Tenant) -> Any:
    article = article_create(
        tenant=tenant,
        author=None,
        title="Reset your password",
        summary="Forgot your password? Reset it from the sign-in page.",
        body="Choose **Forgot password** on the sign-in page and follow the link we mail you "
        "to reset your password.",
        visibility="public",
        now=clock.now(),
    )
    article_publish(article=article, actor=None, now=clock.now())
    return article


def open_widget(page: Page, site: HostSite) -> FrameLocator:
    page.goto(site.origin + "/")
    launcher = page.locator("#casedesk-chat-launcher")
    expect(launcher).to_have_text("Chat with us")
    launcher.click()
    expect(page.locator("#casedesk-chat-frame")).to_be_visible()
    return page.frame_locator("#casedesk-chat-frame")


def start_chat(widget: FrameLocator, question: str = QUESTION) -> None:
    widget.get_by_label("Your question").fill(question)
    widget.get_by_label("Your name").fill("Vera Visitor")
    widget.get_by_label("Your email").fill("vera@customer.test")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("#chat-room")).to_be_visible()


def go_available(page: Page, settle: Settle) -> None:
    settle(page)
    switch = page.locator("#chat-dock [data-chat-available]")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(page.locator("#chat-dock [data-chat-available]")).to_have_attribute(
        "aria-checked", "true"
    )


def visitor_bubbles(widget: FrameLocator, text: str) -> Any:
    return widget.locator("#chat-transcript [data-testid=chat-message]").filter(has_text=text)


def dock_window(page: Page, chat: Chat) -> Any:
    return page.locator(f'#chat-dock [data-chat="{chat.public_id}"]')


def agent_send(window: Any, text: str) -> None:
    box = window.locator("[data-composer-text]")
    box.fill(text)
    box.press("Enter")


def test_visitor_and_agent_chat_through_a_dropped_network_and_the_case_keeps_it(
    page: Page,
    second_page: Callable[[], Page],
    live_server: Any,
    log_in: LogIn,
    settle: Settle,
    tenant: Tenant,
    agent_in_support: Membership,
    host_site: HostSite,
    reset_article: Any,
) -> None:
    agent_page = log_in(second_page(), agent_in_support)
    go_available(agent_page, settle)

    widget = open_widget(page, host_site)
    # While the question is typed, the help centre's article is offered.
    widget.get_by_label("Your question").press_sequentially("reset my password", delay=20)
    suggestion = widget.get_by_test_id("chat-suggestion")
    expect(suggestion).to_contain_text("Reset your password")
    start_chat(widget)
    expect(widget.locator("#chat-status")).to_have_text("Waiting for an agent…")
    expect(widget.locator("#chat-message")).to_be_focused()
    chat = Chat.objects.get(tenant=tenant)
    assert chat.case is not None and chat.page_url == host_site.origin + "/"

    # The agent is offered the chat, with the visitor's question, and takes it.
    offer = agent_page.locator("#chat-dock [data-testid=chat-offer]")
    expect(offer).to_contain_text("Vera Visitor", timeout=SLOW)
    expect(offer).to_contain_text(QUESTION)
    offer.locator("[data-offer-accept]").click()
    window = dock_window(agent_page, chat)
    expect(window).to_be_visible()
    expect(widget.locator("#chat-status")).to_have_text(
        "You are chatting with Alice Agent.", timeout=SLOW
    )

    # Messages both ways, typing both ways, and read state.
    agent_send(window, "Hi Vera, I can help with that.")
    expect(visitor_bubbles(widget, "Hi Vera, I can help with that.")).to_have_count(1, timeout=SLOW)
    widget.locator("#chat-message").press_sequentially("The reset mail", delay=30)
    expect(window.locator("[data-typing]")).to_be_visible(timeout=SLOW)
    widget.locator("#chat-message").press_sequentially(" never arrives.", delay=10)
    widget.locator("#chat-message").press("Enter")
    expect(window.locator("[data-transcript]")).to_contain_text(
        "The reset mail never arrives.", timeout=SLOW
    )
    window.locator("[data-composer-text]").press_sequentially("Let me check", delay=30)
    expect(widget.locator("#chat-typing")).to_have_text("Alice Agent is typing…", timeout=SLOW)
    window.locator("[data-composer-text]").fill("")
    expect(
        visitor_bubbles(widget, "The reset mail never arrives.").get_by_test_id("chat-seen")
    ).to_be_visible(timeout=SLOW)

    # The visitor's network drops: the agent writes meanwhile, the visitor types a message,
    # which waits as "sending"; back online, both arrive, once each, in order.
    page.context.set_offline(True)
    agent_send(window, "Could you check your spam folder?")
    expect(window.locator("[data-transcript]")).to_contain_text("Could you check your spam folder?")
    widget.locator("#chat-message").fill("Sorry, my wifi dropped")
    widget.locator("#chat-message").press("Enter")
    sending = visitor_bubbles(widget, "Sorry, my wifi dropped")
    expect(sending).to_have_class(re.compile("is-sending"))
    page.wait_for_timeout(3000)  # several failed tries and polls while offline
    page.context.set_offline(False)
    expect(visitor_bubbles(widget, "Could you check your spam folder?")).to_have_count(
        1, timeout=SLOW
    )
    expect(sending).not_to_have_class(re.compile("is-sending"), timeout=SLOW)
    expect(
        window.locator("[data-transcript] li.ev-message").filter(has_text="Sorry, my wifi dropped")
    ).to_have_count(1, timeout=SLOW)
    expect(visitor_bubbles(widget, "Sorry, my wifi dropped")).to_have_count(1)
    texts = widget.locator("#chat-transcript [data-testid=chat-message] .cw-msg-body")
    shown = [t.strip() for t in texts.all_inner_texts()]
    assert shown == [
        QUESTION,
        "Hi Vera, I can help with that.",
        "The reset mail never arrives.",
        "Could you check your spam folder?",
        "Sorry, my wifi dropped",
    ]
    assert ChatEvent.objects.filter(chat=chat, body="Sorry, my wifi dropped").count() == 1

    # A reload of the shop's page continues the chat from the frame's storage.
    page.reload()
    widget = page.frame_locator("#casedesk-chat-frame")
    expect(page.locator("#casedesk-chat-frame")).to_be_visible(timeout=SLOW)
    expect(visitor_bubbles(widget, "Sorry, my wifi dropped")).to_have_count(1)

    # The visitor ends the chat; the transcript is the case's timeline.
    widget.get_by_role("button", name="End chat").click()
    expect(widget.locator("#chat-notice")).to_contain_text("This chat has ended.")
    chat.refresh_from_db()
    assert chat.state == ChatState.ENDED
    case = Case.objects.get(pk=chat.case_id)
    assert case.source == "chat" and case.owner_id == agent_in_support.user_id
    agent_page.goto(f"{live_server.url}/cases/{case.display_number}")
    timeline = agent_page.get_by_test_id("timeline")
    for said in (
        "Hi Vera, I can help with that.",
        "The reset mail never arrives.",
        "Could you check your spam folder?",
        "Sorry, my wifi dropped",
    ):
        expect(timeline).to_contain_text(said)


def test_an_article_that_answers_it_starts_no_chat(
    page: Page, tenant: Tenant, host_site: HostSite, reset_article: Any
) -> None:
    widget = open_widget(page, host_site)
    widget.get_by_label("Your question").press_sequentially("forgot password", delay=20)
    widget.get_by_test_id("chat-suggestion").click()
    expect(widget.get_by_role("heading", name="Reset your password")).to_be_visible()
    link = widget.get_by_role("link", name=re.compile("Read the whole article"))
    expect(link).to_have_attribute("href", f"/portal/{tenant.slug}/kb/{reset_article.slug}")
    expect(link).to_have_attribute("target", "_blank")
    widget.get_by_role("button", name="This answered my question").click()
    expect(widget.get_by_role("heading", name="Glad that helped!")).to_be_visible()
    assert not Chat.objects.exists()
    kinds = set(KbEvent.objects.filter(tenant=tenant).values_list("kind", flat=True))
    assert {KbEventKind.VIEW, KbEventKind.SELF_SERVICE_DEFLECTION} <= kinds


def test_the_chatbot_answers_and_yes_ends_it_as_deflected(
    page: Page, tenant: Tenant, host_site: HostSite, reset_article: Any
) -> None:
    services.chat_settings_update(
        tenant=tenant,
        actor=None,
        now=clock.now(),
        changes={"bot_enabled": True, "bot_min_score": 50},
    )
    widget = open_widget(page, host_site)
    start_chat(widget, "I forgot my password, how do I reset it?")
    card = widget.get_by_test_id("chat-bot-card")
    expect(card).to_contain_text("Reset your password")
    expect(card).to_contain_text("Did this solve it?")
    expect(widget.locator("#chat-message")).to_be_disabled()
    card.get_by_role("button", name="Yes, thanks").click()
    expect(widget.locator("#chat-status")).to_have_text("Glad that helped!")
    expect(widget.locator("#chat-composer")).to_be_hidden()
    chat = Chat.objects.get(tenant=tenant)
    assert chat.state == ChatState.DEFLECTED and chat.case_id is None


def test_nobody_available_tells_the_visitor_and_makes_a_case(
    page: Page, tenant: Tenant, host_site: HostSite, agent_in_support: Membership
) -> None:
    widget = open_widget(page, host_site)
    start_chat(widget, "My invoice total looks wrong")
    notice = widget.locator("#chat-notice")
    expect(notice).to_contain_text("Nobody is available to chat right now.")
    expect(notice).to_contain_text("We will answer by email at vera@customer.test.")
    expect(widget.locator("#chat-transcript")).to_contain_text(
        "We will write to vera@customer.test."
    )
    expect(widget.get_by_role("button", name="Start a new chat")).to_be_visible()
    chat = Chat.objects.get(tenant=tenant)
    assert chat.state == ChatState.MISSED
    case = Case.objects.get(pk=chat.case_id)
    assert case.source == "chat" and case.owner_id is None
    assert case.description == "My invoice total looks wrong"


def test_html_typed_in_the_chat_shows_as_text_on_both_sides(
    page: Page,
    second_page: Callable[[], Page],
    log_in: LogIn,
    settle: Settle,
    tenant: Tenant,
    agent_in_support: Membership,
    host_site: HostSite,
) -> None:
    agent_page = log_in(second_page(), agent_in_support)
    go_available(agent_page, settle)
    widget = open_widget(page, host_site)
    start_chat(widget, "Question about <b>my</b> order")
    offer = agent_page.locator("#chat-dock [data-testid=chat-offer]")
    expect(offer).to_contain_text("Vera Visitor", timeout=SLOW)
    offer.locator("[data-offer-accept]").click()
    chat = Chat.objects.get(tenant=tenant)
    window = dock_window(agent_page, chat)
    expect(widget.locator("#chat-status")).to_contain_text("Alice Agent", timeout=SLOW)

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    agent_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # Text with HTML's special characters shows exactly as typed on both sides (innerHTML
    # would have turned the entity names into angle brackets).
    literal = "I <3 it & 2 > 1 &lt;i&gt;not italic&lt;/i&gt;"
    widget.locator("#chat-message").fill(literal)
    widget.locator("#chat-message").press("Enter")
    expect(visitor_bubbles(widget, "not italic").locator(".cw-msg-body")).to_have_text(
        literal, timeout=SLOW
    )
    agent_line = window.locator("[data-transcript] li.ev-message").filter(has_text="not italic")
    expect(agent_line.locator(".ev-body")).to_have_text(literal, timeout=SLOW)

    # Markup is taken out before it is stored: no element of it reaches either page.
    widget.locator("#chat-message").fill("<img src=x onerror=alert(1)><b>bold</b> text")
    widget.locator("#chat-message").press("Enter")
    bubble = visitor_bubbles(widget, "bold text")
    expect(bubble.locator(".cw-msg-body")).to_have_text("bold text", timeout=SLOW)
    assert bubble.locator("img, b").count() == 0
    agent_line = window.locator("[data-transcript] li.ev-message").filter(has_text="bold text")
    expect(agent_line.locator(".ev-body")).to_have_text("bold text", timeout=SLOW)
    assert agent_line.locator("img, b").count() == 0

    agent_send(window, "Sure &amp; 1 < 2 &lt;u&gt;")
    expect(visitor_bubbles(widget, "Sure").locator(".cw-msg-body")).to_have_text(
        "Sure &amp; 1 < 2 &lt;u&gt;", timeout=SLOW
    )
    agent_send(window, "<script>alert(2)</script><u>underlined</u>")
    reply = visitor_bubbles(widget, "underlined")
    expect(reply.locator(".cw-msg-body")).to_have_text("underlined", timeout=SLOW)
    assert reply.locator("script, u").count() == 0
    assert dialogs == []


def test_a_site_not_on_the_list_cannot_show_the_widget(
    page: Page, live_server: Any, tenant: Tenant, host_site: HostSite, csp_violations: list[str]
) -> None:
    frame_url = f"{live_server.url}/chat/{tenant.slug}/frame"
    stranger = HostSite(
        live_server.url,
        tenant.slug,
        extra=f'<iframe id="copied" title="copied" src="{frame_url}"></iframe>',
    )
    try:
        warnings: list[str] = []
        page.on("console", lambda message: warnings.append(message.text))
        page.goto(stranger.origin + "/")
        page.wait_for_load_state("load")
        # The loader stays off on a site that is not listed, and says why in the console.
        page.wait_for_function("() => document.querySelector('#copied') !== null")
        expect(page.locator("#casedesk-chat-launcher")).to_have_count(0)
        assert any("not among the sites allowed" in text for text in warnings)
        # A frame copied onto the page is refused by its frame-ancestors: nothing shows.
        copied = page.frame_locator("#copied")
        page.wait_for_timeout(1000)
        expect(copied.locator("#chat-widget")).to_have_count(0)
        refused = [v for v in csp_violations if "frame-ancestors" in v]
        assert refused, csp_violations
        # That refusal is the point of this test, not a fault of casedesk's pages.
        csp_violations[:] = [v for v in csp_violations if "frame-ancestors" not in v]
    finally:
        stranger.close()


def test_members_try_the_widget_on_casedesks_own_page(
    page: Page,
    live_server: Any,
    log_in: LogIn,
    tenant: Tenant,
    agent: Membership,
    host_site: HostSite,
) -> None:
    log_in(page, agent)
    page.goto(f"{live_server.url}/chat/{tenant.slug}/try")
    page.locator("#casedesk-chat-launcher").click()
    widget = page.frame_locator("#casedesk-chat-frame")
    expect(widget.locator("#chat-greeting")).to_have_text("Hi! How can we help you today?")
    expect(widget.get_by_label("Your question")).to_be_visible()


def test_a_file_goes_both_ways_as_a_link(
    page: Page,
    second_page: Callable[[], Page],
    live_server: Any,
    log_in: LogIn,
    settle: Settle,
    tenant: Tenant,
    agent_in_support: Membership,
    host_site: HostSite,
) -> None:
    agent_page = log_in(second_page(), agent_in_support)
    go_available(agent_page, settle)
    widget = open_widget(page, host_site)
    start_chat(widget, "The export looks broken")
    offer = agent_page.locator("#chat-dock [data-testid=chat-offer]")
    offer.locator("[data-offer-accept]").click(timeout=SLOW)
    expect(widget.locator("#chat-status")).to_contain_text("Alice Agent", timeout=SLOW)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    widget.locator("#chat-file").set_input_files(
        files=[{"name": "screen.png", "mimeType": "image/png", "buffer": png}]
    )
    link = widget.locator("#chat-transcript a.cw-file-link")
    expect(link).to_have_text("screen.png", timeout=SLOW)
    expect(link).to_have_attribute("href", re.compile(r"/files/\d+\?token="))
    chat = Chat.objects.get(tenant=tenant)
    expect(dock_window(agent_page, chat).locator("[data-chat-file]")).to_have_text(
        "screen.png", timeout=SLOW
    )
    downloaded = page.request.get(live_server.url + str(link.get_attribute("href")))
    assert downloaded.ok and downloaded.body() == png
    window = dock_window(agent_page, chat)
    window.locator("[data-composer-file]").set_input_files(
        files=[{"name": "fixed.png", "mimeType": "image/png", "buffer": png}]
    )
    window.locator("[data-composer-send]").click()
    expect(
        widget.locator("#chat-transcript a.cw-file-link").filter(has_text="fixed.png")
    ).to_be_visible(timeout=SLOW)
