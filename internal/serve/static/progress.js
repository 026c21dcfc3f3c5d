// Live progress of scan jobs: polls the API with the session and updates
// the status and the <progress> bar of the job page (#status, #progress,
// #phase) and of each unfinished row of the scans list (tr.job). A page
// reloads once a job it shows is over, to show the result. Without
// JavaScript the page refreshes itself (a <noscript> meta refresh).
(function () {
  "use strict";
  var final = { done: true, incomplete: true, failed: true };
  function watch(id, status, bar, phase) {
    function tick() {
      fetch("/api/v1/scans/" + encodeURIComponent(id), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
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
  }
  var job = document.getElementById("job");
  if (job) {
    watch(job.getAttribute("data-id"), document.getElementById("status"), document.getElementById("progress"), document.getElementById("phase"));
    return;
  }
  var rows = document.querySelectorAll("tr.job");
  for (var i = 0; i < rows.length; i++) {
    var st = rows[i].querySelector(".status");
    var bar = rows[i].querySelector("progress");
    if (st && bar && !final[st.textContent]) {
      watch(rows[i].getAttribute("data-id"), st, bar, null);
    }
  }
})();
