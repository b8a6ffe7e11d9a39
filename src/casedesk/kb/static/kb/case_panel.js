// The "Suggested articles" panel of the case page: it tells the server which suggestions it
// shows (their basis), so a refresh that would change nothing answers 204 and leaves the
// panel alone; it puts an opened article's link or text into a public reply, and closes the
// article again. Without this file the panel's forms still post.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "kb-suggestions-card") {
      var shown = elt.querySelector("[data-basis]");
      if (shown && shown.dataset.basis) event.detail.parameters.basis = shown.dataset.basis;
    }
  });

  function publicReply() {
    var composer = document.getElementById("composer");
    if (!composer) return null;
    var radio = composer.querySelector('input[name="visibility"][value="public"]');
    if (radio && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return document.getElementById("composer-body");
  }

  function insert(box, text) {
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    var lead = before && !/\n\s*$/.test(before) ? "\n\n" : "";
    box.value = before + lead + text + after;
    var caret = (before + lead + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-insert], [data-kb-close]");
    if (!button) return;
    var reader = button.closest(".kb-reader");
    if (!reader) return;
    if (button.hasAttribute("data-kb-close")) {
      reader.remove();
      return;
    }
    var source = reader.querySelector('[data-kb-text="' + button.dataset.kbInsert + '"]');
    var box = publicReply();
    if (!source || !box) return;
    insert(box, source.value.trim());
    box.scrollIntoView({ block: "center", behavior: "smooth" });
  });
})();
