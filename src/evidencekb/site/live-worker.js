// Served by `ekb serve` (live.py's WORKER_PATH, the stream's path in its query): one
// event stream for every open tab of the preview. A browser keeps at most six
// connections to one host over HTTP/1.1; with a stream per tab, six open tabs held
// them all, and their reloads (and a seventh tab) waited for a connection that never
// came. The worker holds the one stream and hands each build's status to every tab
// (live.js), the latest first.
(function () {
  "use strict";
  var tabs = [];
  var latest = null;
  var events = new EventSource(new URLSearchParams(self.location.search).get("events"));
  events.addEventListener("build", function (event) {
    latest = event.data;
    tabs.forEach(function (tab) { tab.postMessage(latest); });
  });
  self.onconnect = function (connection) {
    var tab = connection.ports[0];
    tabs.push(tab);
    tab.onmessage = function (message) {  // "gone": the tab is unloading
      if (message.data === "gone") tabs = tabs.filter(function (t) { return t !== tab; });
    };
    if (latest !== null) tab.postMessage(latest);
  };
})();
