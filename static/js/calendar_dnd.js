// Drag a post to another day (HTML5 drag and drop): it keeps its time of day and is moved
// by the same endpoint as the "Move" form (htmx POST; 204 reloads the calendar, 422 says
// why not). Delegated to document, so it survives the calendar's reloads.
(function () {
  var dragged = null;
  function dayOf(event) { return dragged && event.target.closest ? event.target.closest("[data-day-drop]") : null; }
  document.addEventListener("dragstart", function (event) {
    var chip = event.target.closest ? event.target.closest("[data-reschedule-url]") : null;
    if (!chip) return;
    dragged = chip;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.dataset.postId);
    chip.classList.add("dragging");
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });
  document.addEventListener("dragover", function (event) {
    var day = dayOf(event);
    if (!day) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    day.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var day = dayOf(event);
    if (day && !day.contains(event.relatedTarget)) day.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var day = dayOf(event);
    if (!day) return;
    event.preventDefault();
    day.classList.remove("drop-target");
    if (day.dataset.dayDrop === dragged.dataset.day) return;
    htmx.ajax("POST", dragged.dataset.rescheduleUrl, {
      target: "#calendar-errors",
      swap: "innerHTML",
      values: { scheduled_at: day.dataset.dayDrop + "T" + dragged.dataset.time, from: "calendar" }
    });
  });
})();
