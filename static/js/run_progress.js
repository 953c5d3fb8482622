// Polls a report run until it finishes, then returns to the dashboard.
(function () {
  const box = document.getElementById("run");
  if (!box) return;
  const bar = document.getElementById("run-bar");
  const status = document.getElementById("run-status");
  const labels = { queued: "排队中", running: "计算中", done: "已完成", failed: "失败" };
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
