// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Show only the fields of the selected payment method.
  const radios = document.querySelectorAll("input[name='payment_method']");
  const sync = () => {
    const checked = document.querySelector("input[name='payment_method']:checked");
    document.querySelectorAll("[data-method]").forEach((group) => {
      group.hidden = !checked || group.dataset.method !== checked.value;
    });
  };
  radios.forEach((radio) => radio.addEventListener("change", sync));
  if (radios.length) sync();

  // Print buttons.
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });

  // Buttons that wait for a box to be ticked (accepting the terms); the server refuses an unticked one too.
  document.querySelectorAll("button[data-requires-check]").forEach((button) => {
    const box = document.getElementById(button.dataset.requiresCheck);
    if (!box) return;
    const sync = () => {
      button.disabled = !box.checked;
      button.setAttribute("aria-disabled", String(!box.checked));
    };
    box.addEventListener("change", sync);
    sync();
  });

  // Buttons that must not be pressed twice (placing an order).
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type='submit']").forEach((button) => { button.disabled = true; });
    });
  });
});
