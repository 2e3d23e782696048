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
