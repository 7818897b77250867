// Behaviour any page may use, wired by data- attributes: the Content-Security-Policy
// runs no inline script or on…= handler.
(function () {
  // <form data-confirm="Delete this goal?">: ask before it is sent.
  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true,
  );

  // <input data-select-on-focus>: a read-only address selected whole, ready to copy.
  function selectWhole(event) {
    const el = event.target;
    if (el.matches && el.matches("[data-select-on-focus]")) el.select();
  }
  document.addEventListener("focusin", selectWhole);
  document.addEventListener("click", selectWhole);
})();

// The phone menu: a <button data-menu-toggle aria-controls="site-menu"> shows the sidebar
// below 900 px; Escape closes it and gives the focus back to the button.
(function () {
  function setOpen(button, open) {
    const menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("[data-menu-toggle]") : null;
    if (button) setOpen(button, button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const button = document.querySelector("[data-menu-toggle][aria-expanded='true']");
    if (!button) return;
    setOpen(button, false);
    button.focus();
  });
})();
