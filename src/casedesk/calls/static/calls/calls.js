// The case page's "Calls" panel: after a call is logged (the panel already answered in
// place), the case's timeline is read again from the case page, so the call shows on it at
// once. Without this file the form posts normally and the whole page comes back.
(function () {
  "use strict";
  if (window.casedeskCalls) { return; }  // the panel brings this script again when it reloads
  window.casedeskCalls = true;

  var PARTS = ["#case-timeline"];

  document.body.addEventListener("casedesk:call-logged", function () {
    // As an htmx request: the page without its panels, and without recording a visit.
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        PARTS.forEach(function (selector) {
          var now = document.querySelector(selector);
          var next = fresh.querySelector(selector);
          if (now && next) {
            now.replaceWith(next);
            if (window.htmx) { window.htmx.process(next); }
          }
        });
      });
  });
})();
