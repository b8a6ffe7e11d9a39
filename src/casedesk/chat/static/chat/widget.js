/* casedesk live chat: the widget inside its frame (chat/widget_frame.html).

   Before a chat: while the question is typed, public articles are suggested; one opened is
   recorded as a self-service read, and "This answered my question" ends everything there.
   "Start chat" makes the chat; its id and token stay in this frame's localStorage (no
   cookie: a third-party frame gets none), so a reload continues it.

   In the chat: events come from the live server (EventSource; the `id:` of each is its seq)
   or, when that keeps failing, from polling `events?after=`. Either way they are kept by
   seq: shown once, in seq order. A message is shown at once as "sending" and posted until
   the server has it (its client_id makes a repeat harmless), one at a time, in order, also
   across a reload. Every text is set with textContent: HTML a person typed shows as typed. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var base = config.base;
  var STORE = "casedesk-chat:" + config.slug;
  var VISITOR = "casedesk-chat-visitor";
  var POLL_MS = 1500;
  var WAITING_POLL_MS = 5000;
  var SYNC_POLL_MS = 10000;
  var TYPING_EVERY_MS = 2000;
  var TYPING_HOLD_MS = 6000;
  var SUGGEST_DELAY_MS = 300;
  var STREAM_FAILURES = 3;
  var STREAM_RETRY_MS = 30000;
  var OPEN_STATES = ["bot", "waiting", "active"];

  function $(id) { return document.getElementById(id); }

  var ui = {
    widget: $("chat-widget"), status: $("chat-status"), close: $("chat-close"),
    intro: $("chat-intro"), startForm: $("chat-start-form"), question: $("chat-question"),
    name: $("chat-name"), email: $("chat-email"), startError: $("chat-start-error"),
    startButton: $("chat-start"), suggestions: $("chat-suggestions"),
    suggestionList: $("chat-suggestion-list"),
    article: $("chat-article"), articleTitle: $("chat-article-title"),
    articleSummary: $("chat-article-summary"), articleLink: $("chat-article-link"),
    articleBack: $("chat-article-back"), deflect: $("chat-deflect"),
    articleChat: $("chat-article-chat"),
    thanks: $("chat-thanks"), thanksTitle: $("chat-thanks-title"),
    thanksNew: $("chat-thanks-new"),
    room: $("chat-room"), transcript: $("chat-transcript"), typing: $("chat-typing"),
    notice: $("chat-notice"), noticeText: $("chat-notice-text"), newChat: $("chat-new"),
    composer: $("chat-composer"), message: $("chat-message"), file: $("chat-file"),
    send: $("chat-send"), end: $("chat-end")
  };

  // --- the page around the frame ---------------------------------------------------------------

  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var hostOrigin = fragment.get("host") || "*";
  var pageUrl = fragment.get("page") || "";
  var embedded = window.parent !== window;
  var shown = !embedded;

  function tellHost(what, extra) {
    if (!embedded) { return; }
    var message = {casedeskChat: what};
    Object.keys(extra || {}).forEach(function (key) { message[key] = extra[key]; });
    try {
      window.parent.postMessage(message, hostOrigin);
    } catch (error) {
      window.parent.postMessage(message, "*");
    }
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) { return; }
    var what = event.data && event.data.casedeskChat;
    if (what === "shown") {
      shown = true;
      unread = 0;
      focusFirst();
      markRead();
    } else if (what === "hidden") {
      shown = false;
    }
  });
  if (embedded) { ui.close.hidden = false; }
  ui.close.addEventListener("click", function () { tellHost("close"); });

  // --- small helpers ---------------------------------------------------------------------------

  function load(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function save(key, value) {
    try {
      if (value === null) { window.localStorage.removeItem(key); }
      else { window.localStorage.setItem(key, JSON.stringify(value)); }
    } catch (e) { /* storage refused: the chat still works until a reload */ }
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return hex(bytes);
  }

  function visitorKey() {
    var key = load(VISITOR);
    if (typeof key === "string" && /^[0-9a-f]{32}$/.test(key)) { return key; }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    key = hex(bytes);
    save(VISITOR, key);
    return key;
  }

  function sleep(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function clock(iso) {
    if (!iso) { return ""; }
    var at = new Date(iso);
    return isNaN(at) ? "" : at.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  }

  /* One request to casedesk: JSON in and out, the chat's token when there is one, never a
     cookie. Resolves with {status, data, retryAfter}; status 0 is "the network failed". */
  function call(method, path, body, options) {
    options = options || {};
    var headers = {};
    var payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    if (options.token) { headers["X-Chat-Token"] = options.token; }
    return window.fetch(base + path, {
      method: method, headers: headers, body: payload, credentials: "omit", cache: "no-store"
    }).then(function (response) {
      var retryAfter = parseInt(response.headers.get("Retry-After") || "", 10);
      if (response.status === 204) {
        return {status: 204, data: null, retryAfter: retryAfter};
      }
      return response.json().catch(function () { return null; }).then(function (data) {
        return {status: response.status, data: data, retryAfter: retryAfter};
      });
    }, function () {
      return {status: 0, data: null, retryAfter: NaN};
    });
  }

  function detail(answer, fallback) {
    return (answer.data && answer.data.detail) || fallback;
  }

  // --- views -----------------------------------------------------------------------------------

  function view(name) {
    ["intro", "article", "thanks", "room"].forEach(function (part) {
      ui[part].hidden = part !== name;
    });
    ui.widget.setAttribute("data-state", name);
  }

  function focusFirst() {
    if (!ui.room.hidden && !ui.composer.hidden && !ui.message.disabled) {
      ui.message.focus();
    } else if (!ui.intro.hidden) {
      ui.question.focus();
    }
  }

  function setStatus(text) { ui.status.textContent = text || ""; }

  // --- before a chat: suggestions, articles, deflection --------------------------------------

  var suggestTimer = null;
  var suggestAsked = 0;
  var openArticle = null;

  function renderSuggestions(articles) {
    ui.suggestionList.textContent = "";
    articles.forEach(function (article) {
      var item = el("li", "cw-suggestion");
      var button = el("button", "cw-suggestion-button");
      button.type = "button";
      button.setAttribute("data-testid", "chat-suggestion");
      button.appendChild(el("span", "cw-suggestion-title", article.title));
      if (article.summary) { button.appendChild(el("span", "cw-suggestion-summary", article.summary)); }
      button.addEventListener("click", function () { showArticle(article); });
      item.appendChild(button);
      ui.suggestionList.appendChild(item);
    });
    ui.suggestions.hidden = articles.length === 0;
  }

  function suggest() {
    var q = ui.question.value.trim();
    var asked = ++suggestAsked;
    if (q.length < config.min_query) {
      renderSuggestions([]);
      return;
    }
    call("GET", "suggest?q=" + encodeURIComponent(q)).then(function (answer) {
      if (asked !== suggestAsked || answer.status !== 200 || !answer.data) { return; }
      renderSuggestions(answer.data.articles || []);
    });
  }

  ui.question.addEventListener("input", function () {
    window.clearTimeout(suggestTimer);
    suggestTimer = window.setTimeout(suggest, SUGGEST_DELAY_MS);
  });

  function showArticle(article) {
    openArticle = article;
    ui.articleTitle.textContent = article.title;
    ui.articleSummary.textContent = article.summary || "";
    ui.articleLink.href = article.url;
    view("article");
    ui.articleTitle.focus();
    call("POST", "articles/" + article.id + "/read", {visitor: visitorKey()});
  }

  ui.articleBack.addEventListener("click", function () { view("intro"); ui.question.focus(); });
  ui.articleChat.addEventListener("click", function () {
    view("intro");
    (ui.name.value ? (ui.email.value ? ui.startButton : ui.email) : ui.name).focus();
  });

  ui.deflect.addEventListener("click", function () {
    if (!openArticle) { return; }
    ui.deflect.disabled = true;
    call("POST", "deflected", {article_id: openArticle.id, visitor: visitorKey()})
      .then(function (answer) {
        ui.deflect.disabled = false;
        if (answer.status === 200) {
          view("thanks");
          ui.thanksTitle.focus();
        }
      });
  });

  ui.thanksNew.addEventListener("click", function () {
    ui.question.value = "";
    renderSuggestions([]);
    view("intro");
    ui.question.focus();
  });

  // --- starting a chat -------------------------------------------------------------------------

  var startClientId = newId();
  var FIELDS = {name: "name", email: "email", message: "question"};

  function startError(text, field) {
    ui.startError.textContent = text;
    ui.startError.hidden = !text;
    ["name", "email", "question"].forEach(function (name) {
      ui[name].removeAttribute("aria-invalid");
    });
    var input = field && ui[FIELDS[field] || field];
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }

  ui.startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var name = ui.name.value.trim();
    var email = ui.email.value.trim();
    var question = ui.question.value.trim();
    if (!question) { return startError("Please write your question.", "message"); }
    if (!name) { return startError("Please tell us your name.", "name"); }
    if (!email) { return startError("Please give your email address.", "email"); }
    startError("");
    ui.startButton.disabled = true;
    call("POST", "start", {
      name: name, email: email, message: question, page_url: pageUrl,
      client_id: startClientId, visitor: visitorKey()
    }).then(function (answer) {
      ui.startButton.disabled = false;
      if (answer.status === 201 && answer.data) {
        startClientId = newId();
        var chat = answer.data.chat;
        chatState = {id: chat.id, token: answer.data.token, email: email, name: name,
                     lastSeq: 0, pending: []};
        save(STORE, chatState);
        enterRoom(chat);
      } else if (answer.status === 0) {
        startError("We could not reach the chat. Check your connection and try again.");
      } else if (answer.status === 429) {
        startError(detail(answer, "Too many chats started lately. Please wait a little."));
      } else {
        startError(detail(answer, "The chat could not start."),
                   answer.data && answer.data.field);
      }
    });
  });

  // --- the chat --------------------------------------------------------------------------------

  var chatState = null;  // {id, token, email, name, lastSeq, pending: [{client_id, body}]}
  var chat = null;  // the chat as the server last showed it
  var handedOver = false;  // a person took over (or was asked to): there is a case
  var seen = {};  // seq -> true: events shown
  var agentReadSeq = 0;
  var readSent = 0;
  var readTimer = null;
  var unread = 0;
  var outbox = [];  // [{client_id, body, file, node}]
  var sending = false;
  var typingSentAt = 0;
  var typingOn = false;
  var typingTimer = null;
  var source = null;
  var streamFailures = 0;
  var streamOpened = false;
  var fellBackAt = 0;
  var pollTimer = null;
  var seenMarker = el("p", "cw-seen", "Seen");
  seenMarker.setAttribute("data-testid", "chat-seen");

  function isOpen() { return chat && OPEN_STATES.indexOf(chat.state) >= 0; }

  function persist() {
    if (!chatState) { return; }
    chatState.pending = outbox.filter(function (item) { return !item.file && !item.failed; })
      .map(function (item) { return {client_id: item.client_id, body: item.body}; });
    save(STORE, chatState);
  }

  function scrollDown() { ui.transcript.scrollTop = ui.transcript.scrollHeight; }

  function place(node, seq) {
    node.setAttribute("data-seq", String(seq));
    var children = ui.transcript.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      if (other === seenMarker) { continue; }
      var at = other.getAttribute("data-seq");
      if (at === null || parseInt(at, 10) > seq) {  // a message still sending, or a later one
        ui.transcript.insertBefore(node, other);
        return;
      }
    }
    ui.transcript.appendChild(node);
  }

  function fileUrl(attachment) {
    return base + "c/" + chatState.id + "/files/" + attachment.id + "?token=" +
      encodeURIComponent(chatState.token);
  }

  function bubble(author, name, body, when) {
    var node = el("div", "cw-msg cw-" + author);
    node.setAttribute("data-testid", "chat-message");
    node.setAttribute("data-author", author);
    if (author !== "visitor" && name) { node.appendChild(el("p", "cw-msg-name", name)); }
    if (body) { node.appendChild(el("p", "cw-msg-body", body)); }
    var meta = el("p", "cw-msg-meta", when);
    node.appendChild(meta);
    return node;
  }

  function renderMessage(event) {
    var node = bubble(event.author, event.author_name, event.body, clock(event.created_at));
    var attachment = event.data && event.data.attachment;
    if (attachment) {
      var link = el("a", "cw-file-link", attachment.name);
      link.href = fileUrl(attachment);
      link.target = "_blank";
      link.rel = "noopener";
      link.setAttribute("download", attachment.name);
      var holder = el("p", "cw-msg-file");
      holder.appendChild(link);
      node.insertBefore(holder, node.lastChild);
    }
    return node;
  }

  function renderArticles(event) {
    var node = el("div", "cw-msg cw-bot cw-card");
    node.setAttribute("data-testid", "chat-bot-card");
    node.appendChild(el("p", "cw-msg-name", event.author_name || "Assistant"));
    if (event.body) { node.appendChild(el("p", "cw-msg-body", event.body)); }
    var list = el("ul", "cw-card-articles");
    ((event.data && event.data.articles) || []).forEach(function (article) {
      var item = el("li");
      var link = el("a", "", article.title);
      link.href = article.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.addEventListener("click", function () {
        call("POST", "articles/" + article.id + "/read", {chat_id: chatState.id},
             {token: chatState.token});
      });
      item.appendChild(link);
      list.appendChild(item);
    });
    node.appendChild(list);
    node.appendChild(el("p", "cw-card-question",
                        (event.data && event.data.question) || "Did this solve it?"));
    var actions = el("div", "cw-actions cw-card-actions");
    [["Yes, thanks", true], ["No, I want to talk to someone", false]].forEach(function (pair) {
      var button = el("button", "cw-button" + (pair[1] ? "" : " cw-secondary"), pair[0]);
      button.type = "button";
      button.setAttribute("data-answer", pair[1] ? "yes" : "no");
      button.addEventListener("click", function () { answerBot(pair[1], actions); });
      actions.appendChild(button);
    });
    node.appendChild(actions);
    return node;
  }

  function answerBot(solved, actions) {
    Array.prototype.forEach.call(actions.querySelectorAll("button"), function (b) {
      b.disabled = true;
    });
    call("POST", "c/" + chatState.id + "/answer", {solved: solved}, {token: chatState.token})
      .then(function (answer) {
        if (answer.status === 200 && answer.data) {
          applyChat(answer.data);
          refresh();
        } else {
          Array.prototype.forEach.call(actions.querySelectorAll("button"), function (b) {
            b.disabled = false;
          });
        }
      });
  }

  function renderState(event) {
    var node = el("p", "cw-system", event.body || "");
    node.setAttribute("data-testid", "chat-state");
    return node;
  }

  function updateSeen() {
    var messages = ui.transcript.querySelectorAll(".cw-visitor[data-seq]");
    var target = null;
    for (var i = 0; i < messages.length; i++) {
      if (parseInt(messages[i].getAttribute("data-seq"), 10) <= agentReadSeq) {
        target = messages[i];
      }
    }
    if (!target) {
      if (seenMarker.parentNode) { seenMarker.parentNode.removeChild(seenMarker); }
      return;
    }
    target.appendChild(seenMarker);
  }

  /* A stored event, from the stream, the poll or a send's answer: shown once, in its place. */
  function take(event) {
    if (!event || typeof event.seq !== "number" || seen[event.seq]) { return false; }
    seen[event.seq] = true;
    if (event.seq > chatState.lastSeq) { chatState.lastSeq = event.seq; }
    if (event.client_id) {
      outbox = outbox.filter(function (item) {
        if (item.client_id !== event.client_id) { return true; }
        if (item.node && item.node.parentNode) { item.node.parentNode.removeChild(item.node); }
        return false;
      });
    }
    var node;
    if (event.kind === "message") { node = renderMessage(event); }
    else if (event.kind === "articles") { node = renderArticles(event); }
    else if (event.kind === "state") {
      node = renderState(event);
      if (event.data && event.data.state) {
        applyChat({state: event.data.state,
                   agent_name: event.data.agent_name || (chat && chat.agent_name) || ""});
      }
    } else { return true; }
    place(node, event.seq);
    if (event.author === "agent") {
      showTyping(false);
      if (!shown) {
        unread += 1;
        tellHost("unread", {count: unread});
      }
    }
    return true;
  }

  function takeAll(events) {
    var changed = false;
    (events || []).slice().sort(function (a, b) { return a.seq - b.seq; })
      .forEach(function (event) { changed = take(event) || changed; });
    if (changed) {
      updateSeen();
      persist();
      scrollDown();
      markRead();
    }
  }

  function applyChat(shownChat) {
    chat = Object.assign({}, chat || {}, shownChat);
    if (typeof shownChat.agent_read_seq === "number" && shownChat.agent_read_seq > agentReadSeq) {
      agentReadSeq = shownChat.agent_read_seq;
      updateSeen();
    }
    var state = chat.state;
    if (state === "waiting" || state === "active") { handedOver = true; }
    var email = chatState ? chatState.email : "";
    var ended = OPEN_STATES.indexOf(state) < 0;
    ui.composer.hidden = ended;
    ui.message.disabled = state === "bot";
    ui.send.disabled = state === "bot";
    ui.file.disabled = state === "bot";
    ui.newChat.hidden = !ended;
    var notice = "";
    if (state === "bot") {
      setStatus("Our assistant found an article for you.");
    } else if (state === "waiting") {
      setStatus("Waiting for an agent…");
    } else if (state === "active") {
      setStatus("You are chatting with " + (chat.agent_name || "an agent") + ".");
    } else if (state === "missed") {
      setStatus("Nobody is available");
      notice = "Nobody is available to chat right now. We will answer by email at " +
        email + ".";
    } else if (state === "deflected") {
      setStatus("Glad that helped!");
      notice = "Glad the article helped. You can close this window.";
    } else if (state === "ended") {
      setStatus("Chat ended");
      notice = "This chat has ended." + (handedOver ?
        " We will answer anything more by email at " + email + "." : "");
    }
    ui.noticeText.textContent = notice;
    ui.notice.hidden = !notice;
    if (ended) {
      showTyping(false);
      stopTransport();
      outbox.forEach(function (item) { fail(item, "The chat has ended: not sent."); });
      outbox = [];
      persist();
    }
  }

  // --- receiving -------------------------------------------------------------------------------

  function showTyping(on) {
    window.clearTimeout(typingTimer);
    ui.typing.hidden = !on;
    ui.typing.textContent = on ? ((chat && chat.agent_name) || "The agent") + " is typing…" : "";
    if (on) { typingTimer = window.setTimeout(function () { showTyping(false); }, TYPING_HOLD_MS); }
  }

  function takeEphemeral(data) {
    if (data.kind === "typing" && data.side === "agent") {
      showTyping(!!data.typing);
    } else if (data.kind === "read" && data.side === "agent" && data.seq > agentReadSeq) {
      agentReadSeq = data.seq;
      updateSeen();
    }
  }

  function onStreamData(raw) {
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    if (!data) { return; }
    if (data.event && typeof data.event === "object") { data = data.event; }
    if (typeof data.seq === "number") { takeAll([data]); }
    else if (data.ephemeral) { takeEphemeral(data.ephemeral); }
    else { takeEphemeral(data); }
  }

  function refresh() {
    if (!chatState) { return Promise.resolve(); }
    return call("GET", "c/" + chatState.id + "/events?after=" + chatState.lastSeq, undefined,
                {token: chatState.token}).then(function (answer) {
      if (answer.status === 200 && answer.data) {
        takeAll(answer.data.events);
        applyChat(answer.data.chat);
        if (isOpen() && chat.state === "active") { showTyping(!!answer.data.typing); }
      } else if (answer.status === 403 || answer.status === 404) {
        forget();
      }
      return answer;
    });
  }

  function schedulePoll() {
    window.clearTimeout(pollTimer);
    if (!isOpen()) { return; }
    // With the stream up, a slow poll as well: while waiting it moves expired offers on, and
    // it brings the read state a stream that only polls the database (SQLite) never sends.
    var every = !source ? POLL_MS : chat.state === "waiting" ? WAITING_POLL_MS : SYNC_POLL_MS;
    pollTimer = window.setTimeout(function () {
      refresh().then(function (answer) {
        // Polling because the stream kept failing: try the stream again now and then.
        if (answer && answer.status === 200 && !source && isOpen() &&
            Date.now() - fellBackAt >= STREAM_RETRY_MS) {
          streamFailures = 0;
          openStream();
        }
        schedulePoll();
      });
    }, every);
  }

  function openStream() {
    if (!window.EventSource || streamFailures >= STREAM_FAILURES || !isOpen()) { return false; }
    var url = (config.live || "") + "/live/chat/" + chatState.id + "/stream?token=" +
      encodeURIComponent(chatState.token) + "&after=" + chatState.lastSeq;
    source = new window.EventSource(url);
    streamOpened = false;
    source.onopen = function () { streamOpened = true; streamFailures = 0; };
    source.onmessage = function (event) { onStreamData(event.data); };
    ["event", "typing", "ephemeral"].forEach(function (name) {
      source.addEventListener(name, function (event) { onStreamData(event.data); });
    });
    source.onerror = function () {
      // A stream that ends after answering (the short-polling server) opened first: fine.
      if (!streamOpened) { streamFailures += 1; }
      streamOpened = false;
      if (source.readyState === window.EventSource.CLOSED || streamFailures >= STREAM_FAILURES) {
        source.close();
        source = null;
        fellBackAt = Date.now();
        schedulePoll();
      }
    };
    return true;
  }

  function connect() {
    stopTransport();
    if (!isOpen()) { return; }
    openStream();
    schedulePoll();
  }

  function stopTransport() {
    if (source) { source.close(); source = null; }
    window.clearTimeout(pollTimer);
  }

  // --- sending ---------------------------------------------------------------------------------

  function markRead() {
    if (!chatState || !shown || document.visibilityState !== "visible" || !isOpen()) { return; }
    window.clearTimeout(readTimer);
    readTimer = window.setTimeout(function () {
      var seq = chatState.lastSeq;
      if (seq <= readSent) { return; }
      readSent = seq;
      call("POST", "c/" + chatState.id + "/read", {seq: seq}, {token: chatState.token});
    }, 300);
  }

  document.addEventListener("visibilitychange", markRead);

  function fail(item, text) {
    item.failed = true;
    if (!item.node) { return; }
    item.node.classList.remove("is-sending");
    item.node.classList.add("is-failed");
    item.node.lastChild.textContent = text;
  }

  function pendingBubble(item) {
    var node = bubble("visitor", "", item.body, "Sending…");
    node.classList.add("is-sending");
    node.setAttribute("data-client-id", item.client_id);
    if (item.file) {
      node.insertBefore(el("p", "cw-msg-file", item.file.name), node.lastChild);
    }
    ui.transcript.appendChild(node);
    scrollDown();
    return node;
  }

  function queue(body, file, clientId) {
    var item = {client_id: clientId || newId(), body: body, file: file || null};
    item.node = pendingBubble(item);
    outbox.push(item);
    persist();
    flush();
  }

  /* Posts the outbox in order, one at a time, until the server has each message. */
  function flush() {
    if (sending || !outbox.length || !chatState) { return; }
    sending = true;
    var item = outbox[0];
    var payload;
    if (item.file) {
      payload = new FormData();
      payload.append("client_id", item.client_id);
      payload.append("body", item.body);
      payload.append("file", item.file);
    } else {
      payload = {body: item.body, client_id: item.client_id};
    }
    var attempt = item.attempts = (item.attempts || 0) + 1;
    call("POST", "c/" + chatState.id + "/messages", payload, {token: chatState.token})
      .then(function (answer) {
        var wait = 0;
        // By identity: the poll may have taken this message's event (and dropped it) meanwhile.
        var others = outbox.filter(function (other) { return other !== item; });
        if (answer.status === 201 || answer.status === 200) {
          outbox = others;
          if (answer.data) { takeAll([answer.data]); }
          if (item.node && item.node.parentNode) { item.node.parentNode.removeChild(item.node); }
        } else if (answer.status === 429) {
          wait = (isNaN(answer.retryAfter) ? 2 : answer.retryAfter) * 1000;
        } else if (answer.status >= 400 && answer.status < 500) {
          outbox = others;
          fail(item, detail(answer, "Not sent."));
        } else {  // the network, or the server, failed: the same message again, later
          wait = Math.min(5000, 500 * Math.pow(2, Math.min(attempt, 4)));
        }
        persist();
        sending = false;
        if (outbox.length) { window.setTimeout(flush, wait); }
      });
  }

  function sendTyping(on) {
    if (!chatState || !isOpen() || chat.state === "bot") { return; }
    typingOn = on;
    typingSentAt = on ? Date.now() : 0;
    call("POST", "c/" + chatState.id + "/typing", {typing: on}, {token: chatState.token});
  }

  ui.message.addEventListener("input", function () {
    if (ui.message.value.trim() && Date.now() - typingSentAt >= TYPING_EVERY_MS) {
      sendTyping(true);
    }
  });
  ui.message.addEventListener("blur", function () { if (typingOn) { sendTyping(false); } });
  ui.message.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit ? ui.composer.requestSubmit() : submitMessage();
    }
  });

  function submitMessage() {
    var body = ui.message.value.trim();
    if (!body || !isOpen() || chat.state === "bot") { return; }
    ui.message.value = "";
    if (typingOn) { sendTyping(false); }
    queue(body, null);
    ui.message.focus();
  }

  ui.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    submitMessage();
  });

  ui.file.addEventListener("change", function () {
    var file = ui.file.files && ui.file.files[0];
    ui.file.value = "";
    if (!file || !isOpen()) { return; }
    if (file.size > config.max_file_bytes) {
      ui.noticeText.textContent = "“" + file.name + "” is larger than " +
        Math.round(config.max_file_bytes / 1048576) + " MB: it was not sent.";
      ui.notice.hidden = false;
      return;
    }
    ui.notice.hidden = isOpen();
    queue("", file);
  });

  ui.end.addEventListener("click", function () {
    if (!chatState) { return; }
    ui.end.disabled = true;
    call("POST", "c/" + chatState.id + "/end", {}, {token: chatState.token})
      .then(function (answer) {
        ui.end.disabled = false;
        if (answer.status === 200 && answer.data) {
          applyChat(answer.data);
          refresh();
        }
      });
  });

  // --- entering, leaving -----------------------------------------------------------------------

  function resetRoom() {
    stopTransport();
    ui.transcript.textContent = "";
    seen = {};
    agentReadSeq = 0;
    readSent = 0;
    outbox = [];
    chat = null;
    handedOver = false;
    showTyping(false);
    ui.notice.hidden = true;
    ui.composer.hidden = true;
  }

  /* Shows the chat: `shownChat` as the start answered it, or null after a reload (then the
     transcript is read until the server answers). */
  function enterRoom(shownChat) {
    resetRoom();
    view("room");
    chatState.lastSeq = 0;
    if (shownChat) { applyChat(shownChat); }
    (chatState.pending || []).forEach(function (item) { queue(item.body, null, item.client_id); });
    function settle() {
      return refresh().then(function () {
        if (chatState && !chat) { return sleep(POLL_MS).then(settle); }
        return null;
      });
    }
    return settle().then(function () {
      connect();
      focusFirst();
    });
  }

  function forget() {
    resetRoom();
    chatState = null;
    save(STORE, null);
    setStatus("");
    view("intro");
  }

  ui.newChat.addEventListener("click", function () {
    var previous = chatState;
    forget();
    if (previous) {
      ui.name.value = previous.name || "";
      ui.email.value = previous.email || "";
    }
    ui.question.value = "";
    renderSuggestions([]);
    ui.question.focus();
  });

  // --- start -----------------------------------------------------------------------------------

  var stored = load(STORE);
  if (stored && typeof stored.id === "string" && typeof stored.token === "string") {
    chatState = stored;
    chatState.pending = stored.pending || [];
    view("room");
    enterRoom(null).then(function () {
      if (chatState && isOpen()) { tellHost("open"); }
    });
  } else {
    view("intro");
  }
  tellHost("ready");
})();
