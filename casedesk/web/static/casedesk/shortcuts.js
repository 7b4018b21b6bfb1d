/* casedesk: keyboard shortcuts (docs/web.md#keyboard). "?" lists them on every page.
   A key is taken only when no text field has the focus (Ctrl+Enter works in them). */
(function () {
  "use strict";

  function typing(element) {
    if (!(element instanceof Element)) { return false; }
    if (element.isContentEditable) { return true; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    if (tag !== "INPUT") { return false; }
    var kind = (element.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset", "hidden"].indexOf(kind) < 0;
  }

  function rows() {
    return Array.prototype.slice.call(
      document.querySelectorAll("table.list tbody tr")
    ).filter(function (row) { return row.querySelector("a[href]"); });
  }

  function move(step) {
    var list = rows();
    if (!list.length) { return; }
    var current = list.findIndex(function (row) { return row.classList.contains("kbd-current"); });
    var next = current < 0 ? (step > 0 ? 0 : list.length - 1)
      : Math.min(list.length - 1, Math.max(0, current + step));
    list.forEach(function (row) { row.classList.remove("kbd-current"); });
    list[next].classList.add("kbd-current");
    var link = list[next].querySelector("a[href]");
    link.focus();
    list[next].scrollIntoView({ block: "nearest" });
  }

  function click(selector) {
    var target = document.querySelector(selector);
    if (target) { target.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = target instanceof Element ? target.closest("form") : null;
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.key === "Escape" && target instanceof Element && target.id === "global-search") {
      var results = document.getElementById("global-search-results");
      if (results) { results.replaceChildren(); }
      return;
    }
    if (event.key === "ArrowDown" && target instanceof Element && target.id === "global-search") {
      var first = document.querySelector("#global-search-results [data-search-item]");
      if (first) { event.preventDefault(); first.focus(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target)) { return; }
    if (document.querySelector("dialog[open]") && event.key !== "?") { return; }
    switch (event.key) {
      case "/":
        var search = document.getElementById("global-search");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      case "n":
        if (click("[data-shortcut='n']")) { event.preventDefault(); }
        break;
      case "a":
        if (click("[data-shortcut='a']")) { event.preventDefault(); }
        break;
      case "j":
        event.preventDefault();
        move(1);
        break;
      case "k":
        event.preventDefault();
        move(-1);
        break;
      case "?":
        var help = document.getElementById("shortcuts-help");
        if (help && !help.open) { event.preventDefault(); help.showModal(); }
        break;
      default:
        break;
    }
  });
})();
