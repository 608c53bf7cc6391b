/* Upload forms with a progress bar: a form[data-upload-progress] is sent with
   XMLHttpRequest so that the browser's upload progress events can move its <progress>.
   A successful upload ends on the page the server redirected to (the load report); a
   refused one shows the server's answer (the form with its errors) in place.
   Without JavaScript the form posts normally. */
(function () {
  "use strict";
  var LANG = document.documentElement.lang === "en" ? "en" : "fa";
  var PERCENT = new Intl.NumberFormat(LANG === "en" ? "en" : "fa", {style: "percent"});

  function bind(form) {
    var box = form.querySelector(".upload-progress");
    var bar = box.querySelector("progress");
    var said = box.querySelector("output");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        bar.max = e.total;
        bar.value = e.loaded;
        said.textContent = form.dataset.textSending + " " + PERCENT.format(e.loaded / e.total);
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = bar.max;
        form.dataset.uploaded = "true";
        said.textContent = PERCENT.format(1) + " · " + form.dataset.textLoading;
      });
      xhr.addEventListener("load", function () {
        if (xhr.status < 400 && xhr.responseURL.split("?")[0] !== form.action.split("?")[0]) {
          window.location.assign(xhr.responseURL);  /* the load report */
          return;
        }
        var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var main = answer.querySelector("main");
        if (!main) { fail(); return; }
        document.title = answer.title;
        document.querySelector("main").replaceWith(main);
        main.querySelectorAll("form[data-upload-progress]").forEach(bind);
      });
      function fail() {
        said.textContent = form.dataset.textFailed;
        button.disabled = false;
      }
      xhr.addEventListener("error", fail);
      button.disabled = true;
      box.hidden = false;
      bar.value = 0;
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload-progress]").forEach(bind);
})();
