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

// The schedule fields offer only what the chosen regimen allows: its options carry
// data-days ("daily", "weekdays"...) and data-times (how many times a day at most).
function offerRegimenSchedules(select) {
  const form = select.form;
  const option = select.selectedOptions[0];
  if (!form || !option || !option.dataset.days) {
    return;
  }
  const days = option.dataset.days.split(" ");
  const radios = Array.from(form.querySelectorAll('input[name="dose_days"]'));
  radios.forEach((radio) => {
    const item = radio.closest("div") || radio.parentElement;
    const allowed = days.includes(radio.value);
    item.hidden = !allowed;
    radio.disabled = !allowed;
  });
  if (!radios.some((radio) => radio.checked && !radio.disabled)) {
    const first = radios.find((radio) => !radio.disabled);
    if (first) {
      first.checked = true;
    }
  }
  const second = form.querySelector('input[name="second_time"]');
  if (second) {
    const twice = Number(option.dataset.times) > 1;
    second.closest(".field").hidden = !twice;
    if (!twice) {
      second.value = "";
    }
  }
  const weekdays = form.querySelector('input[name="weekdays"]');
  if (weekdays) {
    weekdays.closest(".field").hidden = !days.includes("weekdays");
  }
}

document.addEventListener("change", (event) => {
  if (event.target.matches('select[name="regimen"]')) {
    offerRegimenSchedules(event.target);
  }
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('select[name="regimen"]').forEach(offerRegimenSchedules);
});
