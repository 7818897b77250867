// The source form: a click on one of the account's lists (loaded by htmx into
// #owned-lists-box) fills the list fields. Delegated to document: htmx swaps the form.
(function () {
  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("[data-pick-list]") : null;
    if (!button || !button.form) return;
    const fields = button.form.elements;
    fields["x_list_id"].value = button.dataset.listId;
    if (!fields["name"].value) fields["name"].value = button.dataset.listName;
    if (button.dataset.listPrivate === "true") fields["is_private"].checked = true;
  });
})();
