/* What pages ask of a script through data-* attributes, so that no page carries an inline script or
   an on…= attribute (the Content-Security-Policy runs scripts from Linli's own files only):

   data-confirm="question"   on a submit button or a form: asks before the form is sent
   data-autosubmit           on a select or a checkbox: sends its form when it changes
   data-reload               in content htmx swaps in: reloads the whole page (a job has finished)
   data-go-to="/path/" data-go-to-field="name"
                             on a form: goes to /path/<the field's value>/ instead of sending it
*/
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.matches("form[data-go-to]")) {
      event.preventDefault();
      const field = form.elements[form.dataset.goToField];
      const value = field ? field.value.trim() : "";
      if (value) window.location.href = form.dataset.goTo + encodeURIComponent(value) + "/";
    }
  });

  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    const swapped = event.target;
    if (swapped instanceof Element && (swapped.matches("[data-reload]") || swapped.querySelector("[data-reload]"))) {
      window.location.reload();
    }
  });
})();
