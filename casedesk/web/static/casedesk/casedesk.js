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

  /* Every handler is delegated from the document and this script loads in <head> without
     "defer": a click on a page still being parsed or still fetching its styles finds them. */
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
      return;
    }
    /* Confirmation before a submit: <button data-confirm="text">. */
    var confirming = target.closest("[data-confirm]");
    if (confirming && !window.confirm(confirming.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    /* A checkbox that selects every row: <input type=checkbox data-select-all="name">. */
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-all") && target.form) {
      var name = target.getAttribute("data-select-all");
      target.form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        if (box.name === name) { box.checked = target.checked; }
      });
    }
    /* Selects that apply at once: <select data-autosubmit>. */
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
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
  });

  window.casedesk = { openDialog: openDialog, closeDialog: closeDialog };
})();
