// Copy the short address; where the clipboard API is missing (plain http), select it.
(function () {
  const button = document.getElementById("copy-short-url");
  const input = document.getElementById("short-url");
  if (!button || !input) return;
  button.addEventListener("click", function () {
    const done = () => { button.textContent = "Copied"; setTimeout(() => (button.textContent = "Copy"), 2000); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(button.dataset.copy).then(done);
    } else {
      input.focus(); input.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* selected: Ctrl-C works */ }
    }
  });
})();
