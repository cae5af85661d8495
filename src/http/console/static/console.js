// The console works without this script. With it: buttons that cannot be
// undone ask once more, and a store picker shows its store when changed.
// No inline handlers anywhere (the pages' CSP allows only this file).
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) {
    select.form.submit();
  }
});
