// Muster's own script, small on purpose: pages work without it.

// A text box with a length limit shows "1,234 of 4,000 characters" below it (its help text,
// written by the server); this keeps the first number up to date while the person types. One
// listener on the document, so boxes swapped in by htmx count too.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!box.id) return;
  const count = document.querySelector(`[data-count-of="${CSS.escape(box.id)}"]`);
  if (count) count.textContent = box.value.length.toLocaleString("en-US");
});
