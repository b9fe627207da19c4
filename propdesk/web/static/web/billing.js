// Cashier desk: the amount follows the bills ticked, the transaction number is
// asked for except for cash, and a payment form is sent once (the idempotency key
// makes a second send harmless anyway). The one-off charge form takes the price of
// the chosen item.
(function () {
  "use strict";
  function cents(text) { var n = Math.round(parseFloat(text) * 100); return isNaN(n) ? 0 : n; }
  function yuan(c) { return (c / 100).toFixed(2); }
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var form = document.getElementById("pay-form");
    if (form) {
      var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=bill]"));
      var all = document.getElementById("bills-all");
      var amount = document.getElementById("pay-amount");
      var shown = document.getElementById("chosen-total");
      var recount = function () {
        var total = boxes.reduce(function (s, b) { return s + (b.checked ? cents(b.dataset.outstanding) : 0); }, 0);
        if (shown) shown.textContent = yuan(total);
        amount.value = total ? yuan(total) : "";
        if (all) all.checked = boxes.length > 0 && boxes.every(function (b) { return b.checked; });
      };
      boxes.forEach(function (b) { b.addEventListener("change", recount); });
      if (all) all.addEventListener("change", function () { boxes.forEach(function (b) { b.checked = all.checked; }); recount(); });
      var method = document.getElementById("pay-method");
      var ref = document.getElementById("pay-ref");
      var needRef = function () { ref.required = method.value !== "cash"; };
      method.addEventListener("change", needRef); needRef();
      form.addEventListener("submit", function (e) {
        if (form.dataset.sent) { e.preventDefault(); return; }
        form.dataset.sent = "1";
        var button = document.getElementById("pay-submit");
        if (button) button.disabled = true;
      });
      // Back to a page the browser kept: the form may be sent again (same key, posts once).
      window.addEventListener("pageshow", function () {
        delete form.dataset.sent;
        var button = document.getElementById("pay-submit");
        if (button) button.disabled = false;
      });
    }
    var item = document.querySelector("select[data-price-target]");
    if (item) {
      item.addEventListener("change", function () {
        var price = item.options[item.selectedIndex].dataset.price;
        if (price) document.getElementById(item.dataset.priceTarget).value = price;
      });
    }
  });
})();
