// An article's files on its edit page (kb/partials/_attachments.html). Without JavaScript
// the snippets can still be selected and copied by hand, and the forms post normally.
(function () {
  "use strict";
  // The box is drawn again after every upload, and its script tag with it: listen once.
  if (window.casedeskKbAttachments) return;
  window.casedeskKbAttachments = true;

  function say(text) {
    if (window.casedeskToast) window.casedeskToast(text);
  }

  // "Copy Markdown": the snippet of the input the button names.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-from]");
    if (!button) return;
    var input = document.getElementById(button.dataset.copyFrom);
    if (!input) return;
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        say("Copied the Markdown: paste it into the body.");
      }, function () {
        say("Copying was refused: the Markdown is selected, press Ctrl+C (⌘C).");
      });
    } else {
      say("The Markdown is selected: press Ctrl+C (⌘C) to copy it.");
    }
  });

  // An upload the server refused (too large, too many files) comes back as the box showing
  // the reason, with a 4xx status: swap it in like a success instead of a toast.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("X-Kb-Partial") === "1") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
