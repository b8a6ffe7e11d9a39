// The knowledge base pages' behaviour beyond htmx attributes. Each part is an enhancement:
// without JavaScript the forms post and the Preview button shows the preview.
(function () {
  "use strict";

  // A button with data-confirm asks before its form is sent (archive, delete, restore).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // The editor warns before leaving with changes not saved; saving or previewing is leaving
  // on purpose.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-unsaved-warning]");
    if (!form) return;
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  });
})();
