// Served by `ekb serve` beside each page it sends, never written into the built
// site: reloads the page once kb/ has been rebuilt, and shows the build's
// problems (file and line) over the page when a build fails. It talks only to
// the server that sent the page.
(function () {
  "use strict";
  var script = document.currentScript;
  var loaded = Number(script && script.dataset.generation);
  var panel = null;

  function showProblems(problems) {
    if (!panel) {
      panel = document.createElement("pre");
      panel.id = "ekb-live-problems";
      panel.setAttribute("role", "alert");
      panel.style.cssText =
        "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;margin:0;" +
        "padding:1rem;background:#fff3f3;color:#5c0000;border-top:4px solid #b00020;" +
        "font:14px/1.4 monospace;white-space:pre-wrap;z-index:2147483647";
      document.body.appendChild(panel);
    }
    panel.textContent =
      "The last build failed; this is the last good site.\n\n" + problems.join("\n");
  }

  function onStatus(data) {
    var status = JSON.parse(data);
    if (status.problems.length) {
      showProblems(status.problems);
    } else if (status.generation !== loaded) {
      window.location.reload();
    }
  }

  // One stream for all the preview's tabs where the browser can share one
  // (live-worker.js: a stream per tab used up the six connections a browser keeps
  // to a host); a stream of its own elsewhere.
  // The paths are live.py's, handed over on the script tag.
  var eventsPath = script.dataset.events;
  if (window.SharedWorker) {
    var worker = new SharedWorker(
      script.dataset.worker + "?events=" + encodeURIComponent(eventsPath));
    worker.port.onmessage = function (message) { onStatus(message.data); };
    window.addEventListener("pagehide", function () { worker.port.postMessage("gone"); });
  } else {
    var events = new EventSource(eventsPath);
    events.addEventListener("build", function (event) { onStatus(event.data); });
    window.addEventListener("pagehide", function () { events.close(); });
  }
})();
