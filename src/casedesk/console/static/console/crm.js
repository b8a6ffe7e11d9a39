// Record pickers and the new-case form. Everything here enhances forms that already work
// without JavaScript: a picker starts as a plain <select>; this turns it into a search box
// (htmx fetches the matches) that fills the same select, which stays the submitted field.
(function () {
  "use strict";

  function parts(root) {
    return {
      select: root.querySelector(".picker-select"),
      live: root.querySelector(".picker-live"),
      input: root.querySelector(".picker-live input"),
      results: root.querySelector(".picker-results"),
      clear: root.querySelector(".picker-clear"),
    };
  }

  function pickerNamed(form, name) {
    return form ? form.querySelector('[data-picker="' + name + '"]') : null;
  }

  function refresh(root) {
    var p = parts(root);
    var picked = !!p.select.value;
    root.classList.toggle("is-picked", picked);
    p.clear.hidden = !p.input.value;
  }

  function close(root) {
    var p = parts(root);
    p.results.innerHTML = "";
    p.input.setAttribute("aria-expanded", "false");
  }

  function choose(root, id, text) {
    var p = parts(root);
    id = id ? String(id) : "";
    if (id && !Array.prototype.some.call(p.select.options, function (o) { return o.value === id; })) {
      p.select.add(new Option(text, id));
    }
    p.select.value = id;
    p.input.value = id ? text : "";
    p.input.dataset.picked = p.input.value;
    close(root);
    refresh(root);
  }

  function setup(root) {
    if (root.dataset.ready) return;
    var p = parts(root);
    if (!p.select || !p.live || !p.input) return;
    root.dataset.ready = "1";
    p.select.hidden = true;
    p.select.tabIndex = -1;
    p.live.hidden = false;
    var label = root.querySelector('label[for="' + p.select.id + '"]');
    if (label) label.htmlFor = p.input.id;
    p.input.dataset.picked = p.input.value;
    refresh(root);
  }

  function onPick(option) {
    var root = option.closest("[data-picker]");
    var form = root.closest("form");
    choose(root, option.dataset.id, option.dataset.text);
    if (root.dataset.picker === "contact") {
      root.dataset.contactAccount = option.dataset.accountId || "";
      var account = pickerNamed(form, "account");
      if (account && option.dataset.accountId) {
        choose(account, option.dataset.accountId, option.dataset.accountText);
      }
    } else if (root.dataset.picker === "account") {
      // A contact of another account no longer fits: drop it rather than send a mismatch.
      var contact = pickerNamed(form, "contact");
      if (contact && contact.dataset.contactAccount &&
          contact.dataset.contactAccount !== option.dataset.id) {
        contact.dataset.contactAccount = "";
        choose(contact, "", "");
      }
    }
    parts(root).input.focus();
  }

  function options(root) {
    return Array.prototype.slice.call(root.querySelectorAll(".picker-option"));
  }

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".picker-option");
    if (option) { onPick(option); return; }
    var clear = event.target.closest && event.target.closest(".picker-clear");
    if (clear) {
      var root = clear.closest("[data-picker]");
      if (root.dataset.picker === "contact") root.dataset.contactAccount = "";
      choose(root, "", "");
      parts(root).input.focus();
      return;
    }
    document.querySelectorAll("[data-picker]").forEach(function (root) {
      if (!root.contains(event.target)) close(root);
    });
  });

  document.addEventListener("input", function (event) {
    var root = event.target.closest && event.target.closest("[data-picker]");
    if (!root || !event.target.matches(".picker-live input")) return;
    var p = parts(root);
    // Editing the text un-chooses the record: what the box shows is what is sent.
    if (p.input.value !== p.input.dataset.picked && p.select.value) {
      p.select.value = "";
      if (root.dataset.picker === "contact") root.dataset.contactAccount = "";
    }
    refresh(root);
  });

  document.addEventListener("keydown", function (event) {
    var root = event.target.closest && event.target.closest("[data-picker]");
    if (!root || !root.dataset.ready) return;
    var list = options(root);
    var at = list.indexOf(event.target);
    if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      list[Math.min(at + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) parts(root).input.focus(); else list[at - 1].focus();
    } else if (event.key === "Escape") {
      close(root);
      parts(root).input.focus();
    } else if (event.key === "Enter" && event.target.matches(".picker-live input")) {
      // Enter in the search box takes the first match instead of submitting the form.
      event.preventDefault();
      if (list.length) onPick(list[0]);
    }
  });

  // A box showing its chosen record selects its text on focus, so typing starts a new search.
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el.matches && el.matches(".picker-live input") && el.value && el.value === el.dataset.picked) {
      el.select();
    }
  });

  // Focusing a box that shows its chosen record needs no list; typing asks again.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var el = event.detail.elt;
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (!el.matches || !el.matches(".picker-live input") || !trigger || trigger.type !== "focus") return;
    if (el.value && el.value === el.dataset.picked) event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var root = event.target.closest && event.target.closest("[data-picker]");
    if (root) parts(root).input.setAttribute("aria-expanded", event.target.children.length ? "true" : "false");
  });

  // Subcategories: show only those of the chosen category.
  function filterSubcategories(form) {
    var category = form.querySelector("select[name=category]");
    var sub = form.querySelector("select[name=subcategory]");
    if (!category || !sub) return;
    Array.prototype.forEach.call(sub.querySelectorAll("optgroup"), function (group) {
      var fits = !category.value || group.label === category.value;
      group.hidden = !fits;
      group.disabled = !fits;
    });
    var chosen = sub.selectedOptions[0];
    if (chosen && chosen.parentNode.tagName === "OPTGROUP" && chosen.parentNode.disabled) sub.value = "";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[name=category]")) {
      filterSubcategories(event.target.form);
    }
  });

  // One click, one case: the one-time key makes a repeat harmless, this makes it rare.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-testid=case-new-form]")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.querySelectorAll("button:not([type=button])").forEach(function (b) { b.disabled = true; });
  });

  // Coming back to the page (history, bfcache) re-arms the form.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button:not([type=button])").forEach(function (b) { b.disabled = false; });
    });
  });

  function init() {
    document.querySelectorAll("[data-picker]").forEach(setup);
    document.querySelectorAll("form").forEach(filterSubcategories);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
