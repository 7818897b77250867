// django-celery-beat's periodic task form (its inline script, which the CSP refuses):
// the crontab field's help says in words when the chosen schedule runs.
(function () {
  const $ = window.django && window.django.jQuery;
  const crontabs = document.getElementById("readable-crontabs");
  const help = document.getElementById("crontab-help");
  if (!$ || !crontabs || !help) return;
  const readable = JSON.parse(crontabs.textContent);
  const original = JSON.parse(help.textContent);
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    $(".field-crontab .help").text(original).append("<br>", document.createTextNode(
      "Translation: " + readable[$("#id_crontab").val()]));
  });
})();
