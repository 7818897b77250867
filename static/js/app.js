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
