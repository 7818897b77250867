// The pipeline board: drag a card onto another stage's column to move the prospect. The
// card's own select and Move button do the same without JavaScript (or by keyboard).
(function () {
  let dragged = null;
  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest ? event.target.closest(".board-card") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.setData("text/plain", card.id);
    event.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest && event.target.closest(".board-column")) {
      event.preventDefault();
    }
  });
  document.addEventListener("drop", function (event) {
    const column = event.target.closest ? event.target.closest(".board-column") : null;
    if (!dragged || !column) return;
    event.preventDefault();
    const card = dragged;
    dragged = null;
    window.htmx.ajax("POST", card.dataset.moveUrl, {
      target: "#board",
      swap: "outerHTML",
      values: { stage: column.dataset.stage, board: "1" },
    });
  });
})();
