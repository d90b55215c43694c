// Muster's own behaviour in the browser, beside Bootstrap and htmx. Everything works without it.
//
// A form that posts disables its buttons while it is on its way, so a double click sends it
// once (the server also acts once per form: accounts/once.py). The buttons come back when the
// page is shown again from the browser's history, and after an htmx request ends.
(function () {
  "use strict";
  var BUTTONS = "button[type=submit], button:not([type]), input[type=submit]";

  function setBusy(form, busy) {
    form.querySelectorAll(BUTTONS).forEach(function (button) {
      button.disabled = busy;
      if (busy) {
        button.setAttribute("aria-disabled", "true");
      } else {
        button.removeAttribute("aria-disabled");
      }
    });
    if (busy) {
      form.setAttribute("aria-busy", "true");
    } else {
      form.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post") {
      return; // htmx handles its own forms (below); a GET form (filters) may be sent again
    }
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    // After the submission has started, so the clicked button's name and value are still sent.
    window.setTimeout(function () { setBusy(form, true); }, 0);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      setBusy(form, false);
    });
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM") {
      setBusy(form, true);
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM" && form.isConnected) {
      setBusy(form, false);
    }
  });
})();

// A text box with a length limit shows "1,234 of 4,000 characters" below it (its help text,
// written by the server); this keeps the first number up to date while the person types. One
// listener on the document, so boxes swapped in by htmx count too.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!box.id) return;
  const count = document.querySelector(`[data-count-of="${CSS.escape(box.id)}"]`);
  if (count) count.textContent = box.value.length.toLocaleString("en-US");
});

// On a phone the filters fold away until asked for, so the first screen shows items, not a form;
// applied filters stay open, to be seen. Without this script the filters are simply open.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.matchMedia("(max-width: 575.98px)").matches) return;
  document.querySelectorAll("details[data-fold-on-phone]").forEach((panel) => {
    if (!window.location.search) panel.open = false;
  });
});

// A session's roster (training): the checkbox list of a thousand people gains a filter by name
// or number and one by unit, and a count of the people ticked. Without this script the whole
// list shows, grouped by unit; people ticked and then filtered out stay ticked and are sent.
document.querySelectorAll("[data-roster-tools]").forEach((tools) => {
  const list = tools.closest("fieldset").querySelector("[data-roster]");
  const text = tools.querySelector("input[type=search]");
  const unit = tools.querySelector("select");
  const count = tools.querySelector("[data-roster-count]");
  const update = () => {
    const wanted = text.value.trim().toLowerCase();
    list.querySelectorAll("[data-roster-unit]").forEach((group) => {
      const unitShown = !unit.value || unit.value === group.dataset.rosterUnit;
      let shown = 0;
      group.querySelectorAll("[data-roster-person]").forEach((person) => {
        person.hidden = !(unitShown && person.dataset.rosterPerson.includes(wanted));
        if (!person.hidden) shown += 1;
      });
      group.hidden = shown === 0;
    });
    const ticked = list.querySelectorAll("input:checked").length;
    count.textContent = `${ticked} ${ticked === 1 ? "person" : "people"} ticked`;
  };
  tools.hidden = false;
  text.addEventListener("input", update);
  unit.addEventListener("change", update);
  list.addEventListener("change", update);
  update();
});
