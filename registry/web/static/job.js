// Follows a background job on its console page: moves the progress bar and the counts every two seconds,
// and reloads the page when the job has ended (the outcome and the next steps are drawn by the server).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-progress]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var counts = box.querySelector("[data-job-counts]");
  var url = box.getAttribute("data-job-progress");
  var state = box.getAttribute("data-job-state");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        if (job.status !== state) { window.location.reload(); return; }
        bar.max = Math.max(job.progress.total, 1);
        bar.value = job.progress.done;
        counts.textContent = box.getAttribute("data-job-format")
          .replace("{done}", job.progress.done.toLocaleString())
          .replace("{total}", job.progress.total.toLocaleString())
          .replace("{percent}", job.progress.percent);
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
