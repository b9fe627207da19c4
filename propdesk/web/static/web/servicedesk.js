// Service desk screens: category list follows the kind, kind-specific fields,
// Ctrl+Enter saves, reply templates insert into the note, signature pads.
(function () {
  "use strict";
  function syncKind(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    if (!checked) return;
    var kind = checked.value;
    form.querySelectorAll("#category option[data-kind]").forEach(function (o) {
      o.hidden = o.dataset.kind !== kind;
      if (o.hidden && o.selected) o.selected = false;
    });
    form.querySelectorAll("[class*='for-']").forEach(function (el) {
      var show = Array.prototype.some.call(el.classList, function (c) { return c === "for-" + kind; });
      el.hidden = !show;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("intake-form");
    if (form) {
      syncKind(form);
      form.addEventListener("change", function (e) { if (e.target.name === "kind") syncKind(form); });
      document.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
      });
    }
    document.querySelectorAll("[data-template]").forEach(function (b) {
      b.addEventListener("click", function () {
        var t = document.getElementById("note-text");
        t.value = (t.value ? t.value + "\n" : "") + b.dataset.template;
        t.focus();
      });
    });
    document.querySelectorAll("canvas[data-signature]").forEach(function (canvas) {
      var ctx = canvas.getContext("2d"), drawing = false, dirty = false;
      var input = canvas.parentNode.querySelector("input[name=signature]");
      ctx.lineWidth = 2; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
      function pos(e) { var r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
      canvas.addEventListener("pointerdown", function (e) { drawing = true; var p = pos(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); });
      canvas.addEventListener("pointermove", function (e) { if (!drawing) return; var p = pos(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); dirty = true; });
      function end() { if (drawing && dirty) input.value = canvas.toDataURL("image/png"); drawing = false; }
      canvas.addEventListener("pointerup", end); canvas.addEventListener("pointerleave", end);
      canvas.parentNode.querySelector("[data-clear]").addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height); input.value = ""; dirty = false;
      });
    });
  });
})();
