// Behaviour for Kineret Portal. No inline script anywhere: the CSP forbids it.
"use strict";

// Move focus to new content that asks for it (an alert, a confirmation) so keyboard
// and screen-reader users land there: after htmx swaps content in, including
// out-of-band swaps, and on a page that opens with such an alert.
function focusNewAlert() {
  const target = document.querySelector("[data-focus-on-swap]:not([data-focused])");
  if (!target) {
    return;
  }
  target.setAttribute("data-focused", "");
  if (!target.hasAttribute("tabindex")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus();
}

document.addEventListener("htmx:afterSettle", focusNewAlert);
document.addEventListener("DOMContentLoaded", focusNewAlert);

// "Print this page" buttons are links (they work without JavaScript as a reload).
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-print]");
  if (trigger) {
    event.preventDefault();
    window.print();
  }
});

// A time-zone list the person has not chosen from yet starts at the browser's own zone.
// Without JavaScript the list says "Choose…" and the form asks for a choice.
function preselectBrowserZone() {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  document.querySelectorAll("select[data-browser-zone]").forEach((select) => {
    if (select.value === "" && zone && select.querySelector(`option[value="${CSS.escape(zone)}"]`)) {
      select.value = zone;
    }
  });
}

document.addEventListener("DOMContentLoaded", preselectBrowserZone);
