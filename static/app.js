// Small page helpers; the pages work without them.
(function () {
  "use strict";

  // Offer only the communes of the chosen province.
  document.querySelectorAll("[data-province-select]").forEach(function (provinceSelect) {
    var communeSelect = document.getElementById(provinceSelect.dataset.provinceSelect);
    if (!communeSelect) {
      return;
    }
    function filter() {
      var province = provinceSelect.value;
      Array.prototype.forEach.call(communeSelect.options, function (option) {
        var belongs = !option.dataset.province || option.dataset.province === province;
        option.hidden = !belongs;
        option.disabled = !belongs;
      });
      var chosen = communeSelect.selectedOptions[0];
      if (chosen && chosen.disabled) {
        communeSelect.value = "";
      }
    }
    provinceSelect.addEventListener("change", filter);
    filter();
  });

  // A box that ticks or unticks every box of its table (data-check-all="name").
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var selector = 'input[type="checkbox"][name="' + box.dataset.checkAll + '"]';
      box.closest("table").querySelectorAll(selector).forEach(function (other) {
        other.checked = box.checked;
      });
    });
  });

  // Buttons that ask before they act (data-confirm="question").
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  // A workbook made in the background (data-progress-url): its bar follows the job, and the
  // page is loaded again once the job has ended, with the link to the file or the failure.
  // The width is set here: the Content-Security-Policy forbids style attributes.
  document.querySelectorAll("[data-progress-url]").forEach(function (progress) {
    var bar = progress.querySelector(".progress-bar");
    var label = document.querySelector("[data-progress-percent]");
    function show(percent) {
      bar.style.width = percent + "%";
      progress.setAttribute("aria-valuenow", percent);
      if (label) {
        label.textContent = percent + "%";
      }
    }
    function poll() {
      fetch(progress.dataset.progressUrl, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (job) {
          show(job.percent);
          if (job.state === "running") {
            window.setTimeout(poll, 2000);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          // Expired, logged out, or the server is away: the page itself says which.
          window.location.reload();
        });
    }
    show(Number(progress.getAttribute("aria-valuenow")));
    window.setTimeout(poll, 2000);
  });
})();
