// The composer's "Draft a reply": fetches the draft fragment and puts its text into the
// public reply box for the agent to edit. It never submits the form. Without this file the
// button is a plain link to the draft's own page.
(function () {
  "use strict";

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

  function say(status, text) {
    if (status) status.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-draft-url]");
    if (!button) return;
    event.preventDefault();
    var status = document.getElementById("draft-status");
    say(status, "Drafting…");
    fetch(button.dataset.draftUrl, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var text = doc.querySelector("[data-draft-text]");
        if (!text) {
          var none = doc.querySelector("[data-draft-none]");
          say(status, none ? none.textContent.trim() : "Nothing to draft from.");
          return;
        }
        var box = publicReply();
        if (!box) return;
        // An agent's own words are kept: the draft goes after them.
        var before = box.value.replace(/\s+$/, "");
        box.value = (before ? before + "\n\n" : "") + text.value;
        box.focus();
        box.dispatchEvent(new Event("input", { bubbles: true }));
        var sources = doc.querySelector("[data-draft-sources]");
        say(status, "Draft put into the public reply; nothing was sent. " +
            (sources ? sources.textContent.replace(/\s+/g, " ").trim() : ""));
      })
      .catch(function () {
        say(status, "The draft could not be made. Try again, or open it as a page.");
      });
  });
})();
