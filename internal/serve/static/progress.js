// Live progress of a scan job: polls the API with the session and updates
// #status, #progress and #phase; reloads the page once the job is over.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh).
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job) { return; }
  var id = job.getAttribute("data-id");
  var status = document.getElementById("status");
  var bar = document.getElementById("progress");
  var phase = document.getElementById("phase");
  var final = { done: true, incomplete: true, failed: true };
  function tick() {
    fetch("/api/v1/scans/" + encodeURIComponent(id), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (j) {
        status.textContent = j.status;
        status.className = "status " + j.status;
        bar.value = j.progress;
        bar.textContent = Math.round(j.progress * 100) + "%";
        if (phase) { phase.textContent = j.phase || ""; }
        if (final[j.status]) { window.location.reload(); return; }
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 500);
})();
