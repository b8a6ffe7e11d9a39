// The automation rule editor. The page works without it (the "Show the fields" buttons
// re-render the form for the trigger or action kind chosen); with it:
// - the trigger's options follow the trigger select;
// - each action row shows the inputs of its kind, and the other kinds' inputs are disabled
//   so the row sends its kind's only.
// Condition rows are handled by console/routing.js (operators per field).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function syncTrigger(form) {
    var select = form.querySelector("[data-trigger-select]");
    if (!select) return;
    form.querySelectorAll(".trigger-options").forEach(function (group) {
      var kinds = (group.dataset.trigger || "").split(" ");
      group.hidden = kinds.indexOf(select.value) === -1;
    });
  }

  function syncAction(row) {
    var select = row.querySelector("[data-action-kind]");
    if (!select) return;
    row.querySelectorAll(".action-kind").forEach(function (group) {
      var active = group.dataset.kind === select.value;
      group.hidden = !active;
      group.disabled = !active;
    });
  }

  function setup(root) {
    var form = root.id === "rule-form" ? root : root.querySelector && root.querySelector("#rule-form");
    if (!form) return;
    syncTrigger(form);
    form.querySelectorAll(".action-row").forEach(syncAction);
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.matches) return;
    if (el.matches("[data-trigger-select]")) syncTrigger(el.closest("form"));
    if (el.matches("[data-action-kind]")) syncAction(el.closest(".action-row"));
  });

  document.addEventListener("DOMContentLoaded", function () { setup(document); });
  document.addEventListener("htmx:load", function (event) { setup(event.detail.elt); });
})();
