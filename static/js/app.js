// The only hand-written script: small glue that htmx attributes cannot express.
(function () {
  "use strict";
  // Close a toast with its × button; success toasts fade on their own after a while.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) { button.closest(".toast").remove(); }
  });
  function expire(root) {
    root.querySelectorAll(".toast-success").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 8000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { expire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { expire(event.target); });
})();
