// The chat dock on every console page (chat/templates/chat/dock.html, chat/agent_views.py).
//
// The page holds an empty #chat-dock that this script fills once the page is there
// (`GET /chats/dock`, through htmx), and then keeps live: it listens on the agent's stream
// (Server-Sent Events at /live/agent/stream) and, when the stream cannot be kept open, polls
// `GET /chats/poll` every two seconds. Events are numbered per chat (`seq`): one already shown is dropped, and
// a gap is filled by asking for the chat's events after the last one shown. Text is always
// set with textContent, never as HTML. Drafts, unsent messages and the open tab live in
// sessionStorage, so moving between console pages keeps them.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var STREAM_TRIES = 3; // stream failures in a row before falling back to polling
  var TYPING_EVERY_MS = 2000; // "I am typing" at most this often
  var TYPING_IDLE_MS = 4000; // then "stopped" after this long without a key
  var STORE = "casedesk.chat.";
  var STREAM_KINDS = ["message", "articles", "state", "event", "typing", "read", "offer",
                      "offer_gone", "snapshot", "chat", "chats"];

  var dockEl = null; // #chat-dock
  var root = null; // its [data-dock]
  var conn = { mode: "off", source: null, url: "", failures: 0, opened: false, timer: null,
               polling: false };
  var outbox = {}; // chat id -> [{clientId, body, file, li}] being sent, in order
  var sending = {}; // chat id -> true while its outbox is being worked through
  var typingState = {}; // chat id -> {sentAt, on, idleTimer}
  var readSent = {}; // chat id -> the seq last reported read
  var visitorTypingTimers = {};
  var countdownTimer = null;

  // --- small helpers --------------------------------------------------------------------

  function store(key, value) {
    try {
      if (value === null || value === undefined || value === "") sessionStorage.removeItem(STORE + key);
      else sessionStorage.setItem(STORE + key, typeof value === "string" ? value : JSON.stringify(value));
    } catch (e) { /* storage full or refused: the dock works without it */ }
  }

  function stored(key, parse) {
    try {
      var value = sessionStorage.getItem(STORE + key);
      if (value === null) return null;
      return parse ? JSON.parse(value) : value;
    } catch (e) { return null; }
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function toast(text) {
    if (window.casedeskToast) window.casedeskToast(text);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clockTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function humanSize(size) {
    if (size >= 1048576) return (size / 1048576).toFixed(1) + " MB";
    if (size >= 1024) return Math.round(size / 1024) + " KB";
    return size + " bytes";
  }

  function detailOf(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text).detail || text; } catch (e) { return text || ("Error " + response.status); }
    });
  }

  function post(url, body, isForm) {
    var headers = { "X-CSRFToken": csrfToken() };
    if (!isForm) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers,
                        body: isForm ? body : JSON.stringify(body) });
  }

  // --- windows and tabs -----------------------------------------------------------------

  function windows() {
    return root ? Array.prototype.slice.call(root.querySelectorAll("section[data-chat]")) : [];
  }

  function findWindow(chatId) {
    return root ? root.querySelector('section[data-chat="' + CSS.escape(String(chatId)) + '"]') : null;
  }

  function lastSeq(win) { return Number(win.dataset.lastSeq) || 0; }

  function isActive(win) { return win.dataset.state === "active"; }

  function fileUrl(win, id) {
    return win.dataset.fileUrl.replace(/\/0$/, "/" + encodeURIComponent(id));
  }

  function openChatId() { return stored("open"); }

  function isCollapsed() { return stored("collapsed") === "1"; }

  function windowShown(win) {
    return !win.hidden && !isCollapsed() && document.visibilityState === "visible";
  }

  function buildTabs() {
    if (!root) return;
    var strip = root.querySelector("[data-dock-tabs]");
    var list = windows();
    var open = openChatId();
    if (!list.some(function (w) { return w.dataset.chat === open; })) open = list.length ? list[0].dataset.chat : null;
    strip.textContent = "";
    list.forEach(function (win) {
      var id = win.dataset.chat;
      var tab = el("button", "dock-tab" + (isActive(win) ? "" : " ended"));
      tab.type = "button";
      tab.id = "chat-tab-" + id;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", win.id);
      tab.setAttribute("aria-selected", id === open ? "true" : "false");
      tab.tabIndex = id === open ? 0 : -1;
      tab.dataset.chatTab = id;
      tab.appendChild(el("span", "tab-name", win.dataset.visitorName));
      var badge = el("span", "badge", String(win._unread || ""));
      badge.hidden = !win._unread;
      badge.dataset.unread = "";
      tab.appendChild(badge);
      strip.appendChild(tab);
      win.setAttribute("aria-labelledby", tab.id);
      win.hidden = id !== open;
    });
    strip.hidden = list.length === 0;
    var count = root.querySelector("[data-dock-count]");
    if (count) {
      var active = list.filter(isActive).length;
      count.textContent = String(active);
      count.classList.toggle("empty", active === 0);
    }
  }

  function openTab(chatId, focus) {
    store("open", chatId);
    buildTabs();
    var win = findWindow(chatId);
    if (!win) return;
    scrollDown(win, true);
    markRead(win);
    if (focus) {
      var text = win.querySelector("[data-composer-text]");
      if (text && !text.disabled) text.focus();
    }
  }

  function setUnread(win, n) {
    win._unread = n;
    var tab = root && root.querySelector('[data-chat-tab="' + CSS.escape(win.dataset.chat) + '"] [data-unread]');
    if (tab) { tab.textContent = String(n || ""); tab.hidden = !n; }
  }

  function scrollDown(win, force) {
    var list = win.querySelector("[data-transcript]");
    if (!list) return;
    if (force || list.scrollHeight - list.scrollTop - list.clientHeight < 80) list.scrollTop = list.scrollHeight;
  }

  // --- drawing events -------------------------------------------------------------------

  function safeHref(url) {
    return typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null;
  }

  function drawEvent(win, ev) {
    var li = el("li", "ev ev-" + ev.kind + " by-" + ev.author);
    li.dataset.seq = String(ev.seq);
    if (ev.client_id) li.dataset.clientId = ev.client_id;
    var data = ev.data || {};
    if (ev.kind === "message") {
      var bubble = el("div", "bubble");
      var meta = el("p", "ev-meta");
      meta.appendChild(el("span", "ev-who", ev.author_name || ev.author));
      meta.appendChild(document.createTextNode(" "));
      var time = el("time", null, clockTime(ev.created_at));
      time.setAttribute("datetime", ev.created_at || "");
      meta.appendChild(time);
      bubble.appendChild(meta);
      if (ev.body) bubble.appendChild(el("p", "ev-body", ev.body));
      if (data.attachment) {
        var file = el("p", "ev-file");
        var link = el("a", null, data.attachment.name);
        link.href = fileUrl(win, data.attachment.id);
        link.dataset.chatFile = "";
        file.appendChild(link);
        file.appendChild(document.createTextNode(" "));
        file.appendChild(el("span", "muted small", humanSize(Number(data.attachment.size) || 0)));
        bubble.appendChild(file);
      }
      var seen = el("p", "ev-seen muted small", "Seen");
      seen.hidden = true;
      seen.dataset.seen = "";
      bubble.appendChild(seen);
      li.appendChild(bubble);
    } else if (ev.kind === "articles") {
      var line = el("p", "ev-sys", "Chatbot offered ");
      (data.articles || []).forEach(function (article, i) {
        if (i) line.appendChild(document.createTextNode(", "));
        var href = safeHref(article.url);
        var a = el(href ? "a" : "span", null, article.title);
        if (href) { a.href = href; a.target = "_blank"; a.rel = "noopener"; }
        line.appendChild(a);
      });
      if (ev.body) line.appendChild(document.createTextNode(": " + ev.body));
      li.appendChild(line);
    } else {
      var sys = el("p", "ev-sys", (ev.body || "") + " ");
      var when = el("time", null, clockTime(ev.created_at));
      when.setAttribute("datetime", ev.created_at || "");
      sys.appendChild(when);
      li.appendChild(sys);
    }
    return li;
  }

  function drawPending(item) {
    var li = el("li", "ev ev-message by-agent pending");
    li.dataset.clientId = item.clientId;
    var bubble = el("div", "bubble");
    var meta = el("p", "ev-meta");
    meta.appendChild(el("span", "ev-who", "You"));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("span", "ev-status", "sending…"));
    bubble.appendChild(meta);
    if (item.body) bubble.appendChild(el("p", "ev-body", item.body));
    if (item.file) bubble.appendChild(el("p", "ev-file", item.file.name));
    li.appendChild(bubble);
    item.li = li;
    return li;
  }

  function placeStored(win, li) {
    var list = win.querySelector("[data-transcript]");
    var firstPending = list.querySelector("li.pending");
    list.insertBefore(li, firstPending);
  }

  function showSeen(win) {
    var upTo = Number(win.dataset.visitorReadSeq) || 0;
    var mine = Array.prototype.slice.call(win.querySelectorAll("li.ev-message.by-agent:not(.pending)"));
    var last = null;
    mine.forEach(function (li) {
      var mark = li.querySelector("[data-seen]");
      if (mark) mark.hidden = true;
      if (Number(li.dataset.seq) <= upTo) last = li;
    });
    if (last) {
      var shown = last.querySelector("[data-seen]");
      if (shown) shown.hidden = false;
    }
  }

  function applyState(win, state) {
    if (!state || win.dataset.state === state) return;
    win.dataset.state = state;
    var over = state !== "active";
    win.classList.toggle("ended", over);
    win.querySelectorAll("[data-composer] textarea, [data-composer] input, [data-composer] button")
      .forEach(function (control) { control.disabled = over; });
    var endButton = win.querySelector("[data-chat-end]");
    var closeButton = win.querySelector("[data-chat-close]");
    if (endButton) endButton.hidden = over;
    if (closeButton) closeButton.hidden = !over;
    if (over) showTyping(win, false);
    buildTabs();
  }

  function showTyping(win, on) {
    var line = win.querySelector("[data-typing]");
    if (!line) return;
    line.hidden = !on;
    var id = win.dataset.chat;
    clearTimeout(visitorTypingTimers[id]);
    // A "stopped typing" that never comes (the visitor closed the page) must not leave the
    // line up for ever.
    if (on) visitorTypingTimers[id] = setTimeout(function () { line.hidden = true; }, 8000);
  }

  // --- events in ------------------------------------------------------------------------

  function onEvent(chatId, ev) {
    var win = findWindow(chatId);
    if (!win) {
      if (ev.kind === "state" && ev.data && ev.data.state === "active") addWindow(chatId);
      return;
    }
    var last = lastSeq(win);
    if (ev.seq <= last) return; // seen already (the stream and a poll may both bring it)
    if (ev.seq > last + 1) { fetchChats([chatId]); return; } // a gap: ask for what is missing
    if (ev.client_id) {
      var pending = win.querySelector('li.pending[data-client-id="' + CSS.escape(ev.client_id) + '"]');
      if (pending) pending.remove();
    }
    placeStored(win, drawEvent(win, ev));
    win.dataset.lastSeq = String(ev.seq);
    if (ev.kind === "state" && ev.data) applyState(win, ev.data.state);
    if (ev.author === "visitor" && ev.kind === "message") {
      showTyping(win, false);
      if (windowShown(win)) markRead(win);
      else setUnread(win, (win._unread || 0) + 1);
    }
    if (ev.author === "agent") showSeen(win);
    scrollDown(win, ev.author === "agent");
  }

  function reconcileChat(c) {
    var id = c.id || c.public_id || c.chat_id;
    var win = findWindow(id);
    if (!win) {
      if (c.state === "active") addWindow(id);
      return;
    }
    if (typeof c.visitor_read_seq === "number") {
      win.dataset.visitorReadSeq = String(c.visitor_read_seq);
      showSeen(win);
    }
    if (typeof c.visitor_typing === "boolean") showTyping(win, c.visitor_typing);
    if (typeof c.last_seq === "number" && c.last_seq > lastSeq(win)) {
      if (conn.mode === "stream") fetchChats([id]);
      return; // the poll's events arrive with it; the state comes with them
    }
    applyState(win, c.state);
  }

  function reconcileOffers(offers) {
    if (!root) return;
    var shown = Array.prototype.map.call(root.querySelectorAll("[data-offer]"), function (o) {
      return String(o.dataset.offer);
    }).sort().join(",");
    var now = (offers || []).map(function (o) { return String(o.id); }).sort().join(",");
    if (shown !== now) refreshOffers();
  }

  function handle(msg) {
    if (!msg || typeof msg !== "object") return;
    var chatId = msg.chat || msg.chat_id || (msg.event && msg.event.chat);
    var ev = msg.event && typeof msg.event === "object" ? msg.event : msg;
    switch (ev.kind || msg.kind) {
      case "message": case "articles": case "state":
        if (chatId && typeof ev.seq === "number") onEvent(chatId, ev);
        break;
      case "typing":
        if (msg.side === "visitor" && findWindow(chatId)) showTyping(findWindow(chatId), !!msg.typing);
        break;
      case "read":
        if (msg.side === "visitor" && findWindow(chatId)) {
          var win = findWindow(chatId);
          win.dataset.visitorReadSeq = String(Math.max(Number(win.dataset.visitorReadSeq) || 0, Number(msg.seq) || 0));
          showSeen(win);
        }
        break;
      case "offer": case "offer_gone":
        refreshOffers();
        break;
      case "snapshot": case "chats":
        if (msg.offers) reconcileOffers(msg.offers);
        (msg.chats || []).forEach(reconcileChat);
        windows().forEach(function (win) {
          var listed = (msg.chats || []).some(function (c) { return (c.id || c.public_id || c.chat_id) === win.dataset.chat; });
          if (!listed && isActive(win)) fetchChats([win.dataset.chat]);
        });
        break;
      case "chat":
        if (msg.chat && typeof msg.chat === "object") reconcileChat(msg.chat);
        break;
      default:
        break;
    }
  }

  // --- asking the server ----------------------------------------------------------------

  function pollQuery(ids) {
    var list = (ids || windows().map(function (w) { return w.dataset.chat; })).map(function (id) {
      var win = findWindow(id);
      return id + ":" + (win ? lastSeq(win) : 0);
    });
    return root.dataset.pollUrl + "?chats=" + encodeURIComponent(list.join(","));
  }

  function applyPoll(answer, full) {
    (answer.events || []).forEach(function (ev) { onEvent(ev.chat, ev); });
    (answer.chats || []).forEach(reconcileChat);
    if (full) reconcileOffers(answer.offers);
  }

  // Events after the last shown of some chats (a gap, or a chat the stream says moved on).
  function fetchChats(ids) {
    if (!root) return;
    fetch(pollQuery(ids), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) applyPoll(answer, false); })
      .catch(function () { /* the next poll or stream message tries again */ });
  }

  function refreshOffers() {
    if (!root || root._offersLoading) return;
    root._offersLoading = true;
    fetch(root.dataset.dockUrl + "?part=offers", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || !root) return;
        var current = root.querySelector("[data-offers]");
        var holder = document.createElement("div");
        holder.innerHTML = html; // our own template, autoescaped
        var fresh = holder.querySelector("[data-offers]");
        if (current && fresh) {
          current.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
          startCountdowns();
          var idle = root.querySelector("[data-dock-idle]");
          if (idle && fresh.querySelector("[data-offer]")) idle.hidden = true;
        }
      })
      .catch(function () {})
      .then(function () { if (root) root._offersLoading = false; });
  }

  function addWindow(chatId) {
    if (!root || findWindow(chatId) || root["_adding" + chatId]) return;
    root["_adding" + chatId] = true;
    var url = root.dataset.windowUrl.replace("00000000-0000-0000-0000-000000000000", encodeURIComponent(chatId));
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || !root || findWindow(chatId)) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var win = holder.querySelector("section[data-chat]");
        if (!win) return;
        root.querySelector("[data-dock-windows]").appendChild(win);
        var idle = root.querySelector("[data-dock-idle]");
        if (idle) idle.hidden = true;
        initWindow(win);
        if (!openChatId() || !findWindow(openChatId())) store("open", chatId);
        buildTabs();
        connect();
      })
      .catch(function () {})
      .then(function () { if (root) delete root["_adding" + chatId]; });
  }

  // --- sending --------------------------------------------------------------------------

  function savePending(chatId) {
    var items = (outbox[chatId] || []).filter(function (item) { return !item.file && !item.failed; })
      .map(function (item) { return { clientId: item.clientId, body: item.body }; });
    store("pending." + chatId, items.length ? items : null);
  }

  function queue(win, item) {
    var id = win.dataset.chat;
    (outbox[id] = outbox[id] || []).push(item);
    win.querySelector("[data-transcript]").appendChild(drawPending(item));
    scrollDown(win, true);
    savePending(id);
    work(id);
  }

  // Sends a chat's messages one after the other, each until it is stored: a network error
  // or a server error waits and tries again with the same client_id (stored once); a refusal
  // (4xx) is shown on the message and the next one goes.
  function work(chatId, delay) {
    if (sending[chatId]) return;
    var items = outbox[chatId] || [];
    var item = items[0];
    var win = findWindow(chatId);
    if (!item || !win) return;
    sending[chatId] = true;
    var body;
    var isForm = !!item.file;
    if (isForm) {
      body = new FormData();
      body.append("body", item.body);
      body.append("client_id", item.clientId);
      body.append("file", item.file);
    } else {
      body = { body: item.body, client_id: item.clientId };
    }
    post(win.dataset.messagesUrl, body, isForm).then(function (response) {
      if (response.status === 201) {
        return response.json().then(function (ev) {
          items.shift();
          savePending(chatId);
          onEvent(chatId, ev);
          if (item.li && item.li.parentNode && item.li.classList.contains("pending")) {
            // The event was shown already (the stream was quicker): drop the placeholder.
            var current = findWindow(chatId);
            if (current && current.querySelector('li[data-seq][data-client-id="' + CSS.escape(item.clientId) + '"]')) item.li.remove();
          }
          return 0;
        });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        return detailOf(response).then(function (detail) {
          items.shift();
          item.failed = true;
          savePending(chatId);
          if (item.li) {
            item.li.classList.add("failed");
            var status = item.li.querySelector(".ev-status");
            if (status) status.textContent = "not sent: " + detail;
          }
          toast(detail);
          return 0;
        });
      }
      return Math.min((delay || 500) * 2, 10000);
    }, function () {
      return Math.min((delay || 500) * 2, 10000);
    }).then(function (wait) {
      sending[chatId] = false;
      if (wait) setTimeout(function () { work(chatId, wait); }, wait);
      else work(chatId);
    });
  }

  function send(win) {
    var text = win.querySelector("[data-composer-text]");
    var fileInput = win.querySelector("[data-composer-file]");
    var body = text.value.trim();
    var file = fileInput && fileInput.files && fileInput.files[0];
    if (!body && !file) return;
    queue(win, { clientId: uuid(), body: body, file: file || null });
    text.value = "";
    if (fileInput) fileInput.value = "";
    var name = win.querySelector("[data-composer-file-name]");
    if (name) name.textContent = "";
    store("draft." + win.dataset.chat, null);
    sayTyping(win, false);
  }

  function sayTyping(win, on) {
    var id = win.dataset.chat;
    var state = typingState[id] = typingState[id] || { sentAt: 0, on: false, idleTimer: null };
    clearTimeout(state.idleTimer);
    var now = Date.now();
    if (on) {
      state.idleTimer = setTimeout(function () { sayTyping(win, false); }, TYPING_IDLE_MS);
      if (state.on && now - state.sentAt < TYPING_EVERY_MS) return;
    } else if (!state.on) {
      return;
    }
    state.on = on;
    state.sentAt = now;
    if (!isActive(win)) return;
    post(win.dataset.typingUrl, { typing: on }).catch(function () {});
  }

  function markRead(win) {
    if (!windowShown(win) || !isActive(win)) return;
    var id = win.dataset.chat;
    var seq = lastSeq(win);
    setUnread(win, 0);
    if (seq <= (readSent[id] || Number(win.dataset.agentReadSeq) || 0)) return;
    readSent[id] = seq;
    post(win.dataset.readUrl, { seq: seq }).catch(function () { readSent[id] = 0; });
  }

  function endChat(win) {
    if (!window.confirm("End the chat with " + win.dataset.visitorName + "?")) return;
    post(win.dataset.endUrl, {}).then(function (response) {
      if (response.ok) return response.json().then(function (chat) { applyState(win, chat.state); fetchChats([win.dataset.chat]); });
      return detailOf(response).then(toast);
    }).catch(function () { toast("The chat could not be ended: no connection. Try again."); });
  }

  function closeWindow(win) {
    var id = win.dataset.chat;
    store("draft." + id, null);
    store("pending." + id, null);
    delete outbox[id];
    win.remove();
    if (openChatId() === id) store("open", null);
    buildTabs();
    connect();
  }

  // --- one window -----------------------------------------------------------------------

  function initWindow(win) {
    var id = win.dataset.chat;
    var text = win.querySelector("[data-composer-text]");
    var draft = stored("draft." + id);
    if (text && draft && !text.value) text.value = draft;
    // Messages that were still being sent when the page changed go on being sent.
    if (!outbox[id]) {
      (stored("pending." + id, true) || []).forEach(function (item) {
        if (!win.querySelector('li[data-client-id="' + CSS.escape(item.clientId) + '"]')) {
          (outbox[id] = outbox[id] || []).push({ clientId: item.clientId, body: item.body, file: null });
        }
      });
    }
    (outbox[id] || []).forEach(function (item) {
      if (!win.querySelector('li[data-seq][data-client-id="' + CSS.escape(item.clientId) + '"]')) {
        win.querySelector("[data-transcript]").appendChild(drawPending(item));
      }
    });
    var unread = 0;
    var readUpTo = Number(win.dataset.agentReadSeq) || 0;
    win.querySelectorAll("li.ev-message.by-visitor").forEach(function (li) {
      if (Number(li.dataset.seq) > readUpTo) unread += 1;
    });
    win._unread = unread;
    // The server wrote its times in the desk's time zone; the browser's own is the agent's.
    win.querySelectorAll("time[datetime]").forEach(function (time) {
      var shown = clockTime(time.getAttribute("datetime"));
      if (shown) time.textContent = shown;
    });
    var state = win.dataset.state;
    win.dataset.state = "";
    applyState(win, state);
    showSeen(win);
    scrollDown(win, true);
    work(id);
  }

  // --- the connection -------------------------------------------------------------------

  function wanted() {
    return !!root && (root.dataset.available === "1" || windows().some(isActive)
                      || !!root.querySelector("[data-offer]"));
  }

  function stopConnection() {
    if (conn.source) { conn.source.close(); conn.source = null; }
    clearTimeout(conn.timer);
    conn.mode = "off";
    conn.url = "";
  }

  function connect() {
    if (!wanted()) { stopConnection(); return; }
    var url = root.dataset.streamUrl;
    if (conn.mode === "poll") return;
    if (conn.mode === "stream" && conn.url === url) return;
    stopConnection();
    if (!window.EventSource || !url || conn.failures >= STREAM_TRIES) { startPolling(); return; }
    conn.mode = "stream";
    conn.url = url;
    conn.opened = false;
    var source = conn.source = new EventSource(url);
    var onMessage = function (event) {
      conn.failures = 0;
      try { handle(JSON.parse(event.data)); } catch (e) { /* not ours */ }
    };
    source.onmessage = onMessage;
    STREAM_KINDS.forEach(function (kind) { source.addEventListener(kind, onMessage); });
    source.onopen = function () { conn.opened = true; };
    source.onerror = function () {
      // On SQLite (or a stream reaching the plain web server) each answer ends and the
      // browser reconnects: that is polling too, and fine. A stream that never opens, or
      // that the browser gave up on, counts as a failure.
      if (conn.opened && source.readyState === EventSource.CONNECTING) { conn.opened = false; return; }
      conn.failures += 1;
      if (source.readyState === EventSource.CLOSED || conn.failures >= STREAM_TRIES) {
        source.close();
        conn.source = null;
        conn.mode = "off";
        if (conn.failures >= STREAM_TRIES) startPolling();
        else conn.timer = setTimeout(connect, 2000);
      }
    };
  }

  function startPolling() {
    conn.mode = "poll";
    if (conn.polling) return;
    conn.polling = true;
    var delay = POLL_MS;
    (function tick() {
      if (conn.mode !== "poll" || !wanted()) { conn.polling = false; if (conn.mode === "poll") conn.mode = "off"; return; }
      fetch(pollQuery(), { credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 403 || r.status === 401) { conn.mode = "off"; return null; }
          return r.ok ? r.json() : null;
        })
        .then(function (answer) {
          delay = answer ? POLL_MS : Math.min(delay * 2, 15000);
          if (answer) applyPoll(answer, true);
        }, function () { delay = Math.min(delay * 2, 15000); })
        .then(function () { conn.timer = setTimeout(tick, delay); });
    })();
  }

  // --- countdowns on offers -------------------------------------------------------------

  function startCountdowns() {
    if (!root) return;
    var now = Date.now();
    root.querySelectorAll("[data-offer]").forEach(function (card) {
      if (card._deadline) return;
      var left = parseInt((card.querySelector("[data-countdown]") || {}).textContent, 10);
      card._deadline = now + (isNaN(left) ? 0 : left) * 1000;
    });
    if (countdownTimer) return;
    countdownTimer = setInterval(function () {
      if (!root) return;
      var cards = root.querySelectorAll("[data-offer]");
      if (!cards.length) { clearInterval(countdownTimer); countdownTimer = null; return; }
      var expired = false;
      cards.forEach(function (card) {
        var left = Math.max(0, Math.round((card._deadline - Date.now()) / 1000));
        var label = card.querySelector("[data-countdown]");
        if (label) label.textContent = left + " s";
        if (left <= 0 && !card.classList.contains("expired")) {
          card.classList.add("expired");
          card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
          if (label) label.textContent = "expired";
          expired = true;
        }
      });
      if (expired) setTimeout(refreshOffers, 1500);
    }, 1000);
  }

  // --- wiring ---------------------------------------------------------------------------

  function setup() {
    dockEl = document.getElementById("chat-dock");
    root = dockEl && dockEl.querySelector("[data-dock]");
    if (!root) { stopConnection(); return; }
    if (root.dataset.openChat) store("open", root.dataset.openChat);
    var body = root.querySelector("[data-dock-body]");
    var toggle = root.querySelector("[data-dock-collapse]");
    body.hidden = isCollapsed();
    toggle.setAttribute("aria-expanded", isCollapsed() ? "false" : "true");
    dockEl.classList.toggle("collapsed", isCollapsed());
    windows().forEach(initWindow);
    buildTabs();
    startCountdowns();
    if (root.dataset.openChat) openTab(root.dataset.openChat, true);
    connect();
  }

  // The page carries an empty #chat-dock; the dock is asked for once the page is there (no
  // `hx-trigger="load"`: the console's pages bring their own content with them, and only the
  // dock comes after).
  function loadDock() {
    var holder = document.getElementById("chat-dock");
    if (!holder || !holder.dataset.dockSrc || !window.htmx) return;
    window.htmx.ajax("GET", holder.dataset.dockSrc, { target: holder, swap: "innerHTML" });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", loadDock);
  else loadDock();

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "chat-dock") setup();
  });

  // A dock button the server refused (an offer taken or expired meanwhile): the reason is a
  // toast (console.js), and the dock shows what holds now.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail && event.detail.elt;
    if (root && target && root.contains(target)) refreshOffers();
  });

  document.addEventListener("click", function (event) {
    if (!root || !root.contains(event.target)) return;
    var target = event.target.closest("button, a");
    if (!target) return;
    var win = target.closest("section[data-chat]");
    if (target.matches("[data-chat-tab]")) { openTab(target.dataset.chatTab, true); return; }
    if (target.matches("[data-dock-collapse]")) {
      var collapse = !isCollapsed();
      store("collapsed", collapse ? "1" : null);
      root.querySelector("[data-dock-body]").hidden = collapse;
      target.setAttribute("aria-expanded", collapse ? "false" : "true");
      dockEl.classList.toggle("collapsed", collapse);
      if (!collapse) windows().forEach(markRead);
      return;
    }
    if (win && target.matches("[data-chat-end]")) { endChat(win); return; }
    if (win && target.matches("[data-chat-close]")) { closeWindow(win); return; }
  });

  document.addEventListener("keydown", function (event) {
    if (!root || !root.contains(event.target)) return;
    var target = event.target;
    if (target.matches("[data-composer-text]") && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(target.closest("section[data-chat]"));
      return;
    }
    if (target.matches("[data-chat-tab]") && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      var tabs = Array.prototype.slice.call(root.querySelectorAll("[data-chat-tab]"));
      var next = tabs[(tabs.indexOf(target) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      if (next) { openTab(next.dataset.chatTab, false); root.querySelector('[data-chat-tab="' + CSS.escape(next.dataset.chatTab) + '"]').focus(); }
    }
  });

  document.addEventListener("submit", function (event) {
    if (!root || !event.target.matches("[data-composer]") || !root.contains(event.target)) return;
    event.preventDefault();
    send(event.target.closest("section[data-chat]"));
  });

  document.addEventListener("input", function (event) {
    if (!root || !event.target.matches("[data-composer-text]") || !root.contains(event.target)) return;
    var win = event.target.closest("section[data-chat]");
    store("draft." + win.dataset.chat, event.target.value);
    sayTyping(win, event.target.value.trim() !== "");
  });

  document.addEventListener("change", function (event) {
    if (!root || !event.target.matches("[data-composer-file]") || !root.contains(event.target)) return;
    var win = event.target.closest("section[data-chat]");
    var name = win.querySelector("[data-composer-file-name]");
    var file = event.target.files && event.target.files[0];
    if (name) name.textContent = file ? file.name : "";
  });

  document.addEventListener("focusout", function (event) {
    if (!root || !event.target.matches || !event.target.matches("[data-composer-text]") || !root.contains(event.target)) return;
    sayTyping(event.target.closest("section[data-chat]"), false);
  });

  document.addEventListener("focusin", function (event) {
    if (!root || !event.target.matches || !root.contains(event.target)) return;
    var win = event.target.closest("section[data-chat]");
    if (win) markRead(win);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") windows().forEach(markRead);
  });

  // Leaving the page: the stream is closed at once, so the server frees its slot; a page
  // the browser brings back from its cache starts listening again.
  window.addEventListener("pagehide", stopConnection);
  window.addEventListener("pageshow", function (event) { if (event.persisted) setup(); });
})();
