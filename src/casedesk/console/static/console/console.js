// casedesk console behaviour that htmx attributes alone cannot express. Every feature here
// is an enhancement: the pages read and work (forms post) without it.
(function () {
  "use strict";

  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  window.casedeskToast = toast;

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]")) el.form.requestSubmit();
  });

  // Refusals from the server (409/422 with a JSON or text detail) show as a toast instead of
  // being swapped into the page.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = xhr.responseText || "Something went wrong.";
    try { text = JSON.parse(text).detail || text; } catch (e) { /* plain text */ }
    toast(text);
  });

  // Polling while the page is in view: an element with data-poll-seconds="N" gets a
  // casedesk:poll event every N seconds (its hx-trigger listens for it), and none while the
  // tab is hidden. htmx's own `every Ns [filter]` would compile the filter with eval, which
  // the Content-Security-Policy forbids.
  var lastPoll = new WeakMap();
  setInterval(function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    var now = Date.now();
    document.querySelectorAll("[data-poll-seconds]").forEach(function (el) {
      var last = lastPoll.get(el);
      if (last === undefined) { lastPoll.set(el, now); return; }
      if (now - last >= 1000 * Number(el.dataset.pollSeconds)) {
        lastPoll.set(el, now);
        window.htmx.trigger(el, "casedesk:poll");
      }
    });
  }, 500);

  // "Select all" for bulk actions.
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=numbers]").forEach(function (box) {
        box.checked = el.checked;
      });
    }
  });
})();
