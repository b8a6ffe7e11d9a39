// The macro form: a click on a template variable inserts it into the reply at the cursor.
// Without this file the list still tells what a reply may say.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-variable]") : null;
    var box = document.getElementById("macro-reply");
    if (!button || !box || box.disabled) return;
    var text = "{{ " + button.getAttribute("data-variable") + " }}";
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
  });
})();
