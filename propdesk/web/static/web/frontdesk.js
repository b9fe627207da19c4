// Front desk: signature pads and the scanner (keyboard wedge) receive form.
(function () {
  "use strict";
  function pad(canvas) {
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false;
    var input = document.getElementById(canvas.dataset.input);
    canvas.width = canvas.clientWidth; canvas.height = canvas.clientHeight;
    ctx.lineWidth = 2; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    function at(e) { var r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    canvas.addEventListener("pointerup", function () {
      drawing = false; if (drawn && input) input.value = canvas.toDataURL("image/png");
    });
    var clear = document.querySelector("[data-clear='" + canvas.id + "']");
    if (clear) clear.addEventListener("click", function (e) {
      e.preventDefault(); ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; if (input) input.value = "";
    });
  }
  function scanForm(form) {
    // A scanner types the number and presses Enter: go to the house field unless it is filled,
    // then Enter in the house field submits. Scan + house + Enter receives one parcel.
    var scan = form.querySelector("[name=tracking_number]"), house = form.querySelector("[name=house]");
    scan.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !house.value.trim()) { e.preventDefault(); house.focus(); }
    });
  }
  function start() {
    document.querySelectorAll("canvas.sigpad").forEach(pad);
    document.querySelectorAll("form.fd-scan").forEach(scanForm);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
