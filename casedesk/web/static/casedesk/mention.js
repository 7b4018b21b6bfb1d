/* `@` completion in the note box: typing `@` and the start of a name offers the active users
   (GET data-mention-url?q=…); keyboard operable as an ARIA combobox: Down and Up move, Enter or
   Tab take the highlighted name, Escape closes the list. No inline script (strict CSP). */
(function () {
  "use strict";

  // The `@name` being typed just before the caret: at the start, or after anything but a
  // letter, a digit or a character of an address (docs/notifications.md#mentions).
  var TYPING = /(^|[^\w@.+\-\/])@([\w.+\-]*)$/;
  var counter = 0;

  function init(area) {
    var url = area.getAttribute("data-mention-url");
    if (!url) { return; }
    counter += 1;
    var listId = "mention-list-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    area.insertAdjacentElement("afterend", list);
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", listId);
    /* A textarea keeps its textbox role (no combobox role, so no aria-expanded): the list it
       controls is announced through aria-activedescendant and the options' labels. */
    var active = -1;
    var timer = null;
    var asked = null;

    function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      area.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var opts = options();
      if (!opts.length) { return; }
      active = (index + opts.length) % opts.length;
      opts.forEach(function (opt, i) { opt.setAttribute("aria-selected", i === active ? "true" : "false"); });
      area.setAttribute("aria-activedescendant", opts[active].id);
    }

    function typed() {
      var before = area.value.slice(0, area.selectionStart);
      var match = TYPING.exec(before);
      return match ? { start: before.length - match[2].length, text: match[2] } : null;
    }

    function take(username) {
      var at = typed();
      if (!at) { close(); return; }
      var end = area.selectionStart;
      var value = area.value;
      var insert = username + " ";
      area.value = value.slice(0, at.start) + insert + value.slice(end);
      var caret = at.start + insert.length;
      area.setSelectionRange(caret, caret);
      close();
      area.focus();
    }

    function show(items) {
      list.textContent = "";
      active = -1;
      if (!items.length) { close(); return; }
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.username = item.username;
        var name = document.createElement("span");
        name.className = "opt-name";
        name.textContent = "@" + item.username;
        li.appendChild(name);
        if (item.name && item.name !== item.username) {
          var detail = document.createElement("span");
          detail.className = "opt-detail";
          detail.textContent = " " + item.name;
          li.appendChild(detail);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          take(item.username);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      highlight(0);
    }

    function ask() {
      var at = typed();
      if (!at) { close(); return; }
      if (at.text === asked && !list.hidden) { return; }
      asked = at.text;
      var query = at.text;
      fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (body) {
          var now = typed();
          if (now && now.text === query) { show(body.items || []); }
        })
        .catch(function () { close(); });
    }

    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    area.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      var opts = options();
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if ((event.key === "Enter" || event.key === "Tab") && active >= 0 && opts[active]
               && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        take(opts[active].dataset.username);
      } else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    area.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-mention-url]"), init);
  });
})();
