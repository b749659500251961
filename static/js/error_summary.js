// Moves focus to the error summary, and from each of its links to the field it names.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.querySelectorAll("a[data-focus]").forEach((link) => {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.dataset.focus);
      if (!field) return;
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    });
  });
});
