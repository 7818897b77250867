// The inbox's keys: j / k move between conversations, Enter opens the one in focus.
// Saved replies fill the reply box.
(function () {
  "use strict";
  function rows() { return Array.from(document.querySelectorAll(".conv-link")); }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key !== "j" && event.key !== "k") return;
    var list = rows();
    if (!list.length) return;
    var at = list.indexOf(document.activeElement);
    var next = event.key === "j" ? Math.min(list.length - 1, at + 1) : Math.max(0, at - 1);
    if (at === -1) next = 0;
    list[next].focus();
    event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".saved-reply");
    if (!button) return;
    var box = document.getElementById("id_text");
    if (box) { box.value = button.dataset.text; box.focus(); }
  });
})();
