// The one box at the top of every page: "/" focuses it, arrows move through the
// results htmx brought, Enter opens the chosen customer (or the results page).
(function () {
  "use strict";
  var active = -1;
  function hits() { return Array.prototype.slice.call(document.querySelectorAll("#quicksearch-results .qs-hit")); }
  function mark() { hits().forEach(function (h, i) { h.classList.toggle("active", i === active); h.setAttribute("aria-selected", i === active); }); }
  document.addEventListener("keydown", function (e) {
    var box = document.getElementById("quicksearch");
    if (!box) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) || document.activeElement.isContentEditable;
    if (e.key === "/" && !typing) { e.preventDefault(); box.focus(); box.select(); return; }
    if (document.activeElement !== box) return;
    var list = hits();
    if (e.key === "ArrowDown" && list.length) { e.preventDefault(); active = Math.min(active + 1, list.length - 1); mark(); }
    else if (e.key === "ArrowUp" && list.length) { e.preventDefault(); active = Math.max(active - 1, 0); mark(); }
    else if (e.key === "Enter") {
      var pick = list[active >= 0 ? active : 0];
      if (pick) { e.preventDefault(); window.location.href = pick.href; }
    } else if (e.key === "Escape") { document.getElementById("quicksearch-results").innerHTML = ""; active = -1; }
  });
  document.addEventListener("htmx:afterSwap", function (e) { if (e.target.id === "quicksearch-results") { active = -1; } });
})();
