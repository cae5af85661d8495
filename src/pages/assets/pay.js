// cashgate's status page, followed live. The page works without this
// script (it then reloads itself every 10 s); with it, a long poll of
// /api/payments/{id}?wait=25&state=S returns as soon as the payment
// leaves state S, and the page's parts are then replaced by the server's
// own new rendering of them, so every sentence stays server-side and in
// the page's language. Errors back off (1 s doubling to 30 s, with
// jitter). No framework, no other origin, no inline script (the pages'
// CSP is script-src 'self').
(function () {
  "use strict";

  var WAIT_S = 25;
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var RETURN_AFTER_MS = 5000;
  var FINAL = { credited: true, rejected: true, expired: true };
  // The parts of the page that change with the state; each is always
  // present (maybe empty), so they keep their place on the page.
  var PARTS = ["payment-state", "payment-facts", "payment-next", "payment-demo"];
  var COPIED_ATTRIBUTES = ["class", "data-state", "hidden"];

  var failures = 0;
  var returning = false;

  function stateElement() {
    return document.getElementById("payment-state");
  }

  function retryLater(step) {
    failures += 1;
    var ms = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, failures - 1));
    setTimeout(step, ms / 2 + Math.random() * (ms / 2));
  }

  function poll() {
    var element = stateElement();
    if (!element) {
      return;
    }
    var state = element.getAttribute("data-state");
    if (FINAL[state]) {
      followReturn();
      return;
    }
    var url = element.getAttribute("data-poll") +
      "?wait=" + WAIT_S + "&state=" + encodeURIComponent(state);
    fetch(url, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("poll answered " + response.status);
        }
        return response.json();
      })
      .then(function (reply) {
        failures = 0;
        if (reply.state === state) {
          poll();
        } else {
          refresh();
        }
      })
      .catch(function () {
        retryLater(poll);
      });
  }

  // Asks the server for the page as it is now and takes its parts.
  function refresh() {
    fetch(location.href, { cache: "no-store", credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("page answered " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        failures = 0;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        PARTS.forEach(function (id) {
          replacePart(id, fresh);
        });
        document.title = fresh.title;
        sendInBackground();
        poll();
      })
      .catch(function () {
        retryLater(refresh);
      });
  }

  // The element stays the same one, so that a screen reader announces the
  // new words of the live region.
  function replacePart(id, fresh) {
    var old = document.getElementById(id);
    var next = fresh.getElementById(id);
    if (!old || !next) {
      return;
    }
    COPIED_ATTRIBUTES.forEach(function (name) {
      if (next.hasAttribute(name)) {
        old.setAttribute(name, next.getAttribute(name));
      } else {
        old.removeAttribute(name);
      }
    });
    old.innerHTML = next.innerHTML;
  }

  // Credited, with a way back to the store: go back after a few seconds.
  function followReturn() {
    var link = document.getElementById("return-link");
    if (!link || returning) {
      return;
    }
    returning = true;
    setTimeout(function () {
      location.assign(link.href);
    }, RETURN_AFTER_MS);
  }

  // Forms marked data-background post without leaving the page (the
  // demo's "simulate the wallet SMS"), so the state can be watched change.
  function sendInBackground() {
    var forms = document.querySelectorAll("form[data-background]");
    Array.prototype.forEach.call(forms, function (form) {
      if (form.getAttribute("data-bound")) {
        return;
      }
      form.setAttribute("data-bound", "1");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        if (button) {
          button.disabled = true;
        }
        var body = new URLSearchParams(new FormData(form));
        fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
          .then(function () {
            var note = form.querySelector("[data-sent]");
            if (note) {
              note.hidden = false;
            }
          })
          .catch(function () {
            if (button) {
              button.disabled = false;
            }
          });
      });
    });
  }

  sendInBackground();
  poll();
})();
