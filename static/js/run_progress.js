// Polls a report run until it finishes, then returns to the dashboard.
(function () {
  const box = document.getElementById("run");
  if (!box) return;
  const bar = document.getElementById("run-bar");
  const status = document.getElementById("run-status");
  // Status words come translated from the page (data-labels="queued|running|done|failed").
  const words = (box.dataset.labels || "排队中|计算中|已完成|失败").split("|");
  const labels = { queued: words[0], running: words[1], done: words[2], failed: words[3] };
  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((run) => {
        bar.style.width = run.percent + "%";
        bar.textContent = run.percent + "%";
        status.textContent = labels[run.status] || run.status;
        if (run.status === "done") window.location.href = box.dataset.doneUrl;
        else if (run.status !== "failed") setTimeout(poll, 1500);
      })
      .catch(() => setTimeout(poll, 5000));
  }
  poll();
})();
