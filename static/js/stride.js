// Stride's small progressive enhancements. Loaded from our own static files (strict CSP:
// no inline script, no inline handlers). Every page works without it.
(function () {
  "use strict";

  // The deployment URL only makes sense for the capstone's final milestone: show its field
  // when that assignment is selected.
  function syncDeploymentField(form) {
    var select = form.querySelector("select[name=assignment]");
    var field = form.querySelector("[data-deployment-field]");
    if (!select || !field) return;
    var option = select.options[select.selectedIndex];
    var isFinal = option && option.getAttribute("data-final-milestone") === "true";
    var input = field.querySelector("input");
    field.hidden = !isFinal && !(input && input.value);
  }

  function init(root) {
    root.querySelectorAll("form[data-submit-work]").forEach(function (form) {
      syncDeploymentField(form);
      var select = form.querySelector("select[name=assignment]");
      if (select && !select.dataset.bound) {
        select.dataset.bound = "1";
        select.addEventListener("change", function () { syncDeploymentField(form); });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
