// The case page's enhancements: refusals swapped in next to their control, the typing flag
// of the collision notice, @mention completion, the category → subcategory filter, and
// keyboard niceties. Without this file every form still posts and the page still reads.
(function () {
  "use strict";

  var TYPING_FRESH_MS = 4000;
  var lastTyped = 0;
  var lastTypingPing = 0;

  function composerText() {
    var box = document.getElementById("composer-body");
    return box ? box.value.trim() : "";
  }

  // A refusal (409/422) marked by the server as a partial replaces the control it is about,
  // so the reason shows next to it instead of only in a toast.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Case-Partial")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The presence poll says whether I am typing (the composer has text that changed lately)
  // and which notice the page shows: the server answers 204 while it would show the same.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "presence") {
      var typing = composerText() && Date.now() - lastTyped < TYPING_FRESH_MS;
      event.detail.parameters.typing = typing ? "1" : "";
      var shown = elt.querySelector("[data-seen]");
      if (shown) event.detail.parameters.seen = shown.dataset.seen;
    }
  });

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.id === "composer-body") {
      lastTyped = Date.now();
      // Tell the others at once when I start typing, not only at the next poll.
      if (lastTyped - lastTypingPing > TYPING_FRESH_MS && composerText()) {
        lastTypingPing = lastTyped;
        document.body.dispatchEvent(new CustomEvent("casedesk:typing"));
      }
      mentionLookup(el);
    }
  });

  // Category editor: offer only the subcategories of the chosen category.
  function filterSubcategories(categorySelect) {
    var form = categorySelect.form;
    var sub = form && form.querySelector("[data-subcategory]");
    if (!sub) return;
    var chosen = categorySelect.value;
    sub.querySelectorAll("optgroup").forEach(function (group) {
      var match = group.label === chosen;
      group.hidden = !match;
      group.disabled = !match;
    });
    var selected = sub.options[sub.selectedIndex];
    if (selected && selected.parentElement.tagName === "OPTGROUP" && selected.parentElement.disabled) {
      sub.value = "";
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-category]")) filterSubcategories(event.target);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("[data-category]").forEach(filterSubcategories);
  });

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    // Escape leaves a field editor unchanged.
    if (event.key === "Escape" && el.closest) {
      var editor = el.closest(".field.editing");
      if (editor && !menuOpen()) {
        var cancel = editor.querySelector("[data-cancel]");
        if (cancel) { event.preventDefault(); cancel.click(); }
        return;
      }
      var dialog = el.closest("details[open]");
      if (dialog) { dialog.open = false; dialog.querySelector("summary").focus(); }
    }
    // Ctrl/Cmd+Enter sends the composer.
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && el.id === "composer-body") {
      event.preventDefault();
      el.form.requestSubmit();
    }
  });

  // One open move dialog at a time; a click elsewhere closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll(".move-dialog[open]").forEach(function (dialog) {
      if (!dialog.contains(event.target)) dialog.open = false;
    });
  });
  document.addEventListener("toggle", function (event) {
    var dialog = event.target;
    if (dialog.matches && dialog.matches(".move-dialog") && dialog.open) {
      var area = dialog.querySelector("textarea");
      if (area) area.focus();
    }
  }, true);

  // Leaving the page ends my presence at once instead of after the poll window.
  window.addEventListener("pagehide", function () {
    var page = document.querySelector("[data-leave-url]");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!page || !token || !navigator.sendBeacon) return;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", token.value);
    navigator.sendBeacon(page.dataset.leaveUrl, data);
  });

  // Subcategories follow the category also when the editor came with the page (no htmx).
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-category]").forEach(filterSubcategories);
  });

  // ---- @mention completion -------------------------------------------------------------
  var menuState = { box: null, start: -1, items: [], active: 0, timer: null, seq: 0 };

  function menu() {
    return menuState.box ? menuState.box.parentElement.querySelector(".mention-menu") : null;
  }
  function menuOpen() {
    var list = menu();
    return !!(list && !list.hidden);
  }
  function closeMenu() {
    var list = menu();
    if (list) { list.hidden = true; list.innerHTML = ""; }
    if (menuState.box) {
      menuState.box.removeAttribute("aria-activedescendant");
    }
    menuState.items = [];
  }

  function mentionLookup(box) {
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|[^\w.@])@([\w.\-]{0,30})$/.exec(before);
    menuState.box = box;
    if (!match) { closeMenu(); return; }
    menuState.start = before.length - match[2].length - 1;
    clearTimeout(menuState.timer);
    menuState.timer = setTimeout(function () { fetchMembers(box, match[2]); }, 120);
  }

  function fetchMembers(box, query) {
    var seq = ++menuState.seq;
    var url = box.dataset.mentionsUrl + "?q=" + encodeURIComponent(query);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { members: [] }; })
      .then(function (data) {
        if (seq !== menuState.seq) return; // a newer keystroke won
        showMenu(box, data.members || []);
      })
      .catch(closeMenu);
  }

  function showMenu(box, members) {
    var list = menu();
    if (!list) return;
    if (!members.length) { closeMenu(); return; }
    menuState.items = members;
    menuState.active = 0;
    list.innerHTML = "";
    members.forEach(function (member, index) {
      var item = document.createElement("li");
      item.id = "mention-option-" + index;
      item.setAttribute("role", "option");
      var name = document.createElement("span");
      name.textContent = member.name;
      var handle = document.createElement("span");
      handle.className = "handle";
      handle.textContent = "@" + member.handle;
      item.appendChild(name);
      item.appendChild(handle);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the textarea
        pick(index);
      });
      list.appendChild(item);
    });
    list.hidden = false;
    box.setAttribute("aria-controls", "mention-menu");
    list.id = "mention-menu";
    highlight();
  }

  function highlight() {
    var list = menu();
    if (!list) return;
    Array.prototype.forEach.call(list.children, function (item, index) {
      item.setAttribute("aria-selected", index === menuState.active ? "true" : "false");
    });
    menuState.box.setAttribute("aria-activedescendant", "mention-option-" + menuState.active);
  }

  function pick(index) {
    var box = menuState.box;
    var member = menuState.items[index];
    if (!box || !member) return;
    var caret = box.selectionStart;
    var text = "@" + member.handle + " ";
    box.value = box.value.slice(0, menuState.start) + text + box.value.slice(caret);
    var at = menuState.start + text.length;
    box.setSelectionRange(at, at);
    box.focus();
    closeMenu();
  }

  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "composer-body" || !menuOpen()) return;
    var count = menuState.items.length;
    if (event.key === "ArrowDown") {
      menuState.active = (menuState.active + 1) % count; highlight(); event.preventDefault();
    } else if (event.key === "ArrowUp") {
      menuState.active = (menuState.active - 1 + count) % count; highlight(); event.preventDefault();
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (!(event.ctrlKey || event.metaKey)) { pick(menuState.active); event.preventDefault(); }
    } else if (event.key === "Escape") {
      closeMenu(); event.preventDefault(); event.stopPropagation();
    }
  }, true);

  document.addEventListener("focusout", function (event) {
    if (event.target.id === "composer-body") setTimeout(closeMenu, 150);
  });
})();
