/* The customer lookup of the case and entitlement forms: accounts and contacts as you type,
   keyboard operable (ARIA combobox), inline creation of an account, a contact, or a contact of
   the account. Choosing a customer refreshes the contacts offered: the case form's single
   contact, or the entitlement form's several contacts. */
(function () {
  "use strict";

  function $(root, selector) { return root.querySelector(selector); }

  function init(box) {
    var input = $(box, "#customer-search");
    var list = $(box, "#customer-results");
    var hidden = document.getElementById("id_customer");
    // "Find case" of the new-case page lists the chosen customer's cases first.
    var findCustomer = document.querySelector("[data-find-customer]");
    var contactSelect = document.getElementById("id_contact");
    var contactList = document.querySelector("select[data-customer-contacts]");
    var panel = document.getElementById("customer-panel");
    var searchUrl = box.getAttribute("data-search-url");
    var contactsUrl = box.getAttribute("data-contacts-url");
    var panelUrl = box.getAttribute("data-panel-url");
    var timer = null;
    var active = -1;
    var lastQuery = null;
    var current = { type: null, id: null, name: input ? input.value : "", accountId: null };

    if (!input || !hidden) { return; }
    if (hidden.value) {
      var parts = hidden.value.split(":");
      current.type = parts[0];
      current.id = parts[1];
    }

    function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }

    function setExpanded(open) {
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) { input.removeAttribute("aria-activedescendant"); active = -1; }
    }

    function highlight(index) {
      var opts = options();
      if (!opts.length) { return; }
      active = (index + opts.length) % opts.length;
      opts.forEach(function (opt, i) { opt.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }

    function option(id, text, detail, data) {
      var li = document.createElement("li");
      li.id = id;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      Object.keys(data).forEach(function (key) { li.dataset[key] = data[key] || ""; });
      var strong = document.createElement("span");
      strong.className = "opt-name";
      strong.textContent = text;
      li.appendChild(strong);
      if (detail) {
        var small = document.createElement("span");
        small.className = "opt-detail";
        small.textContent = detail;
        li.appendChild(small);
      }
      return li;
    }

    function render(items) {
      list.textContent = "";
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "opt-none";
        none.textContent = box.getAttribute("data-no-results-label");
        list.appendChild(none);
      }
      items.forEach(function (item, i) {
        var kind = item.type === "account" ? box.getAttribute("data-account-label") : box.getAttribute("data-contact-label");
        var detail = [kind, item.email, item.phone].filter(Boolean).join(" · ");
        list.appendChild(option("customer-opt-" + i, item.name, detail, {
          type: item.type, id: item.id, name: item.name, accountId: item.account_id || ""
        }));
      });
      /* Inline creation only where the page has its dialogs (the case form; not the entitlement
         or contract forms, nor list filters). */
      if (document.getElementById("dialog-account")) {
        list.appendChild(option("customer-opt-new-account", "+ " + box.getAttribute("data-new-account-label"), "", { action: "new-account" }));
      }
      if (document.getElementById("dialog-contact")) {
        list.appendChild(option("customer-opt-new-contact", "+ " + box.getAttribute("data-new-contact-label"), "", { action: "new-contact" }));
      }
      setExpanded(true);
    }

    function search(now) {
      var text = input.value.trim();
      if (timer) { clearTimeout(timer); }
      if (!text) { setExpanded(false); return; }
      timer = setTimeout(function () {
        lastQuery = text;
        fetch(searchUrl + "?q=" + encodeURIComponent(text), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (body) { if (lastQuery === text) { render(body.items || []); } });
      }, now ? 0 : 200);
    }

    /* The contacts of the chosen customer: the contact itself, or the account's. */
    function fetchContacts() {
      return fetch(contactsUrl + "?customer=" + encodeURIComponent(current.type + ":" + current.id), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; });
    }

    var contactsRequest = 0;
    function loadContacts(selectId) {
      if (!contactSelect) { return; }
      var keep = selectId || contactSelect.value;
      var request = ++contactsRequest;
      if (!current.type) { contactSelect.length = 1; return; }
      fetchContacts()
        .then(function (body) {
          if (request !== contactsRequest) { return; }  /* a later request answers instead */
          contactSelect.length = 1;
          (body.items || []).forEach(function (c) {
            var opt = document.createElement("option");
            opt.value = c.id;
            opt.textContent = c.name;
            contactSelect.appendChild(opt);
          });
          contactSelect.value = keep;
          if (contactSelect.value !== keep) { contactSelect.value = ""; }
        });
    }

    /* Several contacts: the new customer's, those chosen before staying chosen if listed. */
    var contactListRequest = 0;
    function loadContactList() {
      if (!contactList) { return; }
      var keep = Array.prototype.filter.call(contactList.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
      var request = ++contactListRequest;
      fetchContacts()
        .then(function (body) {
          if (request !== contactListRequest) { return; }
          contactList.length = 0;
          (body.items || []).forEach(function (c) {
            var chosen = keep.indexOf(c.id) >= 0;
            contactList.add(new Option(c.name, c.id, chosen, chosen));
          });
        });
    }

    var panelRequest = 0;
    function loadPanel() {
      if (!panel) { return; }
      if (!current.type) { return; }
      var request = ++panelRequest;
      fetch(panelUrl + current.type + "/" + current.id + "/panel/", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (html && request === panelRequest) { panel.innerHTML = html; } });
    }

    function choose(type, id, name, accountId) {
      current = { type: type, id: id, name: name, accountId: accountId || null };
      hidden.value = type + ":" + id;
      if (findCustomer) { findCustomer.value = hidden.value; }
      input.value = name;
      input.removeAttribute("aria-invalid");
      setExpanded(false);
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
      loadContacts(type === "contact" ? id : "");
      loadContactList();
      loadPanel();
    }

    function newRecord(kind) {
      setExpanded(false);
      var dialog = document.getElementById(kind === "account" ? "dialog-account" : "dialog-contact");
      if (!dialog) { return; }
      var text = input.value.trim();
      if (kind === "account") {
        $(dialog, "[name=name]").value = text;
      } else {
        var words = text.split(/\s+/);
        $(dialog, "[name=last_name]").value = words.length > 1 ? words.slice(1).join(" ") : text;
        $(dialog, "[name=first_name]").value = words.length > 1 ? words[0] : "";
      }
      window.casedesk.openDialog(dialog, input);
    }

    function pick(opt) {
      if (!opt) { return; }
      if (opt.dataset.action === "new-account") { newRecord("account"); return; }
      if (opt.dataset.action === "new-contact") { newRecord("contact"); return; }
      if (opt.dataset.id) { choose(opt.dataset.type, opt.dataset.id, opt.dataset.name, opt.dataset.accountId); }
    }

    input.addEventListener("input", function () {
      if (hidden.value) {
        hidden.value = "";
        if (findCustomer) { findCustomer.value = ""; }
        current = { type: null, id: null, name: "", accountId: null };
      }
      search(false);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { search(true); } else { highlight(active + 1); }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.hidden) { highlight(active - 1); }
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (!list.hidden && active >= 0) { pick(options()[active]); } else { search(true); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); setExpanded(false); }
      }
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var opt = event.target instanceof Element ? event.target.closest("[role=option]") : null;
      pick(opt);
    });
    input.addEventListener("blur", function () { setTimeout(function () { setExpanded(false); }, 150); });

    /* The contact dialog: a contact of the chosen account, or a new customer contact. */
    var contactDialog = document.getElementById("dialog-contact");
    if (contactDialog) {
      contactDialog.addEventListener("casedesk:open", function (event) {
        var opener = event.detail && event.detail.opener;
        var ofAccount = Boolean(opener && opener.hasAttribute &&
          opener.hasAttribute("data-contact-of-customer") && current.type === "account");
        contactDialog.dataset.mode = ofAccount ? "contact" : "customer";
        $(contactDialog, "[name=account_id]").value = ofAccount ? current.id : "";
        $(contactDialog, "[data-contact-account-name]").textContent = ofAccount ? current.name : "";
        $(contactDialog, "[data-contact-account]").hidden = !ofAccount;
      });
    }

    document.querySelectorAll("form[data-inline-create]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var errorBox = $(form, "[data-form-error]");
        errorBox.hidden = true;
        fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
          .then(function (res) {
            if (res.status === 201) {
              var dialog = form.closest("dialog");
              var mode = dialog.dataset.mode;
              var record = res.body;
              window.casedesk.closeDialog(dialog);
              form.reset();
              if (record.type === "contact" && mode === "contact" && current.type === "account") {
                loadContacts(record.id);
              } else {
                choose(record.type, record.id, record.name, record.account_id);
              }
              return;
            }
            var err = res.body && res.body.error ? res.body.error : {};
            var fields = (err.details && err.details.fields) || {};
            var lines = [];
            Object.keys(fields).forEach(function (name) {
              var input = form.querySelector("[name=" + name + "]");
              var label = input && input.id ? form.querySelector("label[for=" + input.id + "]") : null;
              var text = [].concat(fields[name]).join(" ");
              lines.push((label ? label.textContent.replace("*", "").trim() + ": " : "") + text);
              if (input) { input.setAttribute("aria-invalid", "true"); }
            });
            if (!lines.length) { lines.push(err.message || String(res.status)); }
            errorBox.textContent = lines.join(" ");
            errorBox.hidden = false;
          });
      });
    });

    if (current.type && panel && !panel.querySelector("h2")) { loadPanel(); }
    /* Text typed before this script ran (a slow page) is looked up as if typed now. */
    if (!hidden.value && input.value.trim() && document.activeElement === input) { search(true); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-customer-lookup]").forEach(init);
  });
})();
