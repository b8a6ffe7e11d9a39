// The "Suggested triage" panel of the case page: after a suggestion is applied, the case's
// header, details and timeline are read again from the case page, so the change shows at
// once (the panel itself already answered in place). Without this file the apply form
// posts normally and the whole page comes back.
(function () {
  "use strict";
  if (window.casedeskTriage) { return; }  // the side column may bring this script again
  window.casedeskTriage = true;

  var PARTS = ["#case-header", "section[aria-labelledby=\"details-title\"]", "#case-timeline"];

  document.body.addEventListener("casedesk:triage-applied", function () {
    // As an htmx request: the page without its panels (this one answered already) and
    // without recording a visit.
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
