// Routing pages. Everything here enhances pages that work without it:
// - the rule form offers, for each condition, only the operators its field takes, shows the
//   custom-field key box only for "Custom field…", and suggests values for the field;
// - the rules list keeps keyboard focus on the control that was used when htmx swaps the list
//   in (so do the SLA lists, marked data-keep-focus), and lets a rule be dragged by its handle (the ↑/↓ buttons do the same by keyboard).
(function () {
  "use strict";

  var NO_VALUE = { is_empty: true, is_set: true };

  function operators() {
    var el = document.getElementById("rule-operators");
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function syncRow(row, ops) {
    var field = row.querySelector('[data-cond="field"]');
    var op = row.querySelector('[data-cond="op"]');
    var keyBox = row.querySelector('[data-cond="key-box"]');
    var value = row.querySelector('[data-cond="value"]');
    if (!field || !op) return;
    var allowed = ops[field.value] || [];
    Array.prototype.forEach.call(op.options, function (option) {
      var ok = allowed.indexOf(option.value) !== -1;
      option.hidden = !ok;
      option.disabled = !ok;
    });
    if (allowed.length && allowed.indexOf(op.value) === -1) op.value = allowed[0];
    if (keyBox) keyBox.hidden = field.value !== "custom";
    if (value) {
      value.setAttribute("list", "values-" + (field.value === "custom" ? "none" : field.value));
      var needsNone = !!NO_VALUE[op.value];
      value.disabled = needsNone;
      value.placeholder = needsNone ? "no value needed"
        : (op.value === "in" || op.value === "not_in") ? "values, separated by commas" : "value";
    }
  }

  function setupConditions(root) {
    var ops = operators();
    if (!ops) return;
    root.querySelectorAll(".condition-row").forEach(function (row) { syncRow(row, ops); });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches('[data-cond="field"], [data-cond="op"]')) return;
    var ops = operators();
    var row = el.closest(".condition-row");
    if (ops && row) syncRow(row, ops);
  });

  // The value input is disabled for "is empty"/"is set" only while editing: re-enable it
  // before the form is sent, so every row posts the same set of fields.
  document.addEventListener("submit", function (event) {
    if (!event.target.querySelectorAll) return;
    event.target.querySelectorAll('[data-cond="value"]:disabled').forEach(function (input) {
      input.disabled = false;
      input.value = "";
    });
  }, true);
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (!form) return;
    form.querySelectorAll('[data-cond="value"]:disabled').forEach(function (input) {
      event.detail.parameters[input.name] = "";
    });
  });

  // --- the rules list -------------------------------------------------------------------------

  var lastFocus = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var el = event.detail.elt;
    if (el && el.closest && el.closest("#rules, [data-keep-focus]")) {
      var active = document.activeElement;
      lastFocus = active && active.id ? active.id : null;
    }
  });

  function restoreFocus(rules) {
    var target = lastFocus ? document.getElementById(lastFocus) : null;
    lastFocus = null;
    if (target && target.disabled) {
      // Moved to the top (or bottom): the other direction's button is the one to press next.
      var other = target.id.indexOf("up-") === 0 ? target.id.replace("up-", "down-")
        : target.id.replace("down-", "up-");
      target = document.getElementById(other);
    }
    if (!target || target.disabled) target = rules.querySelector("a, button:not([disabled])");
    if (target) target.focus();
  }

  function ruleOrder(rules) {
    return Array.prototype.map.call(rules.querySelectorAll("tr[data-rule-id]"), function (row) {
      return row.dataset.ruleId;
    });
  }

  var dragged = null;
  var before = null;

  function setupDrag(rules) {
    if (!rules.dataset.reorderUrl || rules.dataset.dragReady) return;
    rules.dataset.dragReady = "1";
    var tbody = rules.querySelector("tbody");
    rules.addEventListener("dragstart", function (event) {
      var handle = event.target.closest && event.target.closest(".drag-handle");
      if (!handle) return;
      dragged = handle.closest("tr");
      before = ruleOrder(rules).join(",");
      dragged.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.ruleId);
      if (event.dataTransfer.setDragImage) event.dataTransfer.setDragImage(dragged, 20, 20);
    });
    rules.addEventListener("dragover", function (event) {
      if (!dragged) return;
      var row = event.target.closest && event.target.closest("tr[data-rule-id]");
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      if (!row || row === dragged) return;
      var box = row.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      tbody.insertBefore(dragged, after ? row.nextSibling : row);
    });
    rules.addEventListener("drop", function (event) {
      if (dragged) event.preventDefault();
    });
    rules.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("is-dragging");
      var order = ruleOrder(rules).join(",");
      var moved = dragged;
      dragged = null;
      if (order === before) return;
      rules.classList.add("is-saving");
      window.htmx.ajax("POST", rules.dataset.reorderUrl, {
        source: moved, target: "#rules", swap: "outerHTML", values: { rule_ids: order }
      });
    });
  }

  function setup(root) {
    setupConditions(root);
    var rules = root.id === "rules" ? root : root.querySelector && root.querySelector("#rules");
    if (rules) setupDrag(rules);
  }

  document.addEventListener("htmx:load", function (event) { setup(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { setup(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var keeps = event.target.id === "rules" ||
      (event.target.hasAttribute && event.target.hasAttribute("data-keep-focus"));
    if (keeps && lastFocus) restoreFocus(event.target);
  });
  // A refused reorder leaves the rows where they were dropped: fetch the list as it is (the
  // toast from console.js says why).
  document.addEventListener("htmx:responseError", function () {
    var rules = document.getElementById("rules");
    if (!rules || !rules.classList.contains("is-saving")) return;
    window.htmx.ajax("GET", window.location.pathname, {
      source: rules, target: "#rules", select: "#rules", swap: "outerHTML"
    });
  });
})();
