// Records script errors in #console-errors, so a headless browser's --dump-dom shows them.
(function () {
  var pending = [];
  function record(message) {
    var box = document.getElementById("console-errors");
    if (box) {
      box.textContent += message + "\n";
    } else {
      pending.push(message);
    }
  }
  window.onerror = function (message, source, line) {
    record("error: " + message + " (line " + line + ")");
  };
  window.addEventListener("unhandledrejection", function (e) {
    record("unhandled rejection: " + e.reason);
  });
  var original = console.error;
  console.error = function () {
    record("console.error: " + Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
  document.addEventListener("DOMContentLoaded", function () {
    pending.splice(0).forEach(record);
  });
})();
