/* casedesk: behaviour shared by every page. No inline scripts: the pages' CSP forbids them. */
(function () {
  "use strict";

  function openDialog(dialog, opener) {
    if (!dialog || dialog.open) { return; }
    dialog.casedeskOpener = opener || document.activeElement;
    dialog.dispatchEvent(new CustomEvent("casedesk:open", { detail: { opener: opener } }));
    dialog.showModal();
    var first = dialog.querySelector("[autofocus], input:not([type=hidden]):not([disabled]), select, textarea, button");
    if (first) { first.focus(); }
  }

  function closeDialog(dialog) {
    if (dialog && dialog.open) { dialog.close(); }
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var opener = target.closest("[data-open-dialog]");
    if (opener) {
      event.preventDefault();
      openDialog(document.getElementById(opener.getAttribute("data-open-dialog")), opener);
      return;
    }
    var closer = target.closest("[data-close-dialog]");
    if (closer) {
      event.preventDefault();
      closeDialog(closer.closest("dialog"));
    }
  });

  /* Focus goes back to the button that opened the dialog. */
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.casedeskOpener && dialog.casedeskOpener.focus) {
      dialog.casedeskOpener.focus();
    }
  }, true);

  /* A dialog the server re-rendered with errors opens by itself. */
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) {
      openDialog(dialog, null);
    });
    /* Confirmation before a submit: <button data-confirm="text">. */
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    /* A checkbox that selects every row: <input type=checkbox data-select-all="name">. */
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        var name = all.getAttribute("data-select-all");
        all.form.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) {
          box.checked = all.checked;
        });
      });
    });
    /* Selects that apply at once: <select data-autosubmit>. */
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
  });

  window.casedesk = { openDialog: openDialog, closeDialog: closeDialog };
})();
