/* casedesk: behaviour shared by every page. No inline scripts: the pages' CSP forbids them. */
(function () {
  "use strict";

  function openDialog(dialog, opener) {
    if (!dialog || dialog.open) { return; }
    /* A command dialog whose body the page left out (data-src, the dialog's own page): its
       form is fetched first; without htmx, or when no form comes back, the browser goes to
       that page. */
    var src = dialog.getAttribute("data-src");
    if (src && !dialog.querySelector("form")) {
      if (!window.htmx || dialog.casedeskLoading) {
        if (!window.htmx) { window.location.assign(src); }
        return;
      }
      dialog.casedeskLoading = true;
      window.htmx.ajax("GET", src, { target: dialog, swap: "innerHTML" }).then(function () {
        dialog.casedeskLoading = false;
        if (dialog.querySelector("form")) { openDialog(dialog, opener); }
        else { window.location.assign(src); }
      }, function () {
        dialog.casedeskLoading = false;
        window.location.assign(src);
      });
      return;
    }
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
    var suggestion = target.closest("[data-picker] [role=option]");
    if (suggestion) {
      pickerChoose(suggestion.closest("[data-picker]"), suggestion);
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

  /* htmx swaps an answer marked as a part of the page (X-Casedesk-Fragment) whatever its
     status: a refused form comes back with its errors (422, 409...). Any other error answer
     is not swapped. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.getResponseHeader("X-Casedesk-Fragment")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
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

  /* A record picker: <div data-picker data-search-url=...> holding an input[role=combobox], a
     [role=listbox] and an input[data-picker-value]. Typing searches (the answer is
     {"items": [{"id", "name", "email"?, "phone"?}]}), choosing fills the value; typing again
     clears it, so a name that was not chosen is never taken for a record. */
  function pickerParts(picker) {
    return {
      input: picker.querySelector("[role=combobox]"),
      list: picker.querySelector("[role=listbox]"),
      value: picker.querySelector("[data-picker-value]")
    };
  }

  function pickerOptions(picker) {
    return Array.prototype.slice.call(pickerParts(picker).list.querySelectorAll("[role=option]"));
  }

  function pickerClose(picker) {
    var parts = pickerParts(picker);
    parts.list.hidden = true;
    parts.input.setAttribute("aria-expanded", "false");
    parts.input.removeAttribute("aria-activedescendant");
    picker.casedeskActive = -1;
  }

  function pickerHighlight(picker, index) {
    var opts = pickerOptions(picker);
    if (!opts.length) { return; }
    var active = (index + opts.length) % opts.length;
    picker.casedeskActive = active;
    opts.forEach(function (opt, i) { opt.setAttribute("aria-selected", i === active ? "true" : "false"); });
    pickerParts(picker).input.setAttribute("aria-activedescendant", opts[active].id);
    opts[active].scrollIntoView({ block: "nearest" });
  }

  function pickerRender(picker, items) {
    var parts = pickerParts(picker);
    parts.list.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "opt-none";
      none.textContent = picker.getAttribute("data-no-results-label") || "";
      parts.list.appendChild(none);
    }
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = parts.list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.id = item.id;
      li.dataset.name = item.name;
      var name = document.createElement("span");
      name.className = "opt-name";
      name.textContent = item.name;
      li.appendChild(name);
      var detail = [item.email, item.phone].filter(Boolean).join(" · ");
      if (detail) {
        var small = document.createElement("span");
        small.className = "opt-detail";
        small.textContent = detail;
        li.appendChild(small);
      }
      parts.list.appendChild(li);
    });
    picker.casedeskActive = -1;
    parts.list.hidden = false;
    parts.input.setAttribute("aria-expanded", "true");
  }

  function pickerSearch(picker, now) {
    var text = pickerParts(picker).input.value.trim();
    clearTimeout(picker.casedeskTimer);
    if (!text) { pickerClose(picker); return; }
    picker.casedeskTimer = setTimeout(function () {
      picker.casedeskQuery = text;
      var url = picker.getAttribute("data-search-url");
      url += (url.indexOf("?") >= 0 ? "&" : "?") + "q=" + encodeURIComponent(text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (body) {
          if (picker.casedeskQuery === text) { pickerRender(picker, body.items || []); }
        });
    }, now ? 0 : 200);
  }

  function pickerChoose(picker, opt) {
    if (!opt || !opt.dataset.id) { return; }
    var parts = pickerParts(picker);
    parts.value.value = opt.dataset.id;
    parts.input.value = opt.dataset.name;
    parts.input.removeAttribute("aria-invalid");
    pickerClose(picker);
  }

  function pickerFor(target) {
    if (!(target instanceof Element) || target.getAttribute("role") !== "combobox") { return null; }
    return target.closest("[data-picker]");
  }

  document.addEventListener("input", function (event) {
    var picker = pickerFor(event.target);
    if (!picker) { return; }
    pickerParts(picker).value.value = "";
    pickerSearch(picker, false);
  });

  document.addEventListener("keydown", function (event) {
    var picker = pickerFor(event.target);
    if (!picker) { return; }
    var open = !pickerParts(picker).list.hidden;
    var active = typeof picker.casedeskActive === "number" ? picker.casedeskActive : -1;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) { pickerHighlight(picker, active + 1); } else { pickerSearch(picker, true); }
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (open) { pickerHighlight(picker, active - 1); }
    } else if (event.key === "Enter" && open) {
      event.preventDefault();
      if (active >= 0) { pickerChoose(picker, pickerOptions(picker)[active]); }
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      pickerClose(picker);
    }
  });

  /* A press on a suggestion keeps the focus in the field; the click then chooses it. */
  document.addEventListener("mousedown", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("[data-picker] [role=listbox]")) { event.preventDefault(); }
  });

  document.addEventListener("focusout", function (event) {
    var picker = pickerFor(event.target);
    if (picker) { setTimeout(function () { pickerClose(picker); }, 150); }
  });

  /* Focus goes back to the button that opened the dialog. */
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.casedeskOpener && dialog.casedeskOpener.focus) {
      dialog.casedeskOpener.focus();
    }
  }, true);

  /* A dialog the server re-rendered with errors opens by itself. */
  /* A page answering a form sent to a POST-only address (an action refused with errors, a new
     token) names the page it is: the bar shows that address, so reloading it sends nothing. */
  (function () {
    var address = document.querySelector("meta[name=casedesk-address]");
    if (address && window.history && window.history.replaceState) {
      window.history.replaceState(window.history.state, "", address.getAttribute("content") + window.location.hash);
    }
  })();

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) {
      openDialog(dialog, null);
    });
  });

  /* Filters under <details data-open-wide>: open on a wide screen, collapsed on a phone; a
     list region that htmx replaces keeps the state the user left them in. */
  var wide = window.matchMedia("(min-width: 700px)");
  function openWide(root) {
    root.querySelectorAll("details[data-open-wide]").forEach(function (box) {
      if (wide.matches) { box.open = true; }
    });
  }
  /* This script runs in <head>: the filters exist once the page is parsed. */
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { openWide(document); });
  } else {
    openWide(document);
  }
  var filtersOpen = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var box = event.detail.target && event.detail.target.querySelector("details[data-open-wide]");
    filtersOpen = box ? box.open : null;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.detail.target && event.detail.target.querySelector("details[data-open-wide]");
    if (box && filtersOpen !== null) { box.open = filtersOpen; }
  });

  window.casedesk = { openDialog: openDialog, closeDialog: closeDialog };
})();
