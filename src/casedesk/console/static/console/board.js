// The kanban board: native HTML5 drag and drop, keyboard moves and the resolve/close dialog.
// The server decides every move (POST <case>/board-move answers JSON); this script only asks,
// shows the answer, snaps a refused card back and refreshes the columns a move touched.
// Without it the board still reads, and each card's "Move to…" form posts normally.
(function () {
  "use strict";

  var NEEDS_NOTE = { resolved: true, closed: true };
  var drag = null;     // the move being dragged (see origin())
  var pending = null;  // the move waiting in the dialog: {move, to, sending, done}

  function toast(text) {
    if (window.casedeskToast) window.casedeskToast(text);
  }

  function board() {
    return document.getElementById("board");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      var input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }
  }

  function columnLabel(status) {
    var head = document.getElementById("board-h-" + status);
    return head ? head.textContent.trim() : status.replace("_", " ");
  }

  // Where a card sits now, so a refused move can put it back.
  function origin(card) {
    return {
      card: card, list: card.parentNode, next: card.nextElementSibling,
      from: card.dataset.status, number: card.dataset.number, url: card.dataset.moveUrl,
      allowed: (card.dataset.allowed || "").split(" ").filter(Boolean), keyboard: false
    };
  }

  function placeAtTop(card, column) {
    var list = column.querySelector(".board-cards");
    if (list) list.insertBefore(card, list.firstElementChild);
  }

  function snapBack(move) {
    var card = move.card;
    if (move.list && document.body.contains(move.list)) {
      var next = move.next && move.next.parentNode === move.list ? move.next
        : move.list.querySelector(".board-empty");
      if (card.parentNode !== move.list || card.nextElementSibling !== next) {
        move.list.insertBefore(card, next);
      }
    }
    card.classList.remove("is-pending", "is-refused");
    void card.offsetWidth;  // restart the animation
    card.classList.add("is-refused");
    if (move.keyboard) card.focus();
  }

  // Replaces one column with a fresh copy from the server (same filters as the page).
  function refreshColumn(status) {
    var el = board();
    var old = document.getElementById("board-col-" + status);
    if (!el || !old) return Promise.resolve();
    var query = el.dataset.query;
    var url = el.dataset.url + "?" + (query ? query + "&" : "") + "column=" + encodeURIComponent(status);
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.querySelector(".board-column");
        var current = document.getElementById("board-col-" + status);
        if (fresh && current) current.replaceWith(fresh);
      })
      .catch(function () { /* the board stays as it is; a reload shows the truth */ });
  }

  function moved(move, to, data) {
    toast(data.detail || (move.number + " moved."));
    Promise.all([refreshColumn(move.from), refreshColumn(to)]).then(function () {
      var card = document.querySelector('.board-card[data-number="' + move.number + '"]');
      if (!card) return;
      card.classList.add("is-moved");
      if (move.keyboard) card.focus();
    });
  }

  // Posts the move; resolves to {ok, status, data}. Never rejects.
  function send(move, to, extra) {
    var body = new FormData();
    body.append("to", to);
    Object.keys(extra || {}).forEach(function (key) { body.append(key, extra[key]); });
    var el = board();
    body.append("back", el ? el.dataset.query : "");
    move.card.classList.add("is-pending");
    return fetch(move.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("json") === -1) {
        return { ok: false, status: response.status,
                 data: { detail: "The move was not confirmed (is your session still open?). Reload the page." } };
      }
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    }).catch(function () {
      return { ok: false, status: 0, data: { detail: "The server could not be reached; nothing changed." } };
    }).then(function (result) {
      move.card.classList.remove("is-pending");
      return result;
    });
  }

  function ask(move, to) {
    // Ask for the note only when the lifecycle could accept the move; otherwise let the
    // server refuse it straight away and say why.
    if (NEEDS_NOTE[to] && move.allowed.indexOf(to) !== -1) {
      openDialog(move, to);
      return;
    }
    send(move, to, {}).then(function (result) {
      if (result.ok) {
        moved(move, to, result.data);
      } else {
        snapBack(move);
        toast(result.data.detail || "The move was refused.");
      }
    });
  }

  // --- The resolve/close dialog -------------------------------------------------------------

  function dialogParts() {
    var dialog = document.getElementById("board-dialog");
    return dialog && {
      dialog: dialog,
      form: document.getElementById("board-dialog-form"),
      title: document.getElementById("board-dialog-title"),
      subject: document.getElementById("board-dialog-subject"),
      note: document.getElementById("board-note"),
      reasonField: document.getElementById("board-reason-field"),
      reason: document.getElementById("board-reason"),
      error: document.getElementById("board-dialog-error"),
      submit: document.getElementById("board-dialog-submit")
    };
  }

  function openDialog(move, to) {
    var d = dialogParts();
    if (!d || typeof d.dialog.showModal !== "function") {
      snapBack(move);
      toast("Open the case to move it to " + columnLabel(to) + ".");
      return;
    }
    pending = { move: move, to: to, sending: false, done: false };
    var closing = to === "closed";
    var verb = closing ? "Close" : "Resolve";
    d.title.textContent = verb + " " + move.number;
    var subject = move.card.querySelector(".card-subject");
    d.subject.textContent = subject ? subject.textContent.trim() : "";
    d.note.value = "";
    d.reason.value = "";
    d.reason.required = closing;
    d.reasonField.hidden = !closing;
    d.error.hidden = true;
    d.error.textContent = "";
    d.submit.textContent = closing ? "Close case" : "Resolve case";
    d.submit.disabled = false;
    d.dialog.showModal();
    d.note.focus();
  }

  function submitDialog(event) {
    event.preventDefault();
    var d = dialogParts();
    if (!pending || pending.sending) return;
    if (!d.form.reportValidity()) return;
    var current = pending;
    current.sending = true;
    d.submit.disabled = true;
    var extra = { note: d.note.value };
    if (current.to === "closed") extra.closed_reason = d.reason.value;
    send(current.move, current.to, extra).then(function (result) {
      current.sending = false;
      d.submit.disabled = false;
      if (result.ok) {
        current.done = true;
        d.dialog.close();
        moved(current.move, current.to, result.data);
      } else if (result.status === 422) {
        // A note or reason the server did not accept: say so where it can be fixed.
        d.error.textContent = result.data.detail || "Check the note and the reason.";
        d.error.hidden = false;
        var field = result.data.field === "closed_reason" ? d.reason : d.note;
        field.focus();
      } else {
        d.dialog.close();  // the close handler snaps the card back
        toast(result.data.detail || "The move was refused.");
      }
    });
  }

  document.addEventListener("submit", function (event) {
    if (event.target.id === "board-dialog-form") submitDialog(event);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-board-cancel]")) {
      var d = dialogParts();
      if (d && !(pending && pending.sending)) d.dialog.close();
    }
  });

  document.addEventListener("cancel", function (event) {
    // Escape while the move is being sent would leave the card in limbo.
    if (event.target.id === "board-dialog" && pending && pending.sending) event.preventDefault();
  }, true);

  document.addEventListener("close", function (event) {
    if (event.target.id !== "board-dialog" || !pending) return;
    var left = pending;
    pending = null;
    if (!left.done) snapBack(left.move);
  }, true);

  // --- Drag and drop ------------------------------------------------------------------------

  function clearDragState() {
    var el = board();
    if (el) el.classList.remove("is-dragging");
    document.querySelectorAll(".board-column").forEach(function (column) {
      column.classList.remove("drop-allowed", "drop-denied", "drop-origin", "drop-over");
    });
    document.querySelectorAll(".board-card.dragging").forEach(function (card) {
      card.classList.remove("dragging");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card || pending) return;
    closeMenus(null);
    drag = origin(card);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", drag.number);
    card.classList.add("dragging");
    var el = board();
    if (el) el.classList.add("is-dragging");
    // A hint only: the server still decides when the card is dropped.
    document.querySelectorAll(".board-column").forEach(function (column) {
      var status = column.dataset.status;
      column.classList.add(status === drag.from ? "drop-origin"
        : drag.allowed.indexOf(status) !== -1 ? "drop-allowed" : "drop-denied");
    });
  });

  document.addEventListener("dragover", function (event) {
    var column = drag && event.target.closest && event.target.closest(".board-column");
    if (!column || column.dataset.status === drag.from) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-over")) {
      document.querySelectorAll(".board-column.drop-over").forEach(function (other) {
        other.classList.remove("drop-over");
      });
      column.classList.add("drop-over");
    }
  });

  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-over");
  });

  document.addEventListener("drop", function (event) {
    var column = drag && event.target.closest && event.target.closest(".board-column");
    if (!column || column.dataset.status === drag.from) return;
    event.preventDefault();
    var move = drag;
    drag = null;
    clearDragState();
    placeAtTop(move.card, column);
    ask(move, column.dataset.status);
  });

  document.addEventListener("dragend", function () {
    drag = null;
    clearDragState();
  });

  // --- Keyboard -----------------------------------------------------------------------------

  // "Move to…" on a card goes through the same endpoint and the same dialog as a drop.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("move-menu")) return;
    event.preventDefault();
    var card = form.closest(".board-card");
    var to = event.submitter && event.submitter.value;
    if (!card || !to) return;
    var menu = form.closest("details");
    if (menu) menu.open = false;
    var move = origin(card);
    move.keyboard = true;
    ask(move, to);
  });

  function closeMenus(except) {
    document.querySelectorAll(".card-move[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }

  // One menu open at a time; it opens upwards when there is no room below in its column.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.classList || !menu.classList.contains("card-move") || !menu.open) return;
    closeMenus(menu);
    menu.classList.remove("up");
    var list = menu.closest(".board-cards");
    var popup = menu.querySelector(".move-menu");
    if (list && popup && popup.getBoundingClientRect().bottom > list.getBoundingClientRect().bottom) {
      menu.classList.add("up");
    }
  }, true);

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".card-move")) closeMenus(null);
  });

  document.addEventListener("keydown", function (event) {
    var option = event.target.classList && event.target.classList.contains("move-option");
    if (option && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      var options = Array.prototype.slice.call(event.target.parentNode.querySelectorAll(".move-option"));
      var at = options.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1);
      if (options[at]) options[at].focus();
      event.preventDefault();
      return;
    }
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest(".card-move[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  function cardsOf(column) {
    return column ? Array.prototype.slice.call(column.querySelectorAll(".board-card")) : [];
  }

  // Arrow keys walk the board; M jumps to "Move to…"; Enter opens the case.
  document.addEventListener("keydown", function (event) {
    var card = event.target;
    if (!card.classList || !card.classList.contains("board-card")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var column = card.closest(".board-column");
    var target = null;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var cards = cardsOf(column);
      var at = cards.indexOf(card) + (event.key === "ArrowDown" ? 1 : -1);
      target = cards[at] || null;
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      var columns = Array.prototype.slice.call(document.querySelectorAll(".board-column"));
      var step = event.key === "ArrowRight" ? 1 : -1;
      for (var i = columns.indexOf(column) + step; i >= 0 && i < columns.length; i += step) {
        var found = cardsOf(columns[i]);
        if (found.length) { target = found[0]; break; }
      }
    } else if (event.key === "m" || event.key === "M") {
      var menu = card.querySelector(".card-move");
      if (menu) {
        event.preventDefault();
        menu.open = true;
        var first = menu.querySelector(".move-option");
        if (first) first.focus();
      }
      return;
    } else if (event.key === "Enter") {
      var link = card.querySelector(".card-subject");
      if (link) { event.preventDefault(); link.click(); }
      return;
    } else {
      return;
    }
    event.preventDefault();
    if (target) target.focus();
  });
})();
