// The idle sign-out warning (portal/idle.py signs out; this only warns and follows).
// A minute before the session's deadline it opens the dialog in _base.html; "Stay
// signed in" starts the idle time again. Before it warns or leaves the page it asks the
// server how long is left: another tab may have kept the session going. Nothing is kept
// in the browser's storage.
"use strict";

(() => {
  const dialog = document.getElementById("idle-warning");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  const WARN_SECONDS = 60;
  // After a failed call, ask again this much later.
  const RETRY_SECONDS = 15;
  const sessionUrl = dialog.dataset.sessionUrl;
  const loginUrl = dialog.dataset.loginUrl;
  const status = dialog.querySelector("[data-idle-status]");
  const stay = dialog.querySelector("[data-idle-stay]");
  let timer = null;

  // The same token htmx sends: the one on <body hx-headers>.
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
    } catch (error) {
      return "";
    }
  }

  // Seconds left, or null when the session has ended. A session past its deadline
  // answers with a redirect to the sign-in page; it is not followed, so the sign-in page
  // that is loaded next still shows why.
  async function secondsLeft(method) {
    const headers = { Accept: "application/json" };
    if (method === "POST") {
      headers["X-CSRFToken"] = csrfToken();
    }
    const response = await fetch(sessionUrl, {
      method,
      headers,
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store",
    });
    if (response.type === "opaqueredirect" || response.status === 401) {
      return null;
    }
    if (!response.ok) {
      throw new Error(`The portal answered ${response.status}`);
    }
    const data = await response.json();
    return Number(data.seconds_left);
  }

  function later(seconds, action) {
    window.clearTimeout(timer);
    timer = window.setTimeout(action, Math.max(seconds, 0) * 1000);
  }

  function open() {
    if (dialog.open) {
      return;
    }
    status.textContent = "";
    dialog.returnValue = "";
    // Focus moves to "Stay signed in" (autofocus); closing gives it back (the browser
    // remembers where it was).
    dialog.showModal();
  }

  function close() {
    if (!dialog.open) {
      return;
    }
    dialog.close("answered");
  }

  function toSignIn() {
    const here = window.location.pathname + window.location.search;
    window.location.assign(`${loginUrl}?next=${encodeURIComponent(here)}`);
  }

  function follow(left) {
    if (left === null) {
      toSignIn();
    } else if (left > WARN_SECONDS) {
      close();
      later(left - WARN_SECONDS, check);
    } else {
      open();
      // A second past the deadline, so the server has signed out by then.
      later(left + 1, check);
    }
  }

  async function check() {
    try {
      follow(await secondsLeft("GET"));
    } catch (error) {
      later(RETRY_SECONDS, check);
    }
  }

  async function keepSignedIn() {
    try {
      follow(await secondsLeft("POST"));
    } catch (error) {
      open();
      status.textContent = "The portal could not be reached. Check your connection, then try again.";
    }
  }

  stay.addEventListener("click", keepSignedIn);
  // Escape closes the dialog (the browser decides whether "cancel" can stop it); whoever
  // pressed it is here, so it counts as staying.
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "answered") {
      keepSignedIn();
    }
  });
  // A page restored from the back-forward cache kept its old timer: ask again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      check();
    }
  });

  const left = Number(dialog.dataset.deadline) - Number(dialog.dataset.serverNow);
  if (dialog.dataset.deadline && Number.isFinite(left)) {
    follow(left);
  } else {
    check();
  }
})();
