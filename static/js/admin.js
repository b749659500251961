// Select2 names its combobox after the selected text only, which is empty until something is chosen; give each one
// the name of the field it stands for (its <label>, or the aria-label a tabular inline sets on the select).
(() => {
  const name = (select) => {
    const label = select.id && document.querySelector(`label[for="${select.id}"]`);
    return (label && label.textContent.replace(/:\s*$/, "").trim()) || select.getAttribute("aria-label");
  };
  const labelComboboxes = () => {
    document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const container = select.nextElementSibling;
      const combobox = container && container.querySelector("[role='combobox']");
      const text = name(select);
      if (combobox && text) {
        combobox.setAttribute("aria-label", text);
        combobox.removeAttribute("aria-labelledby");
        // The selected text inside is read as the combobox's value, not as a second, unnamed field.
        combobox.querySelectorAll("[role='textbox']").forEach((rendered) => {
          rendered.removeAttribute("role");
          rendered.removeAttribute("aria-readonly");
        });
      }
    });
  };
  // After Django's own ready handler has turned the selects into Select2 widgets.
  if (window.django && window.django.jQuery) window.django.jQuery(labelComboboxes);
  window.addEventListener("load", labelComboboxes);
  document.addEventListener("formset:added", () => setTimeout(labelComboboxes));
})();

// On a narrow screen the inline tables scroll sideways; a keyboard user must be able to reach and scroll them.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".inline-group").forEach((group) => {
    const heading = group.querySelector("h2");
    group.tabIndex = 0;
    group.setAttribute("role", "region");
    if (heading) group.setAttribute("aria-label", heading.textContent.trim());
  });
});
