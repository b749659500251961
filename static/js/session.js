// Warns a few minutes before an idle session ends, so that a form is not sent into a signed-out session.
document.addEventListener("DOMContentLoaded", () => {
  const warning = document.getElementById("session-warning");
  if (!warning) return;
  const seconds = Number(warning.dataset.sessionSeconds);
  const warnSeconds = Number(warning.dataset.warnSeconds);
  if (!seconds) return;
  let timer;
  const schedule = (remaining) => {
    clearTimeout(timer);
    timer = setTimeout(() => { warning.hidden = false; }, Math.max(0, remaining - warnSeconds) * 1000);
  };
  warning.querySelector("[data-keep-alive]").addEventListener("click", () => {
    fetch(warning.dataset.keepAliveUrl, { credentials: "same-origin", cache: "no-store" }).then((response) => {
      if (response.ok && !response.redirected) {
        warning.hidden = true;
        schedule(seconds);
      } else {
        window.location.reload();
      }
    });
  });
  schedule(seconds);
});
