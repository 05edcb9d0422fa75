// "checked N min ago", computed in the browser so unchanged pages stay byte-identical.
(function () {
  function ago(iso) {
    var seconds = (Date.now() - Date.parse(iso)) / 1000;
    if (!isFinite(seconds)) return null;
    if (seconds < 90) return "just now";
    var minutes = Math.round(seconds / 60);
    if (minutes < 90) return minutes + " min ago";
    return Math.round(minutes / 60) + " h ago";
  }
  function refresh() {
    document.querySelectorAll(".ago[data-checked]").forEach(function (el) {
      var text = ago(el.getAttribute("data-checked"));
      if (text) el.textContent = text;
    });
  }
  refresh();
  setInterval(refresh, 30000);
})();
