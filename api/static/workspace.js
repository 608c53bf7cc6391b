/* Pishraft workspace pages: a Jalali date picker for [data-jalali-date] fields, the
   suggest list of [data-suggest] search fields, and the search box of pickers
   ([data-filter-for]: narrows the options of a select list of people or organisations). Plain JavaScript, no build step; the
   pages work without it (dates can be typed, search has a results page). */
(function () {
  "use strict";
  var LANG = document.documentElement.lang === "en" ? "en" : "fa";
  var FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  function digits(text) {
    return LANG === "fa" ? String(text).replace(/[0-9]/g, function (d) { return FA_DIGITS[+d]; }) : String(text);
  }
  function latin(text) {
    return String(text).replace(/[۰-۹]/g, function (d) { return FA_DIGITS.indexOf(d); })
      .replace(/[٠-٩]/g, function (d) { return d.charCodeAt(0) - 0x660; });
  }

  /* Jalali calendar through the browser's own Persian calendar (Intl). */
  var PERSIAN = new Intl.DateTimeFormat("en-u-ca-persian-nu-latn", {
    timeZone: "UTC", year: "numeric", month: "numeric", day: "numeric"});
  var MONTHS = new Intl.DateTimeFormat(LANG === "fa" ? "fa-u-ca-persian" : "en-u-ca-persian",
    {timeZone: "UTC", month: "long"});
  function toJalali(utcMs) {
    var parts = {};
    PERSIAN.formatToParts(new Date(utcMs)).forEach(function (p) { parts[p.type] = parseInt(p.value, 10); });
    return [parts.year, parts.month, parts.day];
  }
  function dayOfYear(m, d) { return m <= 6 ? (m - 1) * 31 + d : 186 + (m - 7) * 30 + d; }
  function toGregorianMs(jy, jm, jd) {
    var guess = Date.UTC(jy + 621, 2, 21);
    var j = toJalali(guess);
    var offset = dayOfYear(jm, jd) - dayOfYear(j[1], j[2]) + (jy - j[0]) * 365;
    var ms = guess + offset * 864e5;
    for (var i = 0; i < 3; i++) {  /* correct a leap-year day either way */
      j = toJalali(ms);
      if (j[0] === jy && j[1] === jm && j[2] === jd) break;
      ms += (j[0] * 400 + dayOfYear(j[1], j[2]) < jy * 400 + dayOfYear(jm, jd) ? 1 : -1) * 864e5;
    }
    return ms;
  }
  function monthLength(jy, jm) {
    if (jm <= 6) return 31;
    if (jm <= 11) return 30;
    return toJalali(toGregorianMs(jy + 1, 1, 1) - 864e5)[2];
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function openPicker(input) {
    var old = document.querySelector(".jalali-picker");
    if (old) old.remove();
    var typed = /^(\d{4})\D(\d{1,2})\D(\d{1,2})$/.exec(latin(input.value.trim()));
    var now = toJalali(Date.now());
    var shown = typed ? [+typed[1], +typed[2]] : [now[0], now[1]];
    var box = document.createElement("div");
    box.className = "jalali-picker";
    box.setAttribute("role", "dialog");
    input.closest(".date-input").appendChild(box);
    function draw() {
      var jy = shown[0], jm = shown[1];
      var first = new Date(toGregorianMs(jy, jm, 1)).getUTCDay();  /* 0 Sunday … 6 Saturday */
      var lead = (first + 1) % 7;  /* weeks start on Saturday */
      var html = '<div class="head"><button type="button" data-step="-1">‹</button><span>' +
        MONTHS.format(new Date(toGregorianMs(jy, jm, 1))) + " " + digits(jy) +
        '</span><button type="button" data-step="1">›</button></div><div class="days">';
      for (var i = 0; i < lead; i++) html += "<span></span>";
      for (var d = 1; d <= monthLength(jy, jm); d++) {
        html += '<button type="button" data-day="' + d + '">' + digits(d) + "</button>";
      }
      box.innerHTML = html + "</div>";
    }
    box.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b) return;
      if (b.dataset.step) {
        var m = shown[1] + +b.dataset.step;
        shown = m < 1 ? [shown[0] - 1, 12] : m > 12 ? [shown[0] + 1, 1] : [shown[0], m];
        draw();
      } else {
        input.value = digits(shown[0] + "/" + pad(shown[1]) + "/" + pad(+b.dataset.day));
        box.remove();
        input.dispatchEvent(new Event("change", {bubbles: true}));
      }
    });
    draw();
  }

  function suggest(input) {
    var list = document.createElement("ul");
    list.className = "suggest";
    list.setAttribute("role", "listbox");
    (input.form || input).insertAdjacentElement("afterend", list);  /* below the search form, not inside its row */
    var timer = null, asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q === asked) return;
        asked = q;
        if (!q) { list.innerHTML = ""; return; }
        var url = input.dataset.suggest + "?q=" + encodeURIComponent(q) + (LANG === "en" ? "&lang=en" : "");
        fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); })
          .then(function (items) {
            if (q !== asked) return;
            list.innerHTML = "";
            items.forEach(function (item) {
              var li = document.createElement("li"), a = document.createElement("a");
              a.href = item.href;
              a.textContent = item.label;
              li.appendChild(a);
              list.appendChild(li);
            });
          });
      }, 150);
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();  /* the print stylesheet (workspace.css, @media print) keeps only the content */
      return;
    }
    var pick = event.target.closest("[data-pick-for]");
    if (pick) {
      openPicker(pick.closest(".date-input").querySelector("input"));
    } else if (!event.target.closest(".jalali-picker")) {
      var open = document.querySelector(".jalali-picker");
      if (open) open.remove();
    }
  });
  /* A picker's search box: keep the options whose text holds every typed word, and choose
     the first match when the chosen one is hidden (in a multiple list, chosen ones stay). */
  function filterPicker(input) {
    var select = document.querySelector("select[name='" + input.dataset.filterFor + "']");
    if (!select) return;
    input.addEventListener("input", function () {
      var words = latin(input.value.trim().toLowerCase()).split(/\s+/).filter(Boolean), first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = latin(option.text.toLowerCase());
        var shown = !option.value || (select.multiple && option.selected)
          || words.every(function (w) { return text.indexOf(w) >= 0; });
        option.hidden = !shown;
        if (shown && option.value && first === null && words.length) first = option;
      });
      if (!select.multiple && first && (!select.value || select.selectedOptions[0].hidden)) first.selected = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-suggest]").forEach(suggest);
    document.querySelectorAll("[data-filter-for]").forEach(filterPicker);
  });
  window.PishraftWorkspace = {toJalali: toJalali, toGregorianMs: toGregorianMs, monthLength: monthLength};
})();
