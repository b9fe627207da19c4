// The one box at the top of every page: "/" focuses it, arrows move through the
// results htmx brought, Enter opens the chosen customer (or the results page).
// Other boxes that show the same hits (the cashier desk's) work the same way: an
// input with `data-quicksearch` whose `aria-controls` names its results list.
(function () {
  "use strict";
  var active = -1;
  function box() {
    var el = document.activeElement;
    return el && el.hasAttribute && el.hasAttribute("data-quicksearch") ? el : null;
  }
  function results(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function hits(input) { var r = results(input); return r ? Array.prototype.slice.call(r.querySelectorAll(".qs-hit")) : []; }
  function mark(input) { hits(input).forEach(function (h, i) { h.classList.toggle("active", i === active); h.setAttribute("aria-selected", i === active); }); }
  document.addEventListener("keydown", function (e) {
    var top = document.getElementById("quicksearch");
    if (!top) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) || document.activeElement.isContentEditable;
    if (e.key === "/" && !typing) { e.preventDefault(); top.focus(); top.select(); return; }
    var input = box();
    if (!input) return;
    var list = hits(input);
    if (e.key === "ArrowDown" && list.length) { e.preventDefault(); active = Math.min(active + 1, list.length - 1); mark(input); }
    else if (e.key === "ArrowUp" && list.length) { e.preventDefault(); active = Math.max(active - 1, 0); mark(input); }
    else if (e.key === "Enter") {
      var pick = list[active >= 0 ? active : 0];
      if (pick) { e.preventDefault(); window.location.href = pick.href; }
    } else if (e.key === "Escape") { results(input).innerHTML = ""; active = -1; }
  });
  document.addEventListener("htmx:afterSwap", function (e) { if (e.target.classList.contains("qs-results")) { active = -1; } });
})();
