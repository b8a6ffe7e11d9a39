/* casedesk live chat: the loader a site adds with one tag,
     <script src="{origin}/chat/{tenant}/widget.js" async></script>
   It puts a "Chat with us" button and the chat's frame on the page and nothing else: no
   inline script or style (styles are set through the DOM, which a Content-Security-Policy
   allows), no cookie, no request of its own. The site's policy needs casedesk's origin in
   `script-src` and `frame-src`; the frame itself may only be shown by the sites the tenant
   listed (its `frame-ancestors`). */
(function () {
  "use strict";
  var config = {{ config|safe }};
  var mark = "casedeskChat:" + config.frame;
  if (window[mark]) { return; }  // the tag pasted twice
  window[mark] = true;
  var frameOrigin = new URL(config.frame).origin;
  if (window.location.origin !== frameOrigin && config.allowed.indexOf(window.location.origin) < 0) {
    if (window.console) {
      window.console.warn("casedesk chat: " + window.location.origin + " is not among the " +
                          "sites allowed to show this chat (Settings > Chat), so it stays off.");
    }
    return;
  }
  var label = "Chat with us";
  var button, frame, open = false, unread = 0;

  function css(element, rules) {
    Object.keys(rules).forEach(function (name) { element.style.setProperty(name, rules[name]); });
  }

  function tell(what) {
    if (frame && frame.contentWindow) {
      frame.contentWindow.postMessage({casedeskChat: what}, frameOrigin);
    }
  }

  function caption() {
    if (open) { return "Close chat"; }
    return unread > 0 ? label + " (" + unread + " new)" : label;
  }

  function show(on) {
    open = on;
    if (on) { unread = 0; }
    css(frame, {display: on ? "block" : "none"});
    button.setAttribute("aria-expanded", on ? "true" : "false");
    button.textContent = caption();
    tell(on ? "shown" : "hidden");
    if (on) { frame.focus(); }
  }

  function start() {
    button = document.createElement("button");
    button.type = "button";
    button.id = "casedesk-chat-launcher";
    button.setAttribute("aria-controls", "casedesk-chat-frame");
    button.setAttribute("aria-expanded", "false");
    button.textContent = label;
    css(button, {
      position: "fixed", right: "20px", bottom: "20px", "z-index": "2147483000",
      padding: "12px 20px", border: "0", "border-radius": "24px", cursor: "pointer",
      background: "#1f5fbf", color: "#fff", font: "600 15px/1.2 system-ui, sans-serif",
      "box-shadow": "0 4px 14px rgba(0,0,0,.25)"
    });
    frame = document.createElement("iframe");
    frame.id = "casedesk-chat-frame";
    frame.title = "Chat with " + config.name;
    // The host page's address travels in the fragment: it never reaches a server log.
    frame.src = config.frame + "#host=" + encodeURIComponent(window.location.origin) +
      "&page=" + encodeURIComponent(window.location.href.slice(0, 1000));
    css(frame, {
      display: "none", position: "fixed", right: "20px", bottom: "80px",
      width: "370px", "max-width": "calc(100vw - 40px)", height: "560px",
      "max-height": "calc(100vh - 100px)", border: "0", "border-radius": "12px",
      background: "#fff", "box-shadow": "0 8px 30px rgba(0,0,0,.25)", "z-index": "2147483000"
    });
    button.addEventListener("click", function () { show(!open); });
    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow || event.origin !== frameOrigin) { return; }
      var what = event.data && event.data.casedeskChat;
      if (what === "ready") {
        tell(open ? "shown" : "hidden");
      } else if (what === "open") {  // a chat going on before the page was (re)loaded
        if (!open) { show(true); }
      } else if (what === "close") {
        show(false);
        button.focus();
      } else if (what === "unread" && !open) {
        unread = Math.max(0, parseInt(event.data.count, 10) || 0);
        button.textContent = caption();
      }
    });
    document.body.appendChild(frame);
    document.body.appendChild(button);
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
