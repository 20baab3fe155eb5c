/* The visit form (consultation/visits/form.html): choosing the compound or the building
   reloads the form at once, so the dwellings of the building are offered without the
   "show dwellings" tap. Without JavaScript that button does the same. */
(function () {
  "use strict";
  function ready() {
    var pick = document.querySelector("form[data-autosubmit]");
    if (!pick) { return; }
    var building = pick.querySelector("select[name=building]");
    Array.prototype.forEach.call(pick.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () {
        if (select.name === "compound" && building) { building.value = ""; }
        pick.submit();
      });
    });
    var go = pick.querySelector("[data-pick-go]");
    if (go) { go.hidden = true; }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
}());
