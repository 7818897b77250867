// The pipeline board: drag a card onto another stage's column to move the prospect (htmx
// POST to the card's move URL; the board comes back and is swapped in place, 422 says
// why not). The card's own select and Move button do the same without JavaScript or by
// keyboard. Listeners sit on document, so they survive the board's swaps. No inline
// script, no eval: the Content-Security-Policy allows neither.
(function () {
  var dragged = null;
  function columnOf(event) {
    return dragged && event.target.closest ? event.target.closest(".board-column") : null;
  }
  function clearTargets() {
    document.querySelectorAll(".board-column.drop-target").forEach(function (el) {
      el.classList.remove("drop-target");
    });
  }
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".board-card") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });
  document.addEventListener("dragover", function (event) {
    var column = columnOf(event);
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var column = columnOf(event);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var column = columnOf(event);
    if (!column) return;
    event.preventDefault();
    clearTargets();
    var card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    if (column.contains(card)) return; // dropped back where it was
    window.htmx.ajax("POST", card.dataset.moveUrl, {
      target: "#board",
      swap: "outerHTML",
      values: { stage: column.dataset.stage, board: "1" },
    });
  });
})();
