// Small progressive enhancements; every page works without them.
// (No inline handlers anywhere: the Content-Security-Policy allows scripts from this origin only.)
document.addEventListener("DOMContentLoaded", () => {
  // A select with data-autosubmit submits its form when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // A button with data-print prints the page.
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // "Select all" checkbox in a table header ticks the row boxes with the same name.
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`).forEach((row) => {
        row.checked = box.checked;
      });
    });
  });
});
