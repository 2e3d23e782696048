// Behaviour for Kineret Portal. No inline script anywhere: the CSP forbids it.
"use strict";

// After htmx swaps content in, move focus to the element that asks for it
// (an alert, a confirmation) so keyboard and screen-reader users land there.
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.elt;
  const focusable = target.matches("[data-focus-on-swap]")
    ? target
    : target.querySelector("[data-focus-on-swap]");
  if (focusable) {
    if (!focusable.hasAttribute("tabindex")) {
      focusable.setAttribute("tabindex", "-1");
    }
    focusable.focus();
  }
});

// "Print this page" buttons are links (they work without JavaScript as a reload).
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-print]");
  if (trigger) {
    event.preventDefault();
    window.print();
  }
});
